// Each failure the README's "Error codes" table documents, played against the shipped simulators
// and a real broker over loopback, through a whole Gateway: the code the README names is in the
// log lines (what `journalctl … | grep GW_ERR_…` finds) and in the API (`lastError` and
// `lastErrorCode` of /api/devices or /api/queue) (issue 19, finding 1).
// Short configured timeouts only; no assertion on how long anything took.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../../src/api/app.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway, type GatewayDeps } from '../../src/gateway.js';
import { ZkPushSimulator } from '../../src/sim/zkPush/index.js';
import { ZkTcpSimulator, type ZkSimulatorOptions } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../../src/util/net.js';
import { captureLog, type CapturedLog } from '../helpers/logLines.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

/** Resolves once the asynchronous `check()` holds (the test's timeout bounds the wait). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  let holds = false;
  while (!(holds = await check())) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(holds, what).toBe(true);
}

let tmp: ReturnType<typeof tempDir>;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  tmp.cleanup();
});

interface Running {
  gateway: Gateway;
  app: FastifyInstance;
  captured: CapturedLog;
}

/** A Gateway of the built-in drivers on `devices` (YAML list lines), logging into memory at warn. */
async function startGateway(o: { devices: string[]; publish?: string[]; extra?: string[]; deps?: Partial<GatewayDeps> }): Promise<Running> {
  const yaml = [
    'gateway:', '  id: gw-codes', '  site: CODES', `  dataDir: ${join(tmp.dir, 'data')}`,
    'api:', '  listen: 127.0.0.1:0',
    'pushListener:', '  listen: 127.0.0.1:0',
    ...(o.devices.length > 0 ? ['devices:', ...o.devices.map((d) => `  - ${d}`)] : ['devices: []']),
    ...(o.publish ? ['publish:', ...o.publish] : ['publish: {}']),
    ...(o.extra ?? []),
    'supervisor:', '  restartMin: 50ms', '  restartMax: 200ms', '  shutdownTimeout: 2s',
  ].join('\n');
  const config = parseConfigText(`${yaml}\n`, 'codes.yaml', { drivers: BUILTIN_DRIVERS });
  const captured = captureLog('warn');
  const gateway = new Gateway(config, { log: captured.log, drivers: BUILTIN_DRIVERS, api: false, ...o.deps });
  await gateway.start();
  cleanups.push(() => gateway.stop());
  const app = await buildApiApp({ view: gateway.view, token: gateway.config.api.token, log: silentLogger() });
  cleanups.push(() => app.close());
  return { gateway, app, captured };
}

async function zkSim(options: ZkSimulatorOptions = {}): Promise<ZkTcpSimulator> {
  const sim = new ZkTcpSimulator({ udp: false, ...options });
  await sim.start();
  cleanups.push(() => sim.stop());
  return sim;
}

const zkDevice = (sim: ZkTcpSimulator, extra = ''): string => `{id: lobby-1, driver: zk-tcp, host: 127.0.0.1, port: ${sim.address.port}, realtime: false${extra ? `, ${extra}` : ''}}`;

interface DeviceRow { id: string; online: boolean; lastError: string | null; lastErrorCode: string | null; details: Record<string, unknown> }
interface SinkRow { sink: string; lastError: string | null; lastErrorCode: string | null }

async function device(r: Running, id = 'lobby-1'): Promise<DeviceRow | undefined> {
  const body = (await r.app.inject('/api/devices')).json() as { devices: DeviceRow[] };
  return body.devices.find((d) => d.id === id);
}

async function sink(r: Running, name = 'mqtt'): Promise<SinkRow | undefined> {
  const body = (await r.app.inject('/api/queue')).json() as { sinks: SinkRow[] };
  return body.sinks.find((s) => s.sink === name);
}

/** Waits until the device's lastError carries `code`, and returns the row. */
async function deviceErrorCode(r: Running, code: string, id = 'lobby-1'): Promise<DeviceRow> {
  let row: DeviceRow | undefined;
  await eventually(async () => (row = await device(r, id))?.lastErrorCode === code, `${id} lastErrorCode ${code}`);
  return row!;
}

/** An Aedes broker on loopback that refuses every user name and password. */
async function refusingBroker(): Promise<string> {
  const aedes = await Aedes.createBroker({
    authenticate: (_client, _username, _password, done) => done(Object.assign(new Error('bad user name or password'), { returnCode: 4 as const }), false),
  });
  const server: Server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  });
  return `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('every documented failure carries its README code, in the log and the API', () => {
  it('a wrong comm key: GW_ERR_DEVICE_AUTH, never GW_ERR_DECODE', async () => {
    const sim = await zkSim({ commKey: 1234, records: 3 });
    const r = await startGateway({ devices: [zkDevice(sim, 'commKey: 4321')] });
    const row = await deviceErrorCode(r, 'GW_ERR_DEVICE_AUTH');
    expect(row.lastError).toMatch(/^GW_ERR_DEVICE_AUTH: /);
    await until(() => r.captured.withCode('GW_ERR_DEVICE_AUTH').length >= 2, 'GW_ERR_DEVICE_AUTH lines');
    expect(r.captured.withCode('GW_ERR_DEVICE_AUTH').map((l) => l.msg)).toEqual(expect.arrayContaining(['input rejected', 'zk session ended; reconnecting']));
    expect(r.captured.withCode('GW_ERR_DECODE')).toEqual([]);
  });

  it('a hung terminal (connected, then it stops answering): GW_ERR_DEVICE_TIMEOUT', async () => {
    const sim = await zkSim({ records: 3 });
    const r = await startGateway({ devices: [zkDevice(sim, 'timeout: 200ms, heartbeatInterval: 100ms')] });
    await eventually(async () => (await device(r))?.online === true, 'online');
    sim.hung = true;
    const row = await deviceErrorCode(r, 'GW_ERR_DEVICE_TIMEOUT');
    expect(row).toMatchObject({ online: false, lastError: expect.stringMatching(/^GW_ERR_DEVICE_TIMEOUT: .*no reply within 200 ms/) });
    await until(() => r.captured.withCode('GW_ERR_DEVICE_TIMEOUT').length >= 1, 'GW_ERR_DEVICE_TIMEOUT line');
    expect(r.captured.withCode('GW_ERR_DEVICE_TIMEOUT')[0]).toMatchObject({ msg: 'zk session ended; reconnecting', device: 'lobby-1' });
  });

  it('a terminal that refuses the connection: GW_ERR_DEVICE_UNREACHABLE', async () => {
    const port = await freePort();
    const r = await startGateway({ devices: [`{id: lobby-1, driver: zk-tcp, host: 127.0.0.1, port: ${port}, timeout: 5s}`] });
    const row = await deviceErrorCode(r, 'GW_ERR_DEVICE_UNREACHABLE');
    expect(row.lastError).toMatch(/^GW_ERR_DEVICE_UNREACHABLE: tcp 127\.0\.0\.1:\d+: /);
    await until(() => r.captured.withCode('GW_ERR_DEVICE_UNREACHABLE').length >= 1, 'GW_ERR_DEVICE_UNREACHABLE line');
  });

  it('a broker that refuses the connection: GW_ERR_SINK_UNREACHABLE', async () => {
    const port = await freePort();
    const r = await startGateway({ devices: [], publish: ['  mqtt:', `    url: mqtt://127.0.0.1:${port}`, '    reconnectMin: 100ms', '    reconnectMax: 200ms'] });
    await eventually(async () => (await sink(r))?.lastErrorCode === 'GW_ERR_SINK_UNREACHABLE', 'sink lastErrorCode');
    expect((await sink(r))?.lastError).toMatch(/^GW_ERR_SINK_UNREACHABLE: /);
    await until(() => r.captured.withCode('GW_ERR_SINK_UNREACHABLE').length >= 1, 'GW_ERR_SINK_UNREACHABLE line');
  });

  it('a broker that refuses the credentials: GW_ERR_SINK_AUTH', async () => {
    const url = await refusingBroker();
    const r = await startGateway({ devices: [], publish: ['  mqtt:', `    url: ${url}`, '    username: gw', '    password: wrong', '    reconnectMin: 100ms', '    reconnectMax: 200ms'] });
    await eventually(async () => (await sink(r))?.lastErrorCode === 'GW_ERR_SINK_AUTH', 'sink lastErrorCode');
    expect((await sink(r))?.lastError).toMatch(/^GW_ERR_SINK_AUTH: /);
    await until(() => r.captured.withCode('GW_ERR_SINK_AUTH').length >= 1, 'GW_ERR_SINK_AUTH line');
  });

  it('a full disk (the buffer may grow no more pages): GW_ERR_BUFFER_UNAVAILABLE', async () => {
    const sim = await zkSim({ records: 0 });
    const r = await startGateway({ devices: [zkDevice(sim, 'pollInterval: 100ms')], extra: ['buffer:', '  writer: inline'] });
    await eventually(async () => (await device(r))?.online === true, 'online');
    // max_page_count is per connection: with the inline writer it applies to the commits
    const db = r.gateway.buffer.database;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    for (let i = 0; i < 300; i += 1) sim.addPunch({ pin: String(1000 + i), localTime: `2026-01-05T08:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}` });
    const row = await deviceErrorCode(r, 'GW_ERR_BUFFER_UNAVAILABLE');
    expect(row.lastError).toMatch(/^GW_ERR_BUFFER_UNAVAILABLE: .*full/i);
    expect(r.captured.withCode('GW_ERR_BUFFER_UNAVAILABLE').length).toBeGreaterThan(0);
    db.pragma('max_page_count = 1073741823');
  });

  it('a push terminal whose serial no entry names: GW_ERR_PUSH_UNKNOWN_DEVICE', async () => {
    const r = await startGateway({ devices: ['{id: loket-1, driver: zk-push, serial: KNOWN0000001}'] });
    const address = r.gateway.push?.app.server.address() as AddressInfo;
    const sim = new ZkPushSimulator({ target: `http://127.0.0.1:${address.port}`, serial: 'STRANGER0001', retryMs: 20 });
    cleanups.push(() => sim.stop());
    void sim.handshake().catch(() => undefined); // answered 503 and retried until the simulator stops
    const row = await deviceErrorCode(r, 'GW_ERR_PUSH_UNKNOWN_DEVICE', 'unknown:STRANGER0001');
    expect(row.lastError).toMatch(/^GW_ERR_PUSH_UNKNOWN_DEVICE: /);
    await until(() => r.captured.withCode('GW_ERR_PUSH_UNKNOWN_DEVICE').length >= 1, 'GW_ERR_PUSH_UNKNOWN_DEVICE line');
  });

  it('an unsynchronized host clock: GW_ERR_CLOCK_UNSYNCHRONIZED, on every device', async () => {
    const sim = await zkSim({ records: 0 });
    const r = await startGateway({ devices: [zkDevice(sim)], deps: { hostClock: { ntpSynchronized: () => Promise.resolve('no') } } });
    await until(() => r.captured.withCode('GW_ERR_CLOCK_UNSYNCHRONIZED').length >= 1, 'GW_ERR_CLOCK_UNSYNCHRONIZED line');
    await eventually(async () => (await device(r))?.details.hostClock !== undefined, 'details.hostClock');
    expect((await device(r))?.details.hostClock).toMatchObject({ synchronized: false, reason: 'ntp-unsynchronized', code: 'GW_ERR_CLOCK_UNSYNCHRONIZED' });
  });
});
