// The completeness watermark end to end on a real Gateway: a zk-tcp simulator over loopback, the
// SQLite buffer in a temp directory, an Aedes broker. The retained `{prefix}/{site}/{deviceId}/watermark`
// carries a watermark/v1 (validated by its zod schema) that a late subscriber still gets; the same
// object is in /api/devices, its time in /metrics and on the status page's data; a restarted
// gateway republishes it from the buffer to a broker that never saw it; a device that proves none
// has no topic, no field, no series.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../../src/api/app.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { watermarkSchema, type Watermark } from '../../src/punch/watermark.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { collect, startAedes, until, type Collector, type TestBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let sim: ZkTcpSimulator;
const brokers: TestBroker[] = [];
const gateways: Gateway[] = [];
const collectors: Collector[] = [];
const apps: FastifyInstance[] = [];

beforeEach(async () => {
  tmp = tempDir();
  sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, records: 30, serial: 'CQZ7232260123' });
  await sim.start();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const c of collectors.splice(0)) await c.close();
  for (const gw of gateways.splice(0)) await gw.stop();
  for (const b of brokers.splice(0)) await b.close();
  await sim.stop();
  tmp.cleanup();
});

const SITE = 'BKPP';

async function broker(): Promise<TestBroker> {
  const b = await startAedes();
  brokers.push(b);
  return b;
}

async function gateway(mqttUrl: string): Promise<Gateway> {
  const yaml = [
    'gateway: { id: oki-bkpp-01, site: BKPP, timezone: Asia/Jakarta, logLevel: silent, dataDir: ' + tmp.dir + ' }',
    'devices:',
    `  - { id: lobby-1, driver: zk-tcp, host: 127.0.0.1, port: ${sim.address.port}, realtime: false, pollInterval: 1h, timeout: 1s }`,
    '  - { id: hall-face, driver: zk-push, serial: CQZ7232260999 }',
    'pushListener: { listen: 127.0.0.1:0 }',
    'publish:',
    '  mqtt:',
    `    url: ${mqttUrl}`,
    '    reconnectMin: 100ms',
    '    reconnectMax: 300ms',
    'supervisor: { restartMin: 50ms, restartMax: 200ms, shutdownTimeout: 2s }',
    '',
  ].join('\n');
  const config = parseConfigText(yaml, 'watermark.yaml', { drivers: BUILTIN_DRIVERS });
  const gw = new Gateway(config, { log: silentLogger(), drivers: BUILTIN_DRIVERS });
  gateways.push(gw);
  await gw.start();
  return gw;
}

async function subscribe(url: string): Promise<Collector> {
  const c = await collect(url, `absensi/${SITE}/+/watermark`);
  collectors.push(c);
  return c;
}

const watermarksIn = (c: Collector): { topic: string; retain: boolean; watermark: Watermark }[] =>
  c.messages.filter((m) => m.payload !== '').map((m) => ({ topic: m.topic, retain: m.retain, watermark: watermarkSchema.parse(JSON.parse(m.payload)) }));

describe('watermark publishing', () => {
  it('retains a watermark/v1 per proving device, the same object /api/devices and /metrics show', async () => {
    const b = await broker();
    const live = await subscribe(b.url);
    const gw = await gateway(b.url);
    await until(() => live.messages.length > 0, 15_000, 'a watermark message');
    const [first] = watermarksIn(live);
    expect(first?.topic).toBe(`absensi/${SITE}/lobby-1/watermark`);
    expect(first?.watermark).toMatchObject({ schema: 'watermark/v1', gateway: 'oki-bkpp-01', site: 'BKPP', device: 'lobby-1', basis: 'download', seqThrough: 30 });
    expect(first?.watermark.completeThrough).toMatch(/\+07:00$/);

    // retained: a subscriber that comes later still gets it, flagged retained
    const late = await subscribe(b.url);
    await until(() => late.messages.length > 0, 5000, 'the retained watermark');
    expect(watermarksIn(late)).toEqual([{ topic: `absensi/${SITE}/lobby-1/watermark`, retain: true, watermark: first!.watermark }]);

    const app = await buildApiApp({ view: gw.view, token: undefined, log: silentLogger() });
    apps.push(app);
    const devices = (await app.inject({ method: 'GET', url: '/api/devices' })).json() as { devices: { id: string; watermark: unknown; watermarkFrozen: unknown }[] };
    expect(devices.devices.find((d) => d.id === 'lobby-1')).toMatchObject({ watermark: first!.watermark, watermarkFrozen: null });
    expect(devices.devices.find((d) => d.id === 'hall-face')).toMatchObject({ watermark: null, watermarkFrozen: null });

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const series = metrics.split('\n').filter((line) => line.startsWith('gateway_device_complete_through_seconds{'));
    expect(series).toEqual([`gateway_device_complete_through_seconds{device="lobby-1"} ${Date.parse(first!.watermark.completeThrough) / 1000}`]);
  });

  it('a restarted gateway republishes the watermark it keeps in the buffer, also to a broker that never saw it', async () => {
    const b1 = await broker();
    const gw1 = await gateway(b1.url);
    await until(() => gw1.watermarkOf('lobby-1') !== undefined, 15_000, 'a proven watermark');
    const proven = gw1.watermarkOf('lobby-1')!;
    await gw1.stop();
    gateways.splice(0);
    // the terminal is gone now: nothing new can be proven, only the kept one published
    await sim.stop();
    const b2 = await broker();
    const fresh = await subscribe(b2.url);
    await gateway(b2.url);
    await until(() => fresh.messages.length > 0, 15_000, 'the republished watermark');
    expect(watermarksIn(fresh).map((m) => m.watermark)).toEqual([proven]);
    sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0 });
    await sim.start();
  });

  it('republishes after every reconnect: a broker that lost it has it again', async () => {
    const b = await broker();
    const gw = await gateway(b.url);
    await until(() => gw.watermarkOf('lobby-1') !== undefined, 15_000, 'a proven watermark');
    // the broker forgets the retained watermark (an empty retained message clears it)
    const eraser = await collect(b.url, 'absensi/none');
    collectors.push(eraser);
    await eraser.client.publishAsync(`absensi/${SITE}/lobby-1/watermark`, '', { qos: 1, retain: true });
    const live = await subscribe(b.url);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(watermarksIn(live)).toEqual([]);
    await b.stop();
    await b.restart();
    await live.waitFor(() => watermarksIn(live).length > 0, 10_000);
    expect(watermarksIn(live).map((m) => m.watermark)).toEqual([gw.watermarkOf('lobby-1')]);
  });
});
