// Push: the push listener's /hikvision/<deviceId> route and the driver behind it, on a real
// Gateway (real SQLite buffer), fed with Fastify inject: multipart and JSON bodies, duplicates,
// ignored events, garbage, oversize, unknown device, MAC check, buffer failure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Gateway } from '../../../src/gateway.js';
import { HikvisionSimulator } from '../../../src/sim/hikvision/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { punchesOf, quarantineCount } from '../zk-push/punchesOf.js';
import { startHikGateway } from './gateway.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const MULTIPART = readFileSync(join(FIXTURES, 'push-multipart-face_synthetic', 'input.bin'));
const DOOR_JSON = readFileSync(join(FIXTURES, 'push-json-door-locked_pergolafabio-addons-177', 'input.json'));
const MULTIPART_TYPE = 'multipart/form-data; boundary=MIME_boundary';

let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway;

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await gateway?.stop();
  tmp.cleanup();
});

async function start(extra = '', maxBodyBytes?: number): Promise<void> {
  gateway = await startHikGateway({ dir: tmp.dir, devices: [`{id: lobby-face, driver: hikvision-isapi, pull: false, push: true, serial: DS-K1T341AM-SIM${extra}}`], ...(maxBodyBytes ? { maxBodyBytes } : {}) });
}

const post = (body: Buffer | string, contentType: string, deviceId = 'lobby-face') =>
  gateway.push!.app.inject({ method: 'POST', url: `/hikvision/${deviceId}`, payload: body, headers: { 'content-type': contentType } });

describe('hikvision push', () => {
  it('a multipart event is committed, then answered 200; the resend is a duplicate', async () => {
    await start();
    const res = await post(MULTIPART, MULTIPART_TYPE);
    expect(res.statusCode).toBe(200);
    const punches = punchesOf(gateway.bufferFile);
    expect(punches.map((p) => [p.pin, p.time, p.state, p.verify, p.device.serial, p.device.protocol])).toEqual([
      ['0012', '2026-01-19T07:31:05+07:00', 'check-in', 'face', 'DS-K1T341AM-SIM', 'hikvision-isapi'],
    ]);
    expect(punches[0]!.raw).toMatchObject({ source: 'push', serialNo: 179, minor: 75 });
    expect((await post(MULTIPART, MULTIPART_TYPE)).statusCode).toBe(200);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(1);
    expect(gateway.states.get('lobby-face')).toMatchObject({ online: true, serial: 'DS-K1T341AM-SIM' });
  });

  it('a plain JSON body (the quoted door event) is answered 200 and counted as ignored, not rejected', async () => {
    await start();
    const res = await post(DOOR_JSON, 'application/json');
    expect(res.statusCode).toBe(200);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(0);
    const state = gateway.states.get('lobby-face');
    expect(state?.details).toMatchObject({ ignoredEvents: 1 });
    expect(state?.rejected).toEqual({});
  });

  it('the simulator pushes JSON and multipart events to the real listener over loopback', async () => {
    await start();
    const sim = new HikvisionSimulator();
    const address = gateway.push!.app.server.address() as { port: number };
    const url = `http://127.0.0.1:${address.port}/hikvision/lobby-face`;
    expect(await sim.push(url, sim.addPunch('1001', { attendanceStatus: 'checkOut' }), 'json')).toBe(200);
    expect(await sim.push(url, sim.addPunch('1002', { minor: 38 }), 'multipart')).toBe(200);
    expect(punchesOf(gateway.bufferFile).map((p) => [p.pin, p.state, p.verify])).toEqual([
      ['1001', 'check-out', 'face'],
      ['1002', 'check-in', 'fingerprint'],
    ]);
  });

  it('a garbage body is 400, counted and logged; good bodies still go through', async () => {
    await start();
    const res = await post('--MIME_boundary\r\nnot a part', MULTIPART_TYPE);
    expect(res.statusCode).toBe(400);
    expect((await post('{"eventType":', 'application/json')).statusCode).toBe(400);
    expect(gateway.states.get('lobby-face')?.recentRejects.map((r) => r.reason)).toEqual(expect.arrayContaining(['push-multipart', 'push-json']));
    expect((await post(MULTIPART, MULTIPART_TYPE)).statusCode).toBe(200);
  });

  it('an attendance event without a person is quarantined, not lost', async () => {
    await start();
    const body = JSON.stringify({ eventType: 'AccessControllerEvent', dateTime: '2026-01-19T07:31:05+07:00', AccessControllerEvent: { majorEventType: 5, subEventType: 75, serialNo: 9 } });
    expect((await post(body, 'application/json')).statusCode).toBe(200);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(0);
    expect(quarantineCount(gateway.bufferFile)).toBe(1);
  });

  it('an oversize body is refused with 413 before the driver sees it', async () => {
    await start('', 2048);
    const big = Buffer.concat([MULTIPART, Buffer.alloc(4096, 0x41)]);
    expect((await post(big, MULTIPART_TYPE)).statusCode).toBe(413);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(0);
  });

  it('an unknown device id is 503 + Retry-After and listed as unknown', async () => {
    await start();
    const res = await post(MULTIPART, MULTIPART_TYPE, 'gudang-9');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('300');
    expect(gateway.push!.unknown().map((u) => u.serial)).toEqual(['hikvision/gudang-9']);
  });

  it('with macAddress set, an event from another MAC is refused (403)', async () => {
    await start(', macAddress: "aa:bb:cc:dd:ee:ff"');
    expect((await post(MULTIPART, MULTIPART_TYPE)).statusCode).toBe(403);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(0);
  });

  it('503 when the buffer cannot commit, so the terminal sends again', async () => {
    await start();
    const spy = vi.spyOn(gateway.buffer, 'commit').mockRejectedValue(new Error('SQLITE_FULL: database or disk is full'));
    expect((await post(MULTIPART, MULTIPART_TYPE)).statusCode).toBe(503);
    spy.mockRestore();
    expect((await post(MULTIPART, MULTIPART_TYPE)).statusCode).toBe(200);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(1);
  });

  it('zk-push routes are untouched next to it', async () => {
    await start();
    const res = await gateway.push!.app.inject({ method: 'GET', url: '/iclock/cdata?SN=NOPE&options=all' });
    expect(res.statusCode).toBe(503);
  });
});
