// Dispatcher (src/publish/dispatcher.ts) on its own: a real SQLite buffer (in memory) and a
// scripted publisher that answers each send as the test says. What is asserted is what the
// dispatcher decided (batches and their order, acks, dead letters, the wait it computed, read from
// its log line), never how long something took; the waits themselves are kept short.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { Dispatcher, type DispatcherOptions } from '../../src/publish/dispatcher.js';
import type { OutgoingPunch } from '../../src/buffer/punchBuffer.js';
import { AvailabilityListeners, type Publisher, type SendResult, type SinkHealth } from '../../src/publish/publisher.js';
import { createMetrics, type Metrics } from '../../src/util/metrics.js';
import { captureLog, type CapturedLog } from '../helpers/logLines.js';
import { MemoryStore } from '../helpers/memoryContext.js';
import { unsequenced } from '../helpers/punches.js';
import { until } from '../helpers/until.js';

type Answer = (batch: OutgoingPunch[], signal: AbortSignal) => SendResult | Promise<SendResult>;

const ackAll: Answer = (batch) => ({ acked: batch.map((p) => p.id), rejected: [] });

/**
 * A publisher whose n-th send is answered by `answers[n]` (then by `otherwise`), recording every
 * batch. It is available until `goDown()`; `comeBack()` makes it available and tells the listeners.
 */
class ScriptedPublisher implements Publisher {
  readonly sink = 'mqtt';
  readonly maxWaitMs = 0;
  readonly sends: { ids: string[]; signal: AbortSignal; atMs: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  otherwise: Answer = ackAll;
  /** how often the dispatcher asked whether the sink is available */
  availabilityChecks = 0;
  private up = true;
  private readonly listeners = new AvailabilityListeners();

  constructor(
    readonly batchSize: number,
    private readonly answers: Answer[] = [],
    readonly concurrency = 1,
  ) {}

  async send(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult> {
    const answer = this.answers[this.sends.length] ?? this.otherwise;
    this.sends.push({ ids: batch.map((p) => p.id), signal, atMs: performance.now() });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await answer(batch, signal);
    } finally {
      this.inFlight -= 1;
    }
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  health(): SinkHealth {
    return { sink: this.sink, connected: this.up, halted: null, lastError: null, lastSuccessAt: null };
  }

  get available(): boolean {
    this.availabilityChecks += 1;
    return this.up;
  }

  onAvailable(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  goDown(): void {
    this.up = false;
  }

  comeBack(): void {
    this.up = true;
    this.listeners.notify((error) => {
      throw error;
    });
  }
}

let store: MemoryStore;
let buffer: SqlitePunchBuffer;
let capture: CapturedLog;
let metrics: Metrics;
let dispatcher: Dispatcher | undefined;

beforeEach(() => {
  store = new MemoryStore({ sinks: ['mqtt'] });
  buffer = store.buffer;
  capture = captureLog('debug');
  metrics = createMetrics();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await dispatcher?.stop(1000);
  dispatcher = undefined;
  store.close();
});

/** Commits `count` punches and returns their ids in seq order. */
async function commitPunches(count: number, from = 0): Promise<string[]> {
  await buffer.commit({ punches: Array.from({ length: count }, (_, i) => unsequenced(from + i)) });
  return store.punches().slice(-count).map((p) => p.id);
}

function start(publisher: Publisher, options: Partial<DispatcherOptions> = {}): Dispatcher {
  dispatcher = new Dispatcher({ buffer, publisher, log: capture.log, metrics, backoffBaseMs: 10, backoffMaxMs: 50, idlePollMs: 50, ...options });
  dispatcher.start();
  return dispatcher;
}

const ackedSeq = (): number => buffer.ackedSeqs().get('mqtt') ?? 0;
/** the waits the dispatcher computed after failed batches, from its log */
const retryWaits = (code: string): number[] => capture.withCode(code).map((line) => line.retryInMs as number);
const counter = async (metric: Metrics['deadLettered'], labels: Record<string, string>): Promise<number> =>
  (await metric.get()).values.find((v) => Object.entries(labels).every(([k, value]) => (v.labels as Record<string, unknown>)[k] === value))?.value ?? 0;

describe('Dispatcher: order and acks', () => {
  it('sends batches in commit order and acks exactly what the publisher acked', async () => {
    const ids = await commitPunches(9);
    const publisher = new ScriptedPublisher(3);
    start(publisher);
    await until(() => ackedSeq() === 9, 'every punch acked');
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6, 9)]);
    expect(await counter(metrics.published, { sink: 'mqtt' })).toBe(9);
  });

  it('acks only the acked ids of a partly delivered batch and sends the rest again, oldest first', async () => {
    const ids = await commitPunches(6);
    const [p0, p1, p2, p3, p4, p5] = ids as [string, string, string, string, string, string];
    let cursorAtRetry: number | undefined;
    const publisher = new ScriptedPublisher(4, [
      // the first batch: two of four acknowledged, the others unanswered
      () => ({ acked: [p0, p2], rejected: [], error: 'two PUBACKs missing' }),
      (batch) => {
        cursorAtRetry = ackedSeq();
        return ackAll(batch, new AbortController().signal);
      },
    ]);
    start(publisher);
    await until(() => ackedSeq() === 6, 'every punch acked');
    expect(publisher.sends[0]?.ids).toEqual([p0, p1, p2, p3]);
    // the cursor moved over p0 only: p1 was not acked, so p2's ack does not count towards it
    expect(cursorAtRetry).toBe(1);
    // rewound to the acked cursor: the oldest undelivered punch leads the next batch; p2 goes again
    // (a duplicate at-least-once allows), never a newer punch ahead of p1
    expect(publisher.sends[1]?.ids).toEqual([p1, p2, p3, p4]);
    expect(publisher.sends[2]?.ids).toEqual([p5]);
    expect(publisher.sends).toHaveLength(3);
    expect(buffer.deadLetters('mqtt')).toEqual([]);
  });

  it('rewinds after a failed batch: nothing newer is sent until the failed punches go again', async () => {
    const ids = await commitPunches(6);
    const publisher = new ScriptedPublisher(2, [() => ({ acked: [], rejected: [], error: 'broker gone' }), () => ({ acked: [], rejected: [], error: 'broker gone' })]);
    start(publisher);
    await until(() => ackedSeq() === 6, 'every punch acked');
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids.slice(0, 2), ids.slice(0, 2), ids.slice(0, 2), ids.slice(2, 4), ids.slice(4, 6)]);
    // one backoff step per failure, from the base
    expect(retryWaits('GW_ERR_SINK_UNREACHABLE')).toHaveLength(2);
  });

  it('keeps commit order with several batches in flight, and at most `concurrency` of them', async () => {
    const ids = await commitPunches(12);
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Answer = async (batch) => {
      await gate;
      return ackAll(batch, new AbortController().signal);
    };
    const publisher = new ScriptedPublisher(2, [], 2);
    publisher.otherwise = slow;
    start(publisher);
    await until(() => publisher.inFlight === 2, 'two batches in flight');
    release?.();
    await until(() => ackedSeq() === 12, 'every punch acked');
    expect(publisher.maxInFlight).toBe(2);
    expect(publisher.sends.flatMap((s) => s.ids)).toEqual(ids);
  });
});

describe('Dispatcher: dead letters', () => {
  it('dead-letters only the ids the publisher rejected, with their reason; the unanswered rest is retried', async () => {
    const [p0, p1, p2, p3] = (await commitPunches(4)) as [string, string, string, string];
    const publisher = new ScriptedPublisher(4, [
      () => ({ acked: [p0, p2], rejected: [{ id: p1, reason: 'schema: no such device' }, { id: p3, reason: 'HTTP 413', tooLarge: true }], error: undefined }),
    ]);
    start(publisher);
    await until(() => ackedSeq() === 4, 'cursor past every punch');
    expect(buffer.deadLetters('mqtt').map((d) => [d.punchId, d.reason]).sort()).toEqual([[p1, 'schema: no such device'], [p3, 'HTTP 413']].sort());
    expect(publisher.sends).toHaveLength(1);
    expect(await counter(metrics.deadLettered, { sink: 'mqtt', reason: 'refused' })).toBe(1);
    expect(await counter(metrics.deadLettered, { sink: 'mqtt', reason: 'too-large' })).toBe(1);
    expect(capture.withCode('GW_ERR_SINK_REJECTED')).toHaveLength(1);
  });

  it('a batch that neither acked nor rejected an id dead-letters nothing', async () => {
    const ids = await commitPunches(3);
    const publisher = new ScriptedPublisher(3, [() => ({ acked: [], rejected: [], error: 'timeout' })]);
    start(publisher);
    await until(() => ackedSeq() === 3, 'delivered on the retry');
    expect(buffer.deadLetters('mqtt')).toEqual([]);
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids, ids]);
  });
});

describe('Dispatcher: waits', () => {
  it('waits at least Retry-After, even when the backoff would be shorter', async () => {
    const ids = await commitPunches(2);
    const publisher = new ScriptedPublisher(2, [() => ({ acked: [], rejected: [], retryAfterMs: 300, error: 'HTTP 429' })]);
    start(publisher, { backoffBaseMs: 10, backoffMaxMs: 20 });
    await until(() => ackedSeq() === 2, 'delivered after the wait');
    expect(retryWaits('GW_ERR_SINK_UNREACHABLE')).toEqual([300]);
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids, ids]);
  });

  it('keeps the longer backoff when it exceeds Retry-After', async () => {
    await commitPunches(2);
    vi.spyOn(Math, 'random').mockReturnValue(0.999); // full jitter at its top: the backoff ceiling
    const publisher = new ScriptedPublisher(2, [() => ({ acked: [], rejected: [], retryAfterMs: 300, error: 'HTTP 503' })]);
    start(publisher, { backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    await until(() => retryWaits('GW_ERR_SINK_UNREACHABLE').length === 1, 'the retry planned');
    const [wait] = retryWaits('GW_ERR_SINK_UNREACHABLE');
    expect(wait).toBeGreaterThanOrEqual(300);
    expect(wait).toBe(59_940);
    expect(publisher.sends).toHaveLength(1);
  });

  it('a failed batch that still acked something starts the backoff again from its base', async () => {
    const [p0] = (await commitPunches(3)) as [string, string, string];
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const fail: Answer = () => ({ acked: [], rejected: [], error: 'gone' });
    const publisher = new ScriptedPublisher(3, [fail, fail, () => ({ acked: [p0], rejected: [], error: 'gone again' })]);
    start(publisher, { backoffBaseMs: 20, backoffMaxMs: 1000 });
    await until(() => ackedSeq() === 3, 'delivered');
    // 20, 40 (doubling), then progress: back to the base
    expect(retryWaits('GW_ERR_SINK_UNREACHABLE')).toEqual([20, 40, 20]);
  });

  it('halts on refused credentials, keeps every punch, and tries again after authRetryMs', async () => {
    const ids = await commitPunches(3);
    const publisher = new ScriptedPublisher(3, [() => ({ acked: [], rejected: [], halt: 'auth', error: 'HTTP 401' })]);
    start(publisher, { authRetryMs: 300 });
    await until(() => capture.withCode('GW_ERR_SINK_AUTH').length === 1, 'the halt logged');
    expect(retryWaits('GW_ERR_SINK_AUTH')).toEqual([300]);
    const more = await commitPunches(1, 100); // a commit wakes the loop; the sink stays held
    await until(() => ackedSeq() === 4, 'delivered after the hold');
    // the send after the refused one waited out the hold: both instants taken by the publisher itself
    // (a lower bound that a 300 ms timer guarantees, not a measure of speed)
    expect(publisher.sends[1]!.atMs - publisher.sends[0]!.atMs).toBeGreaterThanOrEqual(290);
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids, ids, more]);
    expect(buffer.deadLetters('mqtt')).toEqual([]);
    expect(retryWaits('GW_ERR_SINK_UNREACHABLE')).toEqual([]);
  });
});

const sendFailures = async (): Promise<number> => (await metrics.sendFailures.get()).values.find((v) => v.labels.sink === 'mqtt')?.value ?? 0;

describe('Dispatcher: a sink that is down, and comes back', () => {
  it('sends nothing and counts no failure while the sink is down, and drains the moment it is back', async () => {
    const ids = await commitPunches(4);
    const publisher = new ScriptedPublisher(2);
    publisher.goDown();
    start(publisher);
    // idle polls and commits wake the loop: it looks at the sink again and again, and sends nothing
    await until(() => publisher.availabilityChecks >= 3 || publisher.sends.length > 0, 'the dispatcher looked at the sink');
    const more = await commitPunches(1, 100);
    const checks = publisher.availabilityChecks;
    await until(() => publisher.availabilityChecks >= checks + 3 || publisher.sends.length > 0, 'the dispatcher looked again after the commit');
    expect(publisher.sends).toEqual([]);
    expect(await sendFailures()).toBe(0);
    expect(capture.lines.filter((l) => l.level === 40 || l.level === 50)).toEqual([]);

    publisher.comeBack();
    await until(() => ackedSeq() === 5, 'the backlog delivered');
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids.slice(0, 2), ids.slice(2, 4), more]);
    expect(await sendFailures()).toBe(0);
  });

  it('a sink that comes back drains at once, while the retry timer armed before its outage is still pending', async () => {
    const ids = await commitPunches(3);
    vi.spyOn(Math, 'random').mockReturnValue(0.999); // full jitter at its top: the backoff ceiling
    const publisher = new ScriptedPublisher(3, [() => ({ acked: [], rejected: [], error: 'HTTP 503' })]);
    const startedAt = Date.now();
    start(publisher, { backoffBaseMs: 600_000, backoffMaxMs: 600_000 });
    await until(() => retryWaits('GW_ERR_SINK_UNREACHABLE').length === 1, 'the retry planned');
    const [waitMs] = retryWaits('GW_ERR_SINK_UNREACHABLE') as [number];
    expect(waitMs).toBe(599_400);
    // the timer was armed after startedAt: it cannot fire before this
    const retryDueAt = startedAt + waitMs;

    publisher.goDown();
    const more = await commitPunches(2, 100);
    publisher.comeBack();
    await until(() => ackedSeq() === 5, 'the backlog delivered on the return');
    expect(Date.now()).toBeLessThan(retryDueAt);
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids, ids, more]);
    expect(await sendFailures()).toBe(1);
  });

  it('a batch the sink went away under is counted once, arms no timer, and goes again first when the sink is back', async () => {
    const ids = await commitPunches(3);
    const publisher = new ScriptedPublisher(3, [
      () => {
        publisher.goDown();
        return { acked: [], rejected: [], error: 'connection to the broker lost' };
      },
    ]);
    start(publisher, { backoffBaseMs: 600_000, backoffMaxMs: 600_000 });
    await until(() => capture.withCode('GW_ERR_SINK_UNREACHABLE').length === 1, 'the failure logged');
    const [line] = capture.withCode('GW_ERR_SINK_UNREACHABLE');
    expect(line).toMatchObject({ pending: 3, error: 'connection to the broker lost' });
    expect(line?.retryInMs).toBeUndefined();
    const checks = publisher.availabilityChecks;
    await until(() => publisher.availabilityChecks >= checks + 3 || publisher.sends.length > 1, 'the dispatcher looked at the sink again');
    expect(publisher.sends).toHaveLength(1);

    publisher.comeBack();
    await until(() => ackedSeq() === 3, 'delivered on the return');
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids, ids]);
    expect(await sendFailures()).toBe(1);
    expect(capture.withCode('GW_ERR_SINK_UNREACHABLE')).toHaveLength(1);
  });
});

describe('Dispatcher: a batch in flight across an outage', () => {
  it('keeps commit order: nothing newer goes while a batch sent before the return is still out, which goes again first', async () => {
    const first = await commitPunches(2);
    let fail: (() => void) | undefined;
    const publisher = new ScriptedPublisher(
      2,
      [
        // sent before the outage, answered only after the sink is back: the connection it went out on died
        () => new Promise<SendResult>((resolve) => (fail = () => resolve({ acked: [], rejected: [], error: 'connection to the broker lost' }))),
      ],
      2,
    );
    start(publisher, { backoffBaseMs: 600_000, backoffMaxMs: 600_000 });
    await until(() => publisher.inFlight === 1, 'the first batch in flight');
    publisher.goDown();
    publisher.comeBack();
    const newer = await commitPunches(2, 100);
    // the sink is back and a slot is free, yet nothing newer may overtake the batch still out
    const checks = publisher.availabilityChecks;
    await until(() => publisher.availabilityChecks >= checks + 3 || publisher.sends.length > 1, 'the dispatcher looked at the sink again');
    expect(publisher.sends).toHaveLength(1);
    fail?.();
    await until(() => ackedSeq() === 4, 'everything delivered');
    expect(publisher.sends.map((s) => s.ids)).toEqual([first, first, newer]);
  });
});

describe('Dispatcher: stop', () => {
  it('lets an in-flight batch finish and records its acks', async () => {
    const ids = await commitPunches(2);
    let release: (() => void) | undefined;
    const publisher = new ScriptedPublisher(2, [
      async (batch) => {
        await new Promise<void>((resolve) => (release = resolve));
        return ackAll(batch, new AbortController().signal);
      },
    ]);
    const d = start(publisher);
    await until(() => publisher.inFlight === 1, 'a batch in flight');
    const stopping = d.stop(5000);
    release?.();
    await stopping;
    dispatcher = undefined;
    expect(ackedSeq()).toBe(2);
    expect(publisher.sends[0]?.signal.aborted).toBe(true); // aborted only after it settled (stop's last step)
    expect(publisher.sends.map((s) => s.ids)).toEqual([ids]);
  });

  it('aborts an in-flight batch after the timeout; its punches go again after the next start', async () => {
    const ids = await commitPunches(2);
    let abortedWhileInFlight = false;
    const hang: Answer = (_batch, signal) =>
      new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          abortedWhileInFlight = true;
          resolve({ acked: [], rejected: [], error: 'aborted' });
        }, { once: true });
      });
    const first = new ScriptedPublisher(2, [hang]);
    const d = start(first);
    await until(() => first.inFlight === 1, 'a batch in flight');
    await d.stop(100);
    dispatcher = undefined;
    expect(abortedWhileInFlight).toBe(true);
    expect(ackedSeq()).toBe(0);
    expect(buffer.deadLetters('mqtt')).toEqual([]);
    // at-least-once: a new dispatcher on the same buffer (after a restart) sends them again
    buffer.rewind('mqtt');
    const second = new ScriptedPublisher(2);
    start(second);
    await until(() => ackedSeq() === 2, 'sent again');
    expect(second.sends.map((s) => s.ids)).toEqual([ids]);
  });

  it('takes no new batch once stopping', async () => {
    await commitPunches(4);
    let release: (() => void) | undefined;
    const publisher = new ScriptedPublisher(2, [
      async (batch) => {
        await new Promise<void>((resolve) => (release = resolve));
        return ackAll(batch, new AbortController().signal);
      },
    ]);
    const d = start(publisher);
    await until(() => publisher.inFlight === 1, 'a batch in flight');
    const stopping = d.stop(5000);
    release?.();
    await stopping;
    dispatcher = undefined;
    expect(publisher.sends).toHaveLength(1);
    expect(ackedSeq()).toBe(2);
  });
});
