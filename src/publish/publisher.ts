// The seam between the buffer's dispatcher and one delivery sink (MQTT broker, HTTPS endpoint).
// Invariants:
// - A publisher never talks to a device and never touches the buffer: it is handed a batch and
//   says, per punch id, what happened.
// - An id in `acked` has been accepted by the far end (MQTT PUBACK, HTTPS 2xx); an id in `rejected`
//   was refused for good and goes to the dead-letter table; every other id of the batch is retried.
// - `send` never throws for delivery failures: it reports them in the result. It may throw only
//   when the abort signal fires.
// - A punch the far end refuses for its size is rejected alone (`tooLarge`): the other punches of
//   the batch are acked or retried as if it had not been there (DESIGN.md "Trust at the edge").
// - `available` is false only while the sink is known to be down (MQTT: no connection to the
//   broker; HTTPS: the last request or probe got no answer). The publisher itself finds out when it
//   is back (mqtt.js reconnects; the HTTPS sink probes) and then calls every `onAvailable`
//   listener, after `available` turned true. The dispatcher sends nothing while it is false.
// The batch is the buffer's OutgoingPunch (src/buffer/punchBuffer.ts): the buffer owns that type.
import type { ErrorCode } from '../util/catalogue.js';
import type { OutgoingPunch } from '../buffer/punchBuffer.js';

export interface RejectedPunch {
  id: string;
  reason: string;
  /** refused for its size alone (MQTT Maximum Packet Size, a broker that drops it, HTTPS 413) */
  tooLarge?: boolean;
}

export interface SendResult {
  acked: string[];
  rejected: RejectedPunch[];
  /** the far end asked to wait at least this long before the next attempt (Retry-After) */
  retryAfterMs?: number;
  /** stop sending: credentials refused (401/403). Everything is kept. */
  halt?: 'auth';
  /** why the unacknowledged rest failed, for logs and status */
  error?: string;
}

export interface SinkHealth {
  sink: string;
  connected: boolean;
  halted: 'auth' | null;
  lastError: string | null;
  /** the catalogue code of lastError (GW_ERR_SINK_*); null with it */
  lastErrorCode?: ErrorCode | null;
  lastSuccessAt: string | null;
}

export interface Publisher {
  /** stable sink name: the buffer cursor and dead-letter rows are keyed by it */
  readonly sink: string;
  /** how many punches one `send` should carry */
  readonly batchSize: number;
  /** how many `send` calls may be in flight at once (1 keeps strict order) */
  readonly concurrency: number;
  /** how long a partial batch may wait for more punches before it is sent */
  readonly maxWaitMs: number;
  start(): Promise<void>;
  /** Flush what is in flight (bounded by the signal), then disconnect. */
  stop(signal?: AbortSignal): Promise<void>;
  send(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult>;
  /** whether a send right now has a chance (connected, not halted) */
  health(): SinkHealth;
  /** false while the sink is known to be down: a send now could only fail */
  readonly available: boolean;
  /** Calls `listener` each time the sink comes back (`available` turned true); returns its removal. */
  onAvailable(listener: () => void): () => void;
}

/** The `onAvailable` listeners of one publisher; a listener that throws does not stop the others. */
export class AvailabilityListeners {
  private readonly listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(onError: (error: unknown) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        onError(error);
      }
    }
  }
}
