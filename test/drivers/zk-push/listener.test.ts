// The push listener and the zk-push driver behind it, on a real Gateway (real SQLite buffer),
// driven with Fastify inject. Bodies are the quoted fixtures (fixtures/README.md) or derived from them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ZkPushDriver } from '../../../drivers/zk-push/index.js';
import type { Gateway } from '../../../src/gateway.js';
import { tempDir } from '../../helpers/tmp.js';
import { startPushGateway } from './gatewayHarness.js';
import { punchesOf, quarantineCount } from './punchesOf.js';

const SN = 'BOCK200961014';
const FIXTURES = join(import.meta.dirname, 'fixtures');
const ATTLOG = readFileSync(join(FIXTURES, 'attlog_saifulcoder-postman', 'input.txt'), 'utf8');
const OPERLOG = readFileSync(join(FIXTURES, 'operlog_saifulcoder-postman', 'input.txt'), 'utf8');
/** the "Initialization" request of the saifulcoder/adms-server-ZKTeco Postman collection */
const HANDSHAKE_QUERY = `SN=${SN}&options=all&language=69&pushver=2.4.0&DeviceType=middle%20east&PushOptionsFlag=1`;

let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway;

async function start(extra?: string, maxBodyBytes?: number): Promise<void> {
  gateway = await startPushGateway({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: SN, ...(extra ? { extra } : {}) }], ...(maxBodyBytes ? { maxBodyBytes } : {}) });
}

function inject(method: 'GET' | 'POST', url: string, payload?: string | Buffer, headers: Record<string, string> = {}) {
  return gateway.push!.app.inject({ method, url, ...(payload !== undefined ? { payload } : {}), headers: { 'content-type': 'text/plain', ...headers } });
}

const post = (table: string, body: string | Buffer, headers?: Record<string, string>, sn = SN) => inject('POST', `/iclock/cdata?SN=${sn}&table=${table}&Stamp=9999`, body, headers);
const driver = (): ZkPushDriver => gateway.supervisor.driverOf('loket-1') as ZkPushDriver;

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await gateway?.stop();
  tmp.cleanup();
});

describe('push listener + zk-push driver', () => {
  it('answers the handshake with GET OPTION FROM and the options; the device zone gives TimeZone', async () => {
    await start('timezone: Asia/Makassar, delay: 10');
    const res = await inject('GET', `/iclock/cdata?${HANDSHAKE_QUERY}`);
    expect(res.statusCode).toBe(200);
    const lines = res.body.split('\n');
    expect(lines[0]).toBe(`GET OPTION FROM: ${SN}`);
    expect(lines).toEqual(expect.arrayContaining(['ATTLOGStamp=None', 'Delay=10', 'TimeZone=8', 'Realtime=1', 'ErrorDelay=60', 'TransInterval=1']));
    // the terminal is asked to push how it stores templates on table=options (PUSH V5.8 §3.2, §6)
    expect(lines).toEqual(expect.arrayContaining(['PushOptionsFlag=1', 'PushOptions=FingerFunOn,FPVersion,FaceFunOn,FaceVersion,MultiBioDataSupport,MultiBioVersion']));
    expect(gateway.states.get('loket-1')).toMatchObject({ online: true, serial: SN, details: { pushver: '2.4.0', language: '69' } });
    expect((await inject('GET', `/iclock/cdata.aspx?${HANDSHAKE_QUERY}`)).body).toMatch(/^GET OPTION FROM/);
  });

  it('commits an ATTLOG body, then answers OK: <n>; the resend is all duplicates; the stamp is stored, never trusted', async () => {
    await start();
    const res = await post('ATTLOG', ATTLOG);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('OK: 3');
    const punches = punchesOf(gateway.bufferFile);
    expect(punches.map((p) => [p.pin, p.time, p.state, p.verify, p.workCode])).toEqual([
      ['1', '2024-07-28T01:25:24+07:00', 'check-in', 'fingerprint', null],
      ['1', '2024-07-28T10:41:21+07:00', 'check-in', 'fingerprint', null],
      ['4', '2024-07-28T10:41:31+07:00', 'check-in', 'fingerprint', null],
    ]);
    expect(punches[0]!.device).toMatchObject({ id: 'loket-1', serial: SN, protocol: 'zk-push' });
    expect((await post('ATTLOG', ATTLOG.replace(/\r\n/g, '\n'))).body).toBe('OK: 3');
    expect(punchesOf(gateway.bufferFile)).toHaveLength(3);
    expect(gateway.buffer.getCheckpoint('loket-1', 'stamps')).toEqual({ ATTLOG: '9999' });
    expect((await inject('GET', `/iclock/cdata?${HANDSHAKE_QUERY}`)).body).toContain('ATTLOGStamp=9999');
  });

  it('inflates gzip bodies, with or without Content-Encoding', async () => {
    await start();
    expect((await post('ATTLOG', gzipSync(ATTLOG), { 'content-encoding': 'gzip' })).body).toBe('OK: 3');
    expect((await post('ATTLOG', gzipSync(ATTLOG), { 'content-type': 'application/octet-stream' })).body).toBe('OK: 3');
    expect(punchesOf(gateway.bufferFile)).toHaveLength(3);
  });

  it('answers 503 (not OK) when the buffer cannot commit, so the terminal keeps the data; OK once it can', async () => {
    await start();
    const spy = vi.spyOn(gateway.buffer, 'commit').mockRejectedValueOnce(new Error('SQLITE_FULL: database or disk is full'));
    const refused = await post('ATTLOG', ATTLOG);
    expect(refused.statusCode).toBe(503);
    expect(refused.body).not.toMatch(/^OK/);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(0);
    spy.mockRestore();
    expect((await post('ATTLOG', ATTLOG)).body).toBe('OK: 3');
    expect(punchesOf(gateway.bufferFile)).toHaveLength(3);
  });

  it('refuses an unknown serial with 503 + Retry-After, counts and lists it', async () => {
    await start();
    const res = await post('ATTLOG', ATTLOG, {}, 'STRANGER0001');
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    await inject('GET', '/iclock/getrequest?SN=STRANGER0001');
    expect(gateway.push!.unknown()).toEqual([expect.objectContaining({ serial: 'STRANGER0001', requests: 2 })]);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(0);
    const metric = await gateway.metrics.rejected.get();
    expect(metric.values.find((v) => v.labels.reason === 'unknown-serial')?.value).toBe(2);
  });

  it('hostile bodies: malformed lines counted and quarantined, good lines committed; binary; too large (413)', async () => {
    await start(undefined, 4096);
    const good = ATTLOG.split('\r\n')[0]!;
    const body = [good, 'garbage', '2\t2024-02-30 08:00:00\t0\t1', '\u0000\u0001\u0002\u0003', '4\t2024-07-28 10:41:31\t1\t4\t\t0\t0\t'].join('\r\n');
    expect((await post('ATTLOG', body)).body).toBe('OK: 5');
    expect(punchesOf(gateway.bufferFile).map((p) => p.pin)).toEqual(['1', '4']);
    expect(quarantineCount(gateway.bufferFile)).toBe(3);
    expect(gateway.states.get('loket-1')!.rejected).toMatchObject({ 'attlog-fields': 1, 'attlog-time': 1, 'attlog-binary': 1 });
    const binary = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));
    const res = await post('ATTLOG', binary, { 'content-type': 'application/octet-stream' });
    expect(res.statusCode).toBe(200);
    expect(punchesOf(gateway.bufferFile)).toHaveLength(2);
    const huge = await post('ATTLOG', `${good}\r\n`.repeat(200));
    expect(huge.statusCode).toBe(413);
    // a gzip body inflating past maxBodyBytes is as too large as a plain one (test/reliability/hostile)
    expect((await post('ATTLOG', gzipSync('x'.repeat(100_000)), { 'content-encoding': 'gzip' })).statusCode).toBe(413);
    expect((await post('ATTLOG', Buffer.from('1f8b0800000000000003ffff', 'hex'), { 'content-encoding': 'gzip' })).statusCode).toBe(400);
  });

  it('maps codes through the per-device override tables', async () => {
    await start('stateMap: {"0": check-out}, verifyMap: {"1": card}');
    await post('ATTLOG', ATTLOG);
    expect(punchesOf(gateway.bufferFile).map((p) => [p.state, p.verify])[0]).toEqual(['check-out', 'card']);
  });

  it('refuses a handshake without the configured comm key', async () => {
    await start('commKey: "4711"');
    expect((await inject('GET', `/iclock/cdata?${HANDSHAKE_QUERY}`)).statusCode).toBe(401);
    expect((await inject('GET', `/iclock/cdata?${HANDSHAKE_QUERY}&pushcommkey=4711`)).statusCode).toBe(200);
  });

  it('queues commands for getrequest and completes them from devicecmd; INFO fills device status', async () => {
    await start();
    expect((await inject('GET', `/iclock/getrequest?SN=${SN}`)).body).toBe('OK');
    const backfill = driver().queueBackfill('2024-07-01T00:00:00', '2024-07-31T23:59:59');
    const info = driver().commands.enqueue('INFO');
    const poll = await inject('GET', `/iclock/getrequest?SN=${SN}&INFO=Ver%206.60,12,10,345,192.168.1.201`);
    expect(poll.body).toBe(`C:${backfill.id}:DATA QUERY ATTLOG StartTime=2024-07-01 00:00:00\tEndTime=2024-07-31 23:59:59\nC:${info.id}:INFO`);
    expect((await inject('GET', `/iclock/getrequest?SN=${SN}`)).body).toBe('OK');
    const result = await inject('POST', `/iclock/devicecmd?SN=${SN}`, `ID=${backfill.id}&Return=0&CMD=DATA\nID=${info.id}&Return=0&CMD=INFO\n~DeviceName=MB160\nFWVersion=Ver 6.60\n`);
    expect(result.body).toBe('OK');
    await expect(backfill.result).resolves.toMatchObject({ returnCode: 0 });
    await expect(info.result).resolves.toMatchObject({ values: { DeviceName: 'MB160' } });
    expect(gateway.states.get('loket-1')).toMatchObject({ model: 'MB160', firmware: 'Ver 6.60', details: { info: { DeviceName: 'MB160' } } });
  });

  it('keeps the biometric keys a terminal pushes on table=options (faces: FaceVersion, MultiBioDataSupport), nothing else', async () => {
    await start();
    const body = '~DeviceName=MB160,FaceFunOn=1,FaceVersion=7,MultiBioDataSupport=0:1:0:0:0:0:0:0:0:1,MultiBioVersion=0:10.0:0:0:0:0:0:0:0:58.0,FPVersion=10\nFingerFunOn=1;REBOOT,Evil=1';
    expect((await post('options', body)).body).toBe('OK: 2');
    expect(driver().terminalInfo()).toEqual({ FaceFunOn: '1', FaceVersion: '7', MultiBioDataSupport: '0:1:0:0:0:0:0:0:0:1', MultiBioVersion: '0:10.0:0:0:0:0:0:0:0:58.0', FPVersion: '10' });
  });

  it('OPERLOG, ATTPHOTO, options, ping, registry/push and rtlog are accepted and answered', async () => {
    await start();
    expect((await post('OPERLOG', OPERLOG)).body).toBe('OK: 4');
    expect((await post('ATTPHOTO', 'PIN=1\nSN=x\nsize=3\nCMD=uploadphoto\n')).body).toBe('OK: 4');
    expect((await post('options', '~DeviceName=MB160,FWVersion=Ver 6.60')).body).toBe('OK: 1');
    expect((await inject('GET', `/iclock/ping?SN=${SN}`)).body).toBe('OK');
    expect((await inject('POST', `/iclock/registry?SN=${SN}`, 'DeviceType=acc')).body).toBe(`RegistryCode=${SN}`);
    expect((await inject('POST', `/iclock/push?SN=${SN}`, '')).body).toMatch(/^ATTLOGStamp=/);
    expect((await post('rtlog', 'time=2024-07-28 10:41:31\tpin=4\tcardno=0\teventaddr=1\tevent=0\tinoutstatus=1\tverifytype=15\tindex=9\r\n')).body).toBe('OK: 1');
    expect(punchesOf(gateway.bufferFile).map((p) => [p.pin, p.state, p.verify])).toEqual([['4', 'check-out', 'face']]);
    expect(gateway.buffer.getCheckpoint('loket-1', 'stamps')).toMatchObject({ OPERLOG: '9999', ATTPHOTO: '9999', rtlog: '9999' });
  });
});
