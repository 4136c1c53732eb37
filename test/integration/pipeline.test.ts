// The whole core: in-test driver → normalize → SQLite → MQTT broker / HTTPS receiver, with the
// delivery failures the contract names. Real broker, real HTTP server, real SQLite files.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import { punchSchema, type Punch } from '../../src/punch/punch.js';
import { silentLogger } from '../../src/util/logger.js';
import { collect, mosquittoInstalled, startAedes, startMosquitto, until, type TestBroker } from '../helpers/broker.js';
import { feedDriver, feeds, startAttempts } from '../helpers/feedDriver.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let receiver: HttpsReceiver | undefined;
const gateways: Gateway[] = [];

beforeEach(async () => {
  tmp = tempDir();
  broker = await startAedes();
  startAttempts.clear();
});
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.stop();
  await broker.close();
  await receiver?.close();
  receiver = undefined;
  tmp.cleanup();
});

interface Setup {
  mqtt?: boolean;
  httpsUrl?: string;
  extraHttps?: string;
  devices?: string;
}

function configYaml(site: string, setup: Setup): string {
  const lines = [
    'gateway:',
    '  id: gw-it',
    `  site: ${site}`,
    `  dataDir: ${join(tmp.dir, 'data')}`,
    '  logLevel: silent',
    'devices:',
    setup.devices ?? '  - {id: dev-a, driver: test-feed}\n  - {id: dev-b, driver: test-feed, timezone: Asia/Jayapura}',
    'publish:',
  ];
  if (setup.mqtt !== false) lines.push('  mqtt:', `    url: ${broker.url}`, `    clientId: gw-${randomUUID()}`, '    reconnectMin: 100ms', '    reconnectMax: 500ms', '    ackTimeout: 5s');
  if (setup.httpsUrl) lines.push('  https:', `    url: ${setup.httpsUrl}`, '    batchSize: 50', '    maxWait: 50ms', '    rejectUnauthorized: false', '    authRetry: 300ms', ...(setup.extraHttps ? [setup.extraHttps] : []));
  lines.push('supervisor:', '  restartMin: 50ms', '  restartMax: 200ms', '  shutdownTimeout: 2s');
  return `${lines.join('\n')}\n`;
}

async function startGateway(site: string, setup: Setup = {}): Promise<Gateway> {
  const config = parseConfigText(configYaml(site, setup), 'it.yaml', { drivers: [feedDriver] });
  const gateway = new Gateway(config, { log: silentLogger(), drivers: [feedDriver], api: false });
  gateways.push(gateway);
  await gateway.start();
  await until(() => feeds.has('dev-a'), 10_000, 'driver start');
  return gateway;
}

async function stopGateway(gateway: Gateway): Promise<void> {
  gateways.splice(gateways.indexOf(gateway), 1);
  await gateway.stop();
}

function drained(gateway: Gateway): boolean {
  return gateway.buffer.stats().sinks.every((s) => s.pending === 0);
}

describe('pipeline', () => {
  it.for(['aedes', 'mosquitto'])('loses nothing when the broker (%s) goes away mid-stream and comes back', async (kind, ctx) => {
    if (kind === 'mosquitto') {
      if (!mosquittoInstalled()) return ctx.skip();
      await broker.close();
      broker = await startMosquitto(tmp.dir, undefined, { persistent: true });
    }
    const site = `S${randomUUID().slice(0, 6)}`;
    const gateway = await startGateway(site);
    // a central consumer with a persistent session: the broker queues for it while it is away
    const sub = await collect(broker.url, `absensi/${site}/+/punch`, 4, `central-${site}`);
    const total = 600;
    const feed = feeds.get('dev-a')!;
    for (let i = 0; i < total; i += 20) {
      await feed.push(Array.from({ length: 20 }, (_, k) => rawPunch(i + k)));
      if (i === 200) await broker.stop();
      if (i === 400) await broker.restart();
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => drained(gateway), 30_000, 'drain after outage');
    await until(() => new Set(sub.messages.map((m) => (JSON.parse(m.payload) as Punch).id)).size >= total, 30_000, 'every punch at the subscriber');
    const received = sub.messages.map((m) => JSON.parse(m.payload) as Punch);
    expect(new Set(received.map((p) => p.id)).size).toBe(total);
    // duplicates, if any, are byte-identical re-sends of the same punch
    const byId = new Map<string, string>();
    for (const m of sub.messages) {
      const id = (JSON.parse(m.payload) as Punch).id;
      expect(byId.get(id) ?? m.payload).toBe(m.payload);
      byId.set(id, m.payload);
    }
    expect(gateway.buffer.stats().sinks[0]).toMatchObject({ pending: 0, ackedSeq: total });
    await sub.close();
  });

  it('delivers every punch to MQTT as valid punch/v1 with the device zone', async () => {
    const site = `S${randomUUID().slice(0, 6)}`;
    const gateway = await startGateway(site);
    const sub = await collect(broker.url, `absensi/${site}/+/punch`);
    await feeds.get('dev-a')!.push(Array.from({ length: 30 }, (_, i) => rawPunch(i)));
    await feeds.get('dev-b')!.push([rawPunch(1, { localTime: '2026-01-19T07:31:05', pin: '00042' })]);
    await sub.waitFor((n) => n >= 31);
    const received = sub.messages.map((m) => punchSchema.parse(JSON.parse(m.payload)));
    expect(new Set(received.map((p) => p.id)).size).toBe(31);
    const fromB = received.find((p) => p.device.id === 'dev-b') as Punch;
    expect(fromB).toMatchObject({ pin: '00042', time: '2026-01-19T07:31:05+09:00', utc: '2026-01-18T22:31:05Z', device: { serial: 'SN-dev-b', protocol: 'test-feed', model: 'FeedSim' } });
    await until(() => drained(gateway), 5000, 'acks');
    await sub.close();
    // the retained device status says who the device is and when it last had a punch
    const status = await collect(broker.url, `absensi/${site}/dev-b/status`);
    await until(() => status.messages.some((m) => JSON.parse(m.payload).lastPunchAt !== null), 5000, 'device status');
    expect(JSON.parse(status.messages.at(-1)!.payload)).toMatchObject({ online: true, serial: 'SN-dev-b', model: 'FeedSim', lastPunchAt: '2026-01-18T22:31:05Z' });
    await status.close();
    await new Promise((r) => setTimeout(r, 1100)); // let any throttled trailing publish pass
    const late = await collect(broker.url, `absensi/${site}/dev-b/status`);
    await late.waitFor((n) => n >= 1);
    expect(late.messages[0]).toMatchObject({ retain: true });
    await late.close();
  });

  it('resumes from the cursor after a restart with a non-empty buffer', async () => {
    const site = `S${randomUUID().slice(0, 6)}`;
    await broker.stop();
    let gateway = await startGateway(site);
    await feeds.get('dev-a')!.push(Array.from({ length: 40 }, (_, i) => rawPunch(i)));
    expect(gateway.buffer.stats().sinks[0]?.pending).toBe(40);
    await stopGateway(gateway);
    await broker.restart();
    const sub = await collect(broker.url, `absensi/${site}/+/punch`);
    gateway = await startGateway(site);
    await sub.waitFor((n) => n >= 40);
    await until(() => drained(gateway), 10_000, 'drain');
    expect(new Set(sub.messages.map((m) => (JSON.parse(m.payload) as Punch).id)).size).toBe(40);
    expect(sub.messages.map((m) => (JSON.parse(m.payload) as Punch).seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await sub.close();
  });

  it('quarantines impossible timestamps, counts them, and keeps them out of the stream', async () => {
    const site = `S${randomUUID().slice(0, 6)}`;
    const gateway = await startGateway(site);
    const result = await feeds.get('dev-a')!.ctx.emitMany([rawPunch(1, { localTime: '1999-01-01T00:00:00' }), rawPunch(2, { localTime: '2099-01-01T00:00:00' }), rawPunch(3)]);
    expect(result).toEqual({ inserted: 1, duplicates: 0, quarantined: 2 });
    expect(gateway.buffer.stats().quarantined).toBe(2);
    const metrics = await gateway.metrics.registry.getSingleMetricAsString('gateway_punches_quarantined_total');
    expect(metrics).toMatch(/reason="time-before-2000"} 1/);
    expect(metrics).toMatch(/reason="time-in-future"} 1/);
  });

  it('restarts a driver that fails to start, with backoff, and the daemon keeps running', async () => {
    const site = `S${randomUUID().slice(0, 6)}`;
    const gateway = await startGateway(site, { devices: '  - {id: dev-a, driver: test-feed}\n  - {id: dev-flaky, driver: test-feed, failStarts: 3}' });
    await until(() => feeds.has('dev-flaky'), 10_000, 'flaky driver eventually starts');
    expect(startAttempts.get('dev-flaky')).toBe(4);
    expect(gateway.states.get('dev-flaky')?.restarts).toBe(3);
  });
});

describe('pipeline to HTTPS', () => {
  it('delivers to MQTT and HTTPS independently; each sink has its own cursor', async () => {
    receiver = await startHttpsReceiver({ tls: true });
    const site = `S${randomUUID().slice(0, 6)}`;
    const gateway = await startGateway(site, { httpsUrl: receiver.url });
    const sub = await collect(broker.url, `absensi/${site}/+/punch`);
    await feeds.get('dev-a')!.push(Array.from({ length: 120 }, (_, i) => rawPunch(i)));
    await until(() => drained(gateway), 15_000, 'both sinks drained');
    await sub.waitFor((n) => n >= 120);
    expect(new Set(receiver.acceptedIds).size).toBe(120);
    const body = receiver.requests[0]!.json as { schema: string; gateway: string; site: string; punches: Punch[] };
    expect(body).toMatchObject({ schema: 'punch-batch/v1', gateway: 'gw-it', site });
    expect(receiver.requests[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f]+$/);
    await sub.close();
  });

  it('retries 500 and 429 (honouring Retry-After), dead-letters 422 rejections, holds everything on 401', async () => {
    const script = [
      { status: 500 },
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 401 },
    ];
    const statuses: number[] = [];
    receiver = await startHttpsReceiver({
      tls: true,
      respond: (_req, body) => {
        const next = script.shift();
        statuses.push(next?.status ?? 200);
        if (next) return next;
        const punches = (body as { punches: Punch[] }).punches;
        const bad = punches.filter((p) => p.pin === '1007');
        return { status: 200, body: { rejected: bad.map((p) => ({ id: p.id, reason: 'unknown employee' })) } };
      },
    });
    const site = `S${randomUUID().slice(0, 6)}`;
    const gateway = await startGateway(site, { httpsUrl: receiver.url, mqtt: false });
    await feeds.get('dev-a')!.push(Array.from({ length: 20 }, (_, i) => rawPunch(i)));
    await until(() => drained(gateway), 20_000, 'https drained');
    expect(statuses.slice(0, 4)).toEqual([500, 429, 401, 200]);
    const dead = gateway.buffer.deadLetters('https');
    expect(dead).toHaveLength(1);
    expect(dead[0]?.reason).toMatch(/unknown employee/);
    expect(new Set(receiver.acceptedIds).size).toBe(19);
  });

  it('moves a batch refused with 400 to dead letters with the response, and goes on', async () => {
    let calls = 0;
    receiver = await startHttpsReceiver({ tls: true, respond: () => (calls++ === 0 ? { status: 400, body: 'schema mismatch' } : { status: 204 }) });
    const site = `S${randomUUID().slice(0, 6)}`;
    const gateway = await startGateway(site, { httpsUrl: receiver.url, mqtt: false });
    await feeds.get('dev-a')!.push(Array.from({ length: 5 }, (_, i) => rawPunch(i)));
    await until(() => drained(gateway), 10_000, 'drained');
    await feeds.get('dev-a')!.push([rawPunch(99)]);
    await until(() => drained(gateway) && receiver!.requests.length >= 2, 10_000, 'second batch');
    const dead = gateway.buffer.deadLetters('https');
    expect(dead).toHaveLength(5);
    expect(dead[0]?.reason).toMatch(/400.*schema mismatch/);
  });
});
