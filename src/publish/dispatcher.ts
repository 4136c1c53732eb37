// Moves punches from the buffer to one publisher: one dispatcher per configured sink.
// Invariants:
// - A punch is acked in the buffer only for ids the publisher reports acked (PUBACK, 2xx), and
//   dead-lettered only for ids it reports rejected. Everything else in a batch is retried, with
//   exponential backoff and jitter, never less than the sink's Retry-After.
// - Retry timers serve failures of a sink that is up. While the publisher says it is not
//   `available` (broker not connected, HTTPS endpoint unreachable) nothing is sent, so nothing
//   fails or is counted. A batch that fails because the sink went away under it is counted once
//   and arms no timer. The moment the sink comes back (`onAvailable`: MQTT CONNACK, an HTTPS
//   probe that got through) every wait ends, the backoff starts again from its base and the sink
//   drains at once: a sink that is back never waits for a timer armed before it went away. A batch
//   still in flight from before the return holds the sink like a failed one (below) until it settles.
// - Retries keep commit order: a failed batch holds the whole sink (nothing newer is sent while
//   it waits) and, once nothing is in flight, the sink is rewound to its acked cursor, so the
//   oldest undelivered punch goes first again. Anything delivered out of that order is a
//   duplicate of a punch already delivered, never a punch overtaking an older one of its device.
// - At most `publisher.concurrency` batches are in flight (read before every batch: a publisher may
//   lower it, e.g. to send a suspect punch alone), so memory stays flat whatever the backlog; a
//   halted sink (credentials refused) keeps every punch and retries after `authRetryMs`.
// - A failed batch that still acked or dead-lettered something is progress: the backoff starts
//   again from its base, so isolating one poison punch after another never stretches the wait of
//   the punches behind them.
// - Dead letters are logged (GW_ERR_SINK_REJECTED) at most a few lines a minute per sink, with the
//   count of the rest; every one is counted in gateway_punches_dead_lettered_total{sink,reason}.
// - `stop` stops taking new batches, gives in-flight ones `timeoutMs` to finish, then aborts them;
//   what was not acked is sent again after the next start (at-least-once).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { OutgoingPunch, PunchBuffer } from '../buffer/punchBuffer.js';
import { backoffDelayMs } from '../util/backoff.js';
import type { DeadLetterReason } from '../util/catalogue.js';
import { LogLimiter } from '../util/logLimiter.js';
import type { Metrics } from '../util/metrics.js';
import type { Publisher, SendResult } from './publisher.js';

export interface DispatcherOptions {
  buffer: PunchBuffer;
  publisher: Publisher;
  log: Logger;
  metrics?: Metrics;
  /** after a 401/403, wait this long before trying again */
  authRetryMs?: number;
  /** poll the buffer this often even without a commit event (replays queued by the CLI) */
  idlePollMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class Dispatcher {
  private readonly buffer: PunchBuffer;
  private readonly publisher: Publisher;
  private readonly log: Logger;
  private readonly rejectionLog: LogLimiter;
  private readonly options: DispatcherOptions;
  private readonly inFlight = new Set<Promise<void>>();
  /** aborts sends still in flight when the stop timeout runs out */
  private readonly abort = new AbortController();
  /** ends retry and batch-fill waits as soon as stop begins */
  private readonly waits = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  /** nothing new is sent before this time (backoff, Retry-After, refused credentials) */
  private heldUntil = 0;
  /** failures since the last delivery, for the backoff */
  private failures = 0;
  /** a batch failed: rewind to the acked cursor once nothing is in flight */
  private rewindPending = false;
  /** how often the sink came back: a batch sent before the latest return failed with an outage */
  private returns = 0;
  private offAvailable: (() => void) | undefined;
  private readonly onCommitted = (): void => this.wake?.();
  /** the sink is back: what was held for it (backoff, Retry-After, refused credentials) starts afresh */
  private readonly onAvailable = (): void => {
    this.returns += 1;
    // a batch still out went on the connection that died: it settles (or fails) first, then the
    // sink is rewound, so nothing sent after the return overtakes it
    if (this.inFlight.size > 0) this.rewindPending = true;
    this.heldUntil = 0;
    this.failures = 0;
    this.wake?.();
  };

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.buffer = options.buffer;
    this.publisher = options.publisher;
    this.log = options.log.child({ sink: options.publisher.sink });
    this.rejectionLog = new LogLimiter(this.log);
  }

  get sink(): string {
    return this.publisher.sink;
  }

  start(): void {
    if (this.loop) return;
    this.buffer.on('committed', this.onCommitted);
    this.offAvailable = this.publisher.onAvailable(this.onAvailable);
    this.loop = this.run().catch((error: unknown) => {
      if (!this.stopping) this.log.error({ code: 'GW_ERR_INTERNAL', err: error }, 'dispatcher loop failed');
    });
  }

  /** Wake the loop now (e.g. after an operator queued replays). */
  poke(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { publisher } = this;
    while (!this.stopping) {
      if (!publisher.available) {
        // woken by onAvailable; the poll only guards against a publisher that forgot to say so
        await this.waitForWork(this.options.idlePollMs ?? 2000);
        continue;
      }
      const draining = this.rewindPending && this.inFlight.size > 0;
      if (draining || this.inFlight.size >= publisher.concurrency || Date.now() < this.heldUntil) {
        await this.waitForWork(Math.max(10, this.heldUntil - Date.now()));
        continue;
      }
      if (this.rewindPending) {
        this.rewindPending = false;
        this.buffer.rewind(this.sink);
      }
      let batch = this.buffer.pendingOutgoing(this.sink, publisher.batchSize);
      if (batch.length === 0) {
        await this.waitForWork(this.options.idlePollMs ?? 2000);
        continue;
      }
      if (batch.length < publisher.batchSize && publisher.maxWaitMs > 0) batch = await this.topUp(batch);
      this.track(this.deliver(batch));
    }
  }

  /** Waits (up to maxWait since the oldest punch was received) for a fuller batch. */
  private async topUp(batch: OutgoingPunch[]): Promise<OutgoingPunch[]> {
    const ageMs = Date.now() - Date.parse((batch[0] as OutgoingPunch).receivedAt);
    const waitMs = this.publisher.maxWaitMs - ageMs;
    if (waitMs > 0) await this.sleep(waitMs);
    if (this.stopping) return batch;
    return batch.concat(this.buffer.pendingOutgoing(this.sink, this.publisher.batchSize - batch.length));
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => {
      this.inFlight.delete(task);
      this.wake?.();
    });
  }

  private async deliver(batch: OutgoingPunch[]): Promise<void> {
    const returnsAtSend = this.returns;
    const result = await this.sendOnce(batch);
    const remaining = this.settle(batch, result);
    if (remaining.length === 0) {
      if (!result.error) this.failures = 0;
      return;
    }
    if (this.stopping) return;
    this.rewindPending = true;
    if (result.halt === 'auth') {
      const authRetryMs = this.options.authRetryMs ?? 300_000;
      this.holdFor(authRetryMs);
      this.log.error({ code: 'GW_ERR_SINK_AUTH', retryInMs: authRetryMs }, 'sink refused the credentials; holding every punch');
      return;
    }
    this.options.metrics?.sendFailures.inc({ sink: this.sink });
    if (result.acked.length + result.rejected.length > 0) this.failures = 0;
    if (!this.publisher.available || returnsAtSend !== this.returns) {
      // the sink went away under this batch: no timer, the sink's return sends it again, in order
      this.log.warn({ code: 'GW_ERR_SINK_UNREACHABLE', error: result.error, pending: remaining.length }, 'batch not delivered: the sink went away; it goes again as soon as the sink is back');
      return;
    }
    // one backoff step per episode, however many batches were in flight when the sink went away
    if (Date.now() >= this.heldUntil) this.failures += 1;
    const delayMs = Math.max(
      backoffDelayMs(this.failures - 1, { baseMs: this.options.backoffBaseMs ?? 1000, maxMs: this.options.backoffMaxMs ?? 300_000 }),
      result.retryAfterMs ?? 0,
    );
    this.holdFor(delayMs);
    this.log.warn({ code: 'GW_ERR_SINK_UNREACHABLE', error: result.error, pending: remaining.length, retryInMs: delayMs, attempt: this.failures - 1 }, 'batch not delivered; will retry');
  }

  private holdFor(ms: number): void {
    this.heldUntil = Math.max(this.heldUntil, Date.now() + ms);
  }

  private async sendOnce(batch: OutgoingPunch[]): Promise<SendResult> {
    try {
      return await this.publisher.send(batch, this.abort.signal);
    } catch (error) {
      return { acked: [], rejected: [], error: (error as Error).message };
    }
  }

  /** Records acks and dead letters; returns what is left to retry. */
  private settle(batch: OutgoingPunch[], result: SendResult): OutgoingPunch[] {
    if (this.buffer.isClosed) return [];
    const done = new Set<string>();
    if (result.acked.length > 0) {
      this.buffer.ack(this.sink, result.acked);
      this.options.metrics?.published.inc({ sink: this.sink }, result.acked.length);
      this.observeLatency(batch, result.acked);
      for (const id of result.acked) done.add(id);
    }
    if (result.rejected.length > 0) {
      this.buffer.deadLetter(this.sink, result.rejected);
      const tooLarge = result.rejected.filter((r) => r.tooLarge).length;
      if (tooLarge > 0) this.options.metrics?.deadLettered.inc({ sink: this.sink, reason: 'too-large' satisfies DeadLetterReason }, tooLarge);
      if (tooLarge < result.rejected.length) this.options.metrics?.deadLettered.inc({ sink: this.sink, reason: 'refused' satisfies DeadLetterReason }, result.rejected.length - tooLarge);
      this.rejectionLog.error('rejected', { code: 'GW_ERR_SINK_REJECTED', rejected: result.rejected.slice(0, 10).map(({ id, reason }) => ({ id, reason })), count: result.rejected.length }, 'sink rejected punches; moved to dead letters');
      for (const r of result.rejected) done.add(r.id);
    }
    return batch.filter((p) => !done.has(p.id));
  }

  private observeLatency(batch: OutgoingPunch[], acked: string[]): void {
    const histogram = this.options.metrics?.publishLatency;
    if (!histogram) return;
    const ackedSet = acked.length === batch.length ? undefined : new Set(acked);
    const now = Date.now();
    const observe = histogram.labels({ sink: this.sink });
    // punches of one batch were mostly committed together: parse each distinct receivedAt once
    let lastText = '';
    let lastMs = 0;
    for (const punch of batch) {
      if (ackedSet && !ackedSet.has(punch.id)) continue;
      if (punch.receivedAt !== lastText) {
        lastText = punch.receivedAt;
        lastMs = Date.parse(lastText);
      }
      observe.observe((now - lastMs) / 1000);
    }
  }

  private async waitForWork(maxMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, maxMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  private async sleep(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.waits.signal });
    } catch {
      // aborted by stop()
    }
  }

  /** Stops taking batches; waits up to timeoutMs for in-flight ones, then aborts them. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    this.waits.abort();
    this.buffer.off('committed', this.onCommitted);
    this.offAvailable?.();
    this.wake?.();
    await this.loop;
    if (this.inFlight.size > 0) {
      const settled = Promise.allSettled([...this.inFlight]);
      const timer = setTimeout(() => this.abort.abort(), timeoutMs);
      await settled;
      clearTimeout(timer);
    }
    this.abort.abort();
    this.rejectionLog.flush();
  }
}
