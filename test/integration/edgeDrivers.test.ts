// Issue 15's findings 4 and 12 through the real drivers, the real push listener and the real SQLite
// buffer (and, for the retained status, a real broker): after the edge rules nothing longer than 64
// printable characters reaches a punch or the status, no 1.3 MB punch is stored, and a look-alike
// PIN is never a PIN of its own. All inputs are synthetic, built in the protocols' documented
// shapes (zk-push devicecmd/ATTLOG, Hikvision AcsEvent JSON and deviceInfo XML, the ZK options).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hikvisionConfigSchema, HikvisionDriver } from '../../drivers/hikvision-isapi/index.js';
import { zkTcpConfigSchema, ZkTcpDriver } from '../../drivers/zk-tcp/index.js';
import { openBufferFile } from '../../src/buffer/queries.js';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import type { Gateway } from '../../src/gateway.js';
import { HikvisionSimulator } from '../../src/sim/hikvision/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { startHikGateway } from '../drivers/hikvision-isapi/gateway.js';
import { startPushGateway } from '../drivers/zk-push/gatewayHarness.js';
import { collect, startAedes, type Collector, type TestBroker } from '../helpers/broker.js';
import { bufferContext } from '../helpers/bufferContext.js';
import { checkSnapshot, checkStoredPunches, quarantineBodyBytes, quarantineRows } from '../helpers/edgeChecks.js';
import { tempDir } from '../helpers/tmp.js';

const SN = 'BOCK200961014';
/** finding 12: what a hostile or broken Hikvision terminal may send as employeeNoString */
const LOOK_ALIKES = ['00123\u200b', '\u202e00123', '\u03bf0123', '0\u03bf123', '<b>1</b>', '1'.repeat(25)];
const HUGE_MODEL = 'M'.repeat(300 * 1024);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

function temp(): string {
  const tmp = tempDir('edge-drivers-');
  cleanups.push(() => tmp.cleanup());
  return tmp.dir;
}

function withBuffer<T>(file: string, read: (db: ReturnType<typeof openBufferFile>) => T): T {
  const db = openBufferFile(file);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe('zk-push (finding 4)', () => {
  let gateway: Gateway;
  let broker: TestBroker;
  let status: Collector;

  async function start(): Promise<void> {
    broker = await startAedes();
    cleanups.push(() => broker.close());
    status = await collect(broker.url, 'absensi/PUSHTEST/loket-1/status');
    cleanups.push(() => status.close());
    gateway = await startPushGateway({ dir: temp(), devices: [{ id: 'loket-1', serial: SN }], mqttUrl: broker.url });
    cleanups.push(() => gateway.stop());
  }
  const inject = (method: 'GET' | 'POST', url: string, payload?: string) =>
    gateway.push!.app.inject({ method, url, ...(payload !== undefined ? { payload } : {}), headers: { 'content-type': 'text/plain' } });

  it('a 300 KB ~DeviceName in the INFO answer reaches neither a punch nor the retained status', async () => {
    await start();
    expect((await inject('GET', `/iclock/cdata?SN=${SN}&options=all&pushver=2.4.1`)).statusCode).toBe(200);
    const poll = await inject('GET', `/iclock/getrequest?SN=${SN}`);
    const id = /^C:([^:]+):INFO$/m.exec(poll.body)?.[1];
    expect(id).toBeDefined();
    const result = await inject('POST', `/iclock/devicecmd?SN=${SN}`, `ID=${id}&Return=0&CMD=INFO\n~DeviceName=${HUGE_MODEL}\nFWVersion=Ver 6.60\u0007\n`);
    expect(result.statusCode).toBe(200);
    expect((await inject('POST', `/iclock/cdata?SN=${SN}&table=ATTLOG&Stamp=1`, '1001\t2026-01-19 07:31:05\t0\t1\t0\t0\t0')).body).toBe('OK: 1');

    const snapshot = gateway.states.get('loket-1');
    checkSnapshot(snapshot);
    expect(snapshot).toMatchObject({ model: 'M'.repeat(64), firmware: 'Ver 6.60' });
    expect(snapshot?.rejected['identity-invalid']).toBeGreaterThanOrEqual(2);
    const punches = withBuffer(gateway.bufferFile, (db) => checkStoredPunches(db));
    expect(punches.map((p) => [p.pin, p.device.model])).toEqual([['1001', 'M'.repeat(64)]]);

    await status.waitFor(() => status.messages.some((m) => (JSON.parse(m.payload) as { model: string | null }).model !== null));
    for (const message of status.messages) {
      expect(message.payload.length).toBeLessThan(4096);
      const model = (JSON.parse(message.payload) as { model: string | null }).model;
      expect(model === null || model.length <= 64).toBe(true);
    }
  });

  it('an ATTLOG line with 1.3 MB of extra fields is quarantined too-large in a bounded row; the good line of the same body commits', async () => {
    await start();
    const extra = Array.from({ length: 13 }, () => 'x'.repeat(100_000)).join('\t');
    const body = `4711\t2026-01-19 07:31:05\t0\t1\t0\t0\t0\t${extra}\n1002\t2026-01-19 07:32:05\t1\t1\t0\t0\t0`;
    const reply = await inject('POST', `/iclock/cdata?SN=${SN}&table=ATTLOG&Stamp=2`, body);
    expect(reply.body).toBe('OK: 2');
    withBuffer(gateway.bufferFile, (db) => {
      expect(checkStoredPunches(db).map((p) => p.pin)).toEqual(['1002']);
      expect(quarantineRows(db).map((r) => r.reason)).toEqual(['too-large']);
      expect(Math.max(...quarantineBodyBytes(db))).toBeLessThan(4096);
    });
    expect(gateway.states.get('loket-1')?.rejected['too-large']).toBe(1);
  });
});

describe('hikvision-isapi (finding 12)', () => {
  it('push: look-alike employee numbers are quarantined pin-invalid, never published beside the real 00123', async () => {
    const gateway = await startHikGateway({ dir: temp(), devices: ['{id: lobby-face, driver: hikvision-isapi, pull: false, push: true, serial: DS-K1T341AM-SIM}'] });
    cleanups.push(() => gateway.stop());
    const sim = new HikvisionSimulator();
    const { port } = gateway.push!.app.server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/hikvision/lobby-face`;
    const time = '2026-01-19T07:31:05+07:00';
    expect(await sim.push(url, sim.addPunch('00123', { time }), 'json')).toBe(200);
    for (const [i, pin] of LOOK_ALIKES.entries()) expect(await sim.push(url, sim.addPunch(pin, { time }), i % 2 === 0 ? 'json' : 'multipart')).toBe(200);
    withBuffer(gateway.bufferFile, (db) => {
      expect(checkStoredPunches(db).map((p) => p.pin)).toEqual(['00123']);
      const rows = quarantineRows(db);
      expect(rows.map((r) => r.reason)).toEqual(LOOK_ALIKES.map(() => 'pin-invalid'));
      expect(rows.map((r) => (r.body as { raw: { pin: string } }).raw.pin).sort()).toEqual([...LOOK_ALIKES].sort());
    });
    expect(gateway.states.get('lobby-face')?.rejected['pin-invalid']).toBe(LOOK_ALIKES.length);
  });

  it('pull: the same look-alikes from an AcsEvent search, and a 300 KB model in deviceInfo, stay out', async () => {
    const sim = new HikvisionSimulator({ password: 'Admin12345', model: HUGE_MODEL, firmware: `V3.2.30\u202e` });
    await sim.start();
    cleanups.push(() => sim.stop());
    const at = Date.now() - 3_600_000;
    sim.addPunch('00123', { time: at });
    for (const [i, pin] of LOOK_ALIKES.entries()) sim.addPunch(pin, { time: at + (i + 1) * 1000 });
    const buffer = new SqlitePunchBuffer({ file: join(temp(), 'buffer.db'), sinks: ['mqtt'], writer: 'inline' });
    cleanups.push(() => buffer.close());
    const cfg = hikvisionConfigSchema.parse({ id: 'face-1', driver: 'hikvision-isapi', host: '127.0.0.1', port: sim.address.port, password: 'Admin12345', pollInterval: '1h', timezone: 'Asia/Jakarta' });
    const { ctx, states } = bufferContext(buffer, { device: cfg, gateway: { id: 'gw-edge', site: 'EDGE' } });
    const driver = new HikvisionDriver(cfg, ctx);
    cleanups.push(() => driver.stop());
    await driver.syncOnce();
    const punches = checkStoredPunches(buffer.database);
    expect(punches.map((p) => [p.pin, p.device.model])).toEqual([['00123', 'M'.repeat(64)]]);
    expect(quarantineRows(buffer.database).map((r) => r.reason)).toEqual(LOOK_ALIKES.map(() => 'pin-invalid'));
    checkSnapshot(states.get('face-1'));
    expect(states.get('face-1')).toMatchObject({ model: 'M'.repeat(64), firmware: 'V3.2.30 build 220210' });
  });
});

describe('zk-tcp', () => {
  it('a terminal naming itself with 1,000 characters and control codes gets a 64-character model in its punches', async () => {
    const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, records: 3, model: `K40${'\u0001'.repeat(5)}${'P'.repeat(1000)}`, platform: `ZMM220${'\u001b'}[2J` });
    await sim.start();
    cleanups.push(() => sim.stop());
    const buffer = new SqlitePunchBuffer({ file: join(temp(), 'buffer.db'), sinks: ['mqtt'], writer: 'inline' });
    cleanups.push(() => buffer.close());
    const cfg = zkTcpConfigSchema.parse({ id: 'lobby-1', driver: 'zk-tcp', host: '127.0.0.1', port: sim.address.port, timeout: '2s', realtime: false, pollInterval: '1h', timezone: sim.options.timeZone });
    const { ctx, states } = bufferContext(buffer, { device: cfg, gateway: { id: 'gw-edge', site: 'EDGE' } });
    const driver = new ZkTcpDriver(cfg, ctx, { backoffMinMs: 10, backoffMaxMs: 100 });
    cleanups.push(() => driver.stop());
    await driver.start();
    while (checkStoredPunches(buffer.database).length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    const model = `K40${'P'.repeat(61)}`;
    expect(new Set(checkStoredPunches(buffer.database).map((p) => p.device.model))).toEqual(new Set([model]));
    checkSnapshot(states.get('lobby-1'));
    expect(states.get('lobby-1')).toMatchObject({ model, platform: 'ZMM220[2J' });
    expect(states.get('lobby-1')?.rejected['identity-invalid']).toBeGreaterThanOrEqual(2);
  });
});
