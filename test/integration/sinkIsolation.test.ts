// One poison punch can never stop the others (issue #15 finding 4; DESIGN.md "Trust at the edge"):
// the real SQLite buffer, dispatcher and publishers against a private Mosquitto with a small
// `max_packet_size` (it announces the limit to MQTT 5 clients and resets 3.1.1 clients that send a
// bigger packet) and a real loopback HTTPS receiver answering 413 above a body size. Every good
// punch of two devices must arrive, in order per device, and the offender alone be dead-lettered.
// The oversize punch is written to the buffer directly (normalize may bound punch sizes itself).
// Without /usr/sbin/mosquitto the Mosquitto cases are skipped (say so); CI has it installed.
import { randomUUID } from 'node:crypto';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { Dispatcher } from '../../src/publish/dispatcher.js';
import { HttpsPublisher } from '../../src/publish/httpsPublisher.js';
import { MqttPublisher } from '../../src/publish/mqttPublisher.js';
import type { Publisher } from '../../src/publish/publisher.js';
import type { UnsequencedPunch } from '../../src/punch/normalize.js';
import type { Punch } from '../../src/punch/punch.js';
import { createLogger } from '../../src/util/logger.js';
import { createMetrics } from '../../src/util/metrics.js';
import { firstArrivalOrderViolations } from '../reliability/arrivalOrder.js';
import { collect, MOSQUITTO_BIN, mosquittoInstalled, startAedes, startMosquitto, until, type Collector } from '../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { unsequenced } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { tlsFixture } from '../helpers/tls.js';

const NO_MOSQUITTO = `${MOSQUITTO_BIN} is not installed: the max_packet_size cases need a real Mosquitto (CI has one)`;
const DEVICES = ['lobby', 'gate'];
const GOOD = 80;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { log: createLogger({ level: 'info', destination: stream }), records: () => lines.flatMap((l) => l.split('\n').filter(Boolean).map((x) => JSON.parse(x) as Record<string, unknown>)) };
}

/** A punch whose `raw` is blown up after normalize, as a punch stored before any size bound would be. */
function oversized(punch: UnsequencedPunch, rawBytes: number): UnsequencedPunch {
  return { ...punch, raw: { ...punch.raw, extra: 'X'.repeat(rawBytes) } };
}

/** GOOD punches alternating between two devices, with the offender committed in their middle. */
async function fillWithPoison(buffer: SqlitePunchBuffer, rawBytes: number): Promise<{ good: UnsequencedPunch[]; poison: UnsequencedPunch }> {
  const good = Array.from({ length: GOOD }, (_, i) => unsequenced(i, DEVICES[i % 2]));
  const poison = oversized(unsequenced(10_000, 'lobby'), rawBytes);
  await buffer.commit({ punches: [...good.slice(0, 30), poison, ...good.slice(30)] });
  return { good, poison };
}

function openBuffer(sink: string): SqlitePunchBuffer {
  const tmp = tempDir();
  const buffer = new SqlitePunchBuffer({ file: join(tmp.dir, 'buffer.db'), sinks: [sink], writer: 'inline' });
  cleanups.push(() => tmp.cleanup());
  cleanups.push(() => buffer.close());
  return buffer;
}

function startDispatcher(buffer: SqlitePunchBuffer, publisher: Publisher, log: ReturnType<typeof memoryLogger>['log']) {
  const metrics = createMetrics();
  const dispatcher = new Dispatcher({ buffer, publisher, log, metrics, backoffBaseMs: 50, backoffMaxMs: 300, idlePollMs: 100 });
  dispatcher.start();
  cleanups.push(() => dispatcher.stop(2000));
  return { dispatcher, metrics };
}

async function deadLetteredTooLarge(metrics: ReturnType<typeof createMetrics>, sink: string): Promise<number> {
  const metric = await metrics.deadLettered.get();
  return metric.values.filter((v) => v.labels.sink === sink && v.labels.reason === 'too-large').reduce((n, v) => n + v.value, 0);
}

function expectInOrderPerDevice(punches: Punch[]): void {
  expect(firstArrivalOrderViolations(punches.map((p) => ({ device: p.device.id, seq: p.seq })))).toEqual([]);
}

/** The centre subscribes on `brokerUrl`; the gateway publishes to `gatewayUrl` (the same broker, maybe through a relay). */
async function mqttSetup(brokerUrl: string, gatewayUrl: string, protocolVersion: 4 | 5) {
  const site = `ISO${randomUUID().slice(0, 6)}`;
  const central = await collect(brokerUrl, `absensi/${site}/+/punch`, protocolVersion);
  cleanups.push(() => central.close());
  const logs = memoryLogger();
  const publisher = new MqttPublisher({
    url: gatewayUrl, gateway: 'gw-iso', site, version: 'test', log: logs.log, clientId: `gw-${site}`, protocolVersion,
    reconnectMinMs: 50, reconnectMaxMs: 200, ackTimeoutMs: 5000, batchSize: 10, maxInFlight: 40,
  });
  await publisher.start();
  cleanups.push(() => publisher.stop());
  await until(() => publisher.connected, 10_000, 'connect');
  return { central, logs, publisher };
}

function centralPunches(central: Collector): Punch[] {
  return central.messages.map((m) => JSON.parse(m.payload) as Punch);
}

const DROPPED_ALONE = /the connection dropped each of the 2 times this \d+-byte PUBLISH was sent alone/;

describe('sink isolation on MQTT: a Mosquitto that limits packets to 2048 bytes', () => {
  it.for([
    { config: 'max_packet_size', protocolVersion: 5 as const, limits: { maxPacketBytes: 2048 }, rule: /exceeds the broker's Maximum Packet Size of 2048 bytes/ },
    { config: 'max_packet_size', protocolVersion: 4 as const, limits: { maxPacketBytes: 2048 }, rule: DROPPED_ALONE },
    { config: 'message_size_limit', protocolVersion: 5 as const, limits: { messageSizeLimitBytes: 2048 }, rule: DROPPED_ALONE },
  ])('$config, MQTT $protocolVersion: every good punch of both devices arrives, in order; the 3 KB punch alone is dead-lettered', { timeout: 60_000 }, async ({ protocolVersion, limits, rule }, t) => {
    if (!mosquittoInstalled()) return t.skip(NO_MOSQUITTO);
    const tmp = tempDir();
    cleanups.push(() => tmp.cleanup());
    const broker = await startMosquitto(tmp.dir, undefined, limits);
    cleanups.push(() => broker.close());
    const { central, logs, publisher } = await mqttSetup(broker.url, broker.url, protocolVersion);
    const buffer = openBuffer('mqtt');
    const { good, poison } = await fillWithPoison(buffer, 3000);
    const { metrics } = startDispatcher(buffer, publisher, logs.log);

    const goodIds = new Set(good.map((p) => p.id));
    await until(() => new Set(centralPunches(central).map((p) => p.id)).size >= GOOD && buffer.deadLetters('mqtt').length > 0, 30_000, 'every good punch at the centre and the offender dead-lettered').catch((error: unknown) => {
      throw new Error(`${new Set(centralPunches(central).map((p) => p.id)).size} of ${GOOD} good punches arrived; dead letters ${buffer.deadLetters('mqtt').length}`, { cause: error });
    });
    await until(() => buffer.backlog().sinks[0]!.pending === 0, 10_000, 'nothing pending');
    const arrived = centralPunches(central);
    expect(new Set(arrived.map((p) => p.id))).toEqual(goodIds);
    expectInOrderPerDevice(arrived);
    const deadLetters = buffer.deadLetters('mqtt');
    expect(deadLetters.map((d) => d.punchId)).toEqual([poison.id]);
    expect(deadLetters[0]?.reason).toMatch(rule);
    expect(await deadLetteredTooLarge(metrics, 'mqtt')).toBe(1);
    const refusal = logs.records().find((r) => r.code === 'GW_ERR_SINK_REJECTED' && r.punchId === poison.id);
    expect(refusal).toMatchObject({ deviceId: 'lobby', punchId: poison.id });
    expect(refusal?.packetBytes).toBeGreaterThan(3000);
    expect(refusal?.limitBytes ?? refusal?.largestAckedBytes).toBeGreaterThan(0);
  });
});

/** A TCP relay in front of a broker that cuts the connection whenever a punch passes, `cuts` times. */
async function cuttingRelay(upstreamPort: number, cuts: { left: number }): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = netConnect({ port: upstreamPort, host: '127.0.0.1' });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      if (cuts.left > 0 && chunk.includes('/punch')) {
        cuts.left -= 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('sink isolation on MQTT: a genuine outage never dead-letters a good punch', () => {
  it('a link that dies whenever punches pass, again and again, delivers everything once it holds, with no dead letter', async () => {
    const aedes = await startAedes();
    cleanups.push(() => aedes.close());
    const cuts = { left: 0 };
    const relay = await cuttingRelay(aedes.port, cuts);
    cleanups.push(() => relay.close());
    const { central, logs, publisher } = await mqttSetup(aedes.url, relay.url, 4);
    const buffer = openBuffer('mqtt');
    // punches of ordinary, varied sizes: some are delivered before the link turns bad
    const punches = Array.from({ length: 120 }, (_, i) => oversized(unsequenced(i, DEVICES[i % 2]), (i * 37) % 200));
    await buffer.commit({ punches: punches.slice(0, 20) });
    startDispatcher(buffer, publisher, logs.log);
    await until(() => central.messages.length >= 20, 20_000, 'the first punches');
    cuts.left = 12;
    await buffer.commit({ punches: punches.slice(20) });
    await until(() => new Set(centralPunches(central).map((p) => p.id)).size >= punches.length, 60_000, 'every punch after the link held');
    expect(cuts.left).toBe(0);
    expect(buffer.deadLetters('mqtt')).toEqual([]);
    expectInOrderPerDevice(centralPunches(central));
  }, 90_000);
});

describe('sink isolation on HTTPS: a receiver answering 413 for bodies over 16 KB', () => {
  it('splits the batch until the 20 KB punch is alone; only it is dead-lettered, every other punch is acked in order', async () => {
    const limitBytes = 16 * 1024;
    const receiver: HttpsReceiver = await startHttpsReceiver({
      respond: (req) => (req.rawBody.length > limitBytes ? { status: 413, body: { error: `body over ${limitBytes} bytes` } } : { status: 200, body: { ok: true } }),
    });
    cleanups.push(() => receiver.close());
    const logs = memoryLogger();
    const publisher = new HttpsPublisher({ url: receiver.url, gateway: 'gw-iso', site: 'ISO', log: logs.log, ca: tlsFixture().ca.cert, batchSize: 20, maxWaitMs: 0 });
    cleanups.push(() => publisher.stop());
    const buffer = openBuffer('https');
    const { good, poison } = await fillWithPoison(buffer, 20_000);
    const { metrics } = startDispatcher(buffer, publisher, logs.log);

    await until(() => new Set(receiver.acceptedIds).size >= GOOD && buffer.deadLetters('https').length > 0, 20_000, 'every good punch accepted and the offender dead-lettered').catch((error: unknown) => {
      throw new Error(`${new Set(receiver.acceptedIds).size} of ${GOOD} good punches accepted; dead letters ${buffer.deadLetters('https').map((d) => d.punchId).join(', ')}`, { cause: error });
    });
    await until(() => buffer.backlog().sinks[0]!.pending === 0, 10_000, 'nothing pending');
    expect(new Set(receiver.acceptedIds)).toEqual(new Set(good.map((p) => p.id)));
    expect(receiver.acceptedIds).not.toContain(poison.id);
    const byId = new Map<string, Punch>();
    for (const request of receiver.requests) for (const p of (request.json as { punches: Punch[] }).punches) byId.set(p.id, p);
    expectInOrderPerDevice(receiver.acceptedIds.map((id) => byId.get(id)!));
    const deadLetters = buffer.deadLetters('https');
    expect(deadLetters.map((d) => d.punchId)).toEqual([poison.id]);
    expect(deadLetters[0]?.reason).toBe(`http 413: {"error":"body over ${limitBytes} bytes"}`);
    // the offender was refused alone
    const alone = receiver.requests.filter((r) => r.punchIds.length === 1 && r.punchIds[0] === poison.id);
    expect(alone.length).toBeGreaterThanOrEqual(1);
    expect(await deadLetteredTooLarge(metrics, 'https')).toBe(1);
    expect(logs.records().find((r) => r.code === 'GW_ERR_SINK_REJECTED' && r.punchId === poison.id)).toMatchObject({ deviceId: 'lobby', status: 413 });
  }, 60_000);
});
