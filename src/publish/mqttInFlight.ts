// The MQTT sink's QoS 1 publishes awaiting PUBACK: what the oversize guard needs to know when the
// connection drops (which packets, how large, whose punch).
// Invariants:
// - Every publish settles exactly once: PUBACK (acked), an error, its segment's timeout or abort,
//   or the drop of its connection (failed, or rejected when the guard convicts it).
// - Only a PUBACK teaches the guard a size the broker takes; a timed-out publish that is PUBACKed
//   later still counts.
// - `dropped` leaves nothing of that connection in mqtt.js's outgoing store: mqtt.js would resend
//   it one packet at a time on reconnect, and one the broker refuses would hold back every other
//   one forever. What was not PUBACKed is then the dispatcher's to resend, in commit order. A drop
//   the publisher does not hand to `dropped` keeps its publishes in flight: mqtt.js resends them.
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import type { OutgoingPunch } from '../buffer/punchBuffer.js';
import type { Conviction, InFlightPacket } from './oversizeGuard.js';

export type PublishOutcome = { kind: 'acked' } | { kind: 'failed'; error: string } | { kind: 'rejected'; reason: string };

export interface InFlight extends InFlightPacket {
  client: MqttClient;
  deviceId?: string;
  settle(outcome: PublishOutcome): void;
}

export interface TrackedPublish {
  topic: string;
  payload: string | Buffer;
  options: IClientPublishOptions;
  /** the PUBLISH packet's size on the wire */
  bytes: number;
  /** whose packet it is, for the oversize guard: a punch, or a punch's photo (`photo:<punch id>`) */
  punch?: Pick<OutgoingPunch, 'id' | 'deviceId'>;
}

export class InFlightPublishes {
  private readonly entries = new Map<number, InFlight>();
  private nextToken = 0;

  constructor(
    private readonly onAcked: (packet: InFlightPacket) => void,
    private readonly scrub: (text: string) => string,
  ) {}

  /** Resolves on PUBACK, failure or conviction; never rejects. */
  publish(client: MqttClient, p: TrackedPublish, group?: InFlight[]): Promise<PublishOutcome> {
    return new Promise((resolve) => {
      const token = this.nextToken++;
      const entry: InFlight = {
        client,
        bytes: p.bytes,
        ...(p.punch ? { punchId: p.punch.id, deviceId: p.punch.deviceId } : {}),
        settle: (outcome) => {
          if (this.entries.delete(token)) resolve(outcome);
        },
      };
      this.entries.set(token, entry);
      group?.push(entry);
      client.publish(p.topic, p.payload, p.options, (error) => {
        if (!error) this.onAcked(entry);
        entry.settle(error ? { kind: 'failed', error: this.scrub(error.message) } : { kind: 'acked' });
      });
    });
  }

  /** Publishes a run at once; one timer and one abort listener settle what has no PUBACK yet. */
  async publishAll(client: MqttClient, run: TrackedPublish[], o: { timeoutMs: number; signal: AbortSignal }): Promise<PublishOutcome[]> {
    const group: InFlight[] = [];
    const settleRest = (error: string): void => {
      for (const entry of group) entry.settle({ kind: 'failed', error });
    };
    const timer = setTimeout(() => settleRest(`no PUBACK within ${o.timeoutMs} ms`), o.timeoutMs);
    const onAbort = (): void => settleRest('aborted');
    o.signal.addEventListener('abort', onAbort, { once: true });
    const outcomes = await Promise.all(run.map((p) => this.publish(client, p, group)));
    clearTimeout(timer);
    o.signal.removeEventListener('abort', onAbort);
    return outcomes;
  }

  /** What awaited PUBACK on this client. */
  of(client: MqttClient): InFlight[] {
    return [...this.entries.values()].filter((entry) => entry.client === client);
  }

  /**
   * Takes over a dropped connection's publishes: settles them and, unless the client is being ended
   * (its store is closed then), empties mqtt.js's store of them.
   */
  dropped(client: MqttClient, entries: InFlight[], conviction: Conviction | undefined): void {
    for (const entry of entries) {
      const convicted = conviction !== undefined && entry.punchId === conviction.punchId;
      entry.settle(convicted ? { kind: 'rejected', reason: conviction.reason } : { kind: 'failed', error: 'connection to the broker lost before PUBACK' });
    }
    if (client.disconnecting || client.disconnected) return;
    try {
      for (const messageId of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(messageId));
    } catch {
      // a store closed under us (client ended meanwhile): nothing will be resent from it anyway
    }
  }
}
