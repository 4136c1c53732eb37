// Wake on reconnect (issue 17): the real SQLite buffer, dispatcher and publishers against the
// in-process Aedes broker and the loopback HTTPS receiver, all on 127.0.0.1. A sink that is down
// gets no send and no failure counted; a sink that comes back gets its backlog at once.
// The dispatcher's backoff is set to ten minutes with the jitter at its top, so any retry timer it
// arms would fire only after the test's own timeout: a backlog delivered at all was delivered
// before that timer could have fired, and the tests also check it against the timer's due time.
// Nothing here asserts how long something took.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { Dispatcher } from '../../src/publish/dispatcher.js';
import { HttpsPublisher } from '../../src/publish/httpsPublisher.js';
import { MqttPublisher } from '../../src/publish/mqttPublisher.js';
import type { Publisher } from '../../src/publish/publisher.js';
import { createMetrics, type Metrics } from '../../src/util/metrics.js';
import { startAedes } from '../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { captureLog, type CapturedLog } from '../helpers/logLines.js';
import { unsequenced } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { tlsFixture } from '../helpers/tls.js';
import { until } from '../helpers/until.js';

const BACKOFF_MS = 600_000;
/** backoffDelayMs(attempt 0) with Math.random at 0.999: the shortest timer any failure arms */
const SHORTEST_RETRY_MS = Math.ceil(0.999 * BACKOFF_MS);

const cleanups: (() => Promise<void> | void)[] = [];
let logs: CapturedLog;
let metrics: Metrics;

beforeEach(() => {
  vi.spyOn(Math, 'random').mockReturnValue(0.999);
  logs = captureLog('debug');
  metrics = createMetrics();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

function openBuffer(sink: string): SqlitePunchBuffer {
  const tmp = tempDir();
  const buffer = new SqlitePunchBuffer({ file: join(tmp.dir, 'buffer.db'), sinks: [sink], writer: 'inline' });
  cleanups.push(() => tmp.cleanup());
  cleanups.push(() => buffer.close());
  return buffer;
}

function startDispatcher(buffer: SqlitePunchBuffer, publisher: Publisher): Dispatcher {
  const dispatcher = new Dispatcher({ buffer, publisher, log: logs.log, metrics, backoffBaseMs: BACKOFF_MS, backoffMaxMs: BACKOFF_MS, idlePollMs: 100 });
  dispatcher.start();
  cleanups.push(() => dispatcher.stop(2000));
  return dispatcher;
}

let nextPunch = 0;
async function commit(buffer: SqlitePunchBuffer, count: number): Promise<void> {
  await buffer.commit({ punches: Array.from({ length: count }, () => unsequenced(nextPunch++)) });
}

const acked = (buffer: SqlitePunchBuffer, sink: string): number => buffer.ackedSeqs().get(sink) ?? 0;
const sendFailures = async (sink: string): Promise<number> => (await metrics.sendFailures.get()).values.find((v) => v.labels.sink === sink)?.value ?? 0;
const retriesPlanned = (): unknown[] => logs.lines.filter((l) => l.retryInMs !== undefined);
const warnings = (): Record<string, unknown>[] => logs.lines.filter((l) => (l.level as number) >= 40);

async function mqttSink() {
  const broker = await startAedes();
  cleanups.push(() => broker.close());
  const publisher = new MqttPublisher({
    url: broker.url, gateway: 'gw-wake', site: 'WAKE', version: 'test', log: logs.log, clientId: `gw-wake-${process.pid}`, protocolVersion: 4,
    reconnectMinMs: 50, reconnectMaxMs: 200, batchSize: 10,
  });
  await publisher.start();
  cleanups.push(() => publisher.stop());
  return { broker, publisher };
}

describe('MQTT: a broker that is not there yet, or comes back', () => {
  it('a start with a backlog sends nothing and counts no failure before the first CONNACK, then drains', async () => {
    const buffer = openBuffer('mqtt');
    await commit(buffer, 25);
    const startedAt = Date.now();
    const { publisher } = await mqttSink();
    startDispatcher(buffer, publisher);
    await until(() => acked(buffer, 'mqtt') === 25, 'the backlog acked by the broker');
    expect(Date.now()).toBeLessThan(startedAt + SHORTEST_RETRY_MS);
    expect(await sendFailures('mqtt')).toBe(0);
    expect(warnings()).toEqual([]);
  });

  it('after a long outage the backlog goes out on the CONNACK, before any retry timer could have fired', async () => {
    const buffer = openBuffer('mqtt');
    const { broker, publisher } = await mqttSink();
    await until(() => publisher.available, 'connected');
    startDispatcher(buffer, publisher);
    await commit(buffer, 5);
    await until(() => acked(buffer, 'mqtt') === 5, 'delivered before the outage');

    const outageAt = Date.now();
    await broker.stop();
    await until(() => !publisher.available, 'the broker gone');
    await commit(buffer, 30);
    // the outage lasts several reconnect attempts, each refused
    await until(() => logs.lines.filter((l) => l.msg === 'mqtt error').length >= 3, 'three reconnects refused');
    expect(acked(buffer, 'mqtt')).toBe(5);
    await broker.restart();

    await until(() => acked(buffer, 'mqtt') === 35, 'the backlog acked after the return');
    expect(Date.now()).toBeLessThan(outageAt + SHORTEST_RETRY_MS);
    expect(retriesPlanned()).toEqual([]);
    expect(await sendFailures('mqtt')).toBe(0);
    expect(logs.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('batch not delivered'))).toEqual([]);
  });
});

describe('HTTPS: an endpoint that comes back', () => {
  it('resumes at once when its probe gets through, while the retry timer of the failed batch would still be pending', async () => {
    const first = await startHttpsReceiver();
    let receiver: HttpsReceiver = first;
    cleanups.push(() => receiver.close());
    const publisher = new HttpsPublisher({ url: first.url, ca: tlsFixture().ca.cert, gateway: 'gw-wake', site: 'WAKE', log: logs.log, batchSize: 20, maxWaitMs: 0, probeMinMs: 20, probeMaxMs: 100 });
    await publisher.start();
    cleanups.push(() => publisher.stop());
    const buffer = openBuffer('https');
    startDispatcher(buffer, publisher);
    await commit(buffer, 5);
    await until(() => acked(buffer, 'https') === 5, 'delivered before the outage');

    await first.close();
    const outageAt = Date.now();
    await commit(buffer, 15);
    await until(() => !publisher.available, 'the endpoint found unreachable');
    // several probes find it still down; nothing is sent meanwhile
    await until(() => logs.lines.filter((l) => l.msg === 'https endpoint still unreachable').length >= 3, 'three probes refused');
    const failedRequests = logs.lines.filter((l) => l.msg === 'https request failed; batch kept for retry').length;
    expect(failedRequests).toBe(1);

    receiver = await startHttpsReceiver({ port: first.port });
    await until(() => acked(buffer, 'https') === 20, 'the backlog delivered after the return');
    expect(Date.now()).toBeLessThan(outageAt + SHORTEST_RETRY_MS);
    expect(new Set(receiver.acceptedIds).size).toBe(15);
    // the batch that met the outage is counted once; no retry timer was armed for it
    expect(await sendFailures('https')).toBe(1);
    expect(retriesPlanned()).toEqual([]);
    expect(logs.lines.filter((l) => l.msg === 'https request failed; batch kept for retry')).toHaveLength(1);
  });
});
