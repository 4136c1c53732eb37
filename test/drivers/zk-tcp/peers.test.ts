// The simulator is faithful enough for other implementations: node-zklib 1.3.0 and zkteco-js 1.7.2
// run their own happy paths (connect, getInfo, getAttendances, getUsers) against it, and what they
// decode matches the simulator's log.
// Both libraries handle one packet per socket 'data' event (zk-standalone.md §1), so the simulator
// runs `pacing: 'paced'` here: one packet per read, as a terminal on a quiet LAN mostly delivers.
// Their known bugs are demonstrated by the opt-in block at the end (ZK_PEER_BUGS=1; ~30 s of their timeouts).
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ZkTcpSimulator, type ZkSimulatorOptions } from '../../../src/sim/zkTcp/index.js';
import { until } from '../../helpers/until.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const NodeZkLib = require('node-zklib') as new (ip: string, port: number, timeout: number, inport: number) => any;
const NodeZkLibUdp = require('node-zklib/zklibudp') as new (ip: string, port: number, timeout: number, inport: number) => any;
const ZktecoJs = require('zkteco-js') as new (ip: string, port: number, timeout: number, inport: number) => any;
const ZktecoJsUdp = require('zkteco-js/src/zudp') as new (ip: string, port: number, timeout: number, inport: number) => any;
/* eslint-enable @typescript-eslint/no-explicit-any */

let sim: ZkTcpSimulator | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await sim?.stop();
  sim = undefined;
});

async function startPaced(options: ZkSimulatorOptions): Promise<number> {
  vi.spyOn(console, 'log').mockImplementation(() => undefined); // both libraries print on connect
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, pacing: 'paced', ...options });
  return (await sim.start()).port;
}

/** A Date the libraries built from device wall time in the host zone, back to wall time. */
function wall(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function logPins(): string[] {
  return Array.from({ length: sim!.log.count }, (_, i) => sim!.log.punchAt(i).pin);
}

function logTimes(): string[] {
  return Array.from({ length: sim!.log.count }, (_, i) => sim!.log.punchAt(i).localTime);
}

describe('node-zklib 1.3.0 against the simulator', () => {
  it('TCP: connect, getInfo, getAttendances (2 chunks), getUsers', async () => {
    const port = await startPaced({ records: 3000, users: 25 });
    const zk = new NodeZkLib('127.0.0.1', port, 5000, 0);
    await zk.createSocket();
    expect(await zk.getInfo()).toEqual({ userCounts: 25, logCounts: 3000, logCapacity: 1_000_000 });
    const att = await zk.getAttendances();
    expect(att.err).toBeNull();
    expect(att.data.map((r: { deviceUserId: string }) => r.deviceUserId)).toEqual(logPins());
    expect(att.data.map((r: { recordTime: Date }) => wall(r.recordTime))).toEqual(logTimes());
    const users = await zk.getUsers();
    expect(users.data).toHaveLength(25);
    expect(users.data[0]).toMatchObject({ uid: 1, userId: '1001', name: 'Pegawai 1', role: 14, cardno: 7_000_000 });
    await zk.disconnect();
    await until(() => sim!.stats.commands.EXIT === 1, 'CMD_EXIT from node-zklib');
  });

  it('UDP: connect, getInfo, getAttendances (16-byte records), getUsers (28-byte users)', async () => {
    const port = await startPaced({ records: 3000, recordSize: 16, userSize: 28, tcp: false });
    const zk = new NodeZkLibUdp('127.0.0.1', port, 5000, 0);
    await zk.createSocket();
    await zk.connect();
    expect(await zk.getInfo()).toEqual({ userCounts: 20, logCounts: 3000, logCapacity: 1_000_000 });
    const att = await zk.getAttendances();
    expect(att.data.map((r: { deviceUserId: number }) => String(r.deviceUserId))).toEqual(logPins());
    expect(att.data.map((r: { recordTime: Date }) => wall(r.recordTime))).toEqual(logTimes());
    const users = await zk.getUsers();
    expect(users.data.map((u: { userId: number }) => u.userId)).toEqual(sim!.log.users.map((u) => Number(u.pin)));
    await zk.disconnect();
  });
});

describe('zkteco-js 1.7.2 against the simulator', () => {
  it('TCP: connect, getInfo, identity, getAttendances (chunked), getUsers', async () => {
    const port = await startPaced({ records: 3000, serial: 'CQZ7232260123' });
    const zk = new ZktecoJs('127.0.0.1', port, 5000, 0);
    await zk.createSocket();
    expect(await zk.getInfo()).toEqual({ userCounts: 20, logCounts: 3000, logCapacity: 1_000_000 });
    expect(await zk.getSerialNumber()).toBe('CQZ7232260123');
    expect(await zk.getPlatform()).toBe('ZMM220_TFT');
    const att = await zk.getAttendances();
    expect(att.data.map((r: { user_id: string }) => r.user_id)).toEqual(logPins());
    expect(att.data.map((r: { record_time: string }) => wall(new Date(r.record_time)))).toEqual(logTimes());
    const users = await zk.getUsers();
    expect(users.data.map((u: { userId: string }) => u.userId)).toEqual(sim!.log.users.map((u) => u.pin));
    await zk.disconnect();
  });

  it('UDP (ZUDP): connect, getInfo, getAttendances and getUsers answered in one CMD_DATA', async () => {
    const port = await startPaced({ records: 100, recordSize: 8, userSize: 28, tcp: false });
    const zk = new ZktecoJsUdp('127.0.0.1', port, 5000, 0);
    await zk.createSocket();
    await zk.connect();
    expect(await zk.getInfo()).toEqual({ userCounts: 20, logCounts: 100, logCapacity: 1_000_000 });
    const att = await zk.getAttendances();
    // 8-byte records carry the internal uid, not the PIN
    expect(att.data.map((r: { user_id: number }) => r.user_id)).toEqual(Array.from({ length: 100 }, (_, i) => sim!.log.punchAt(i).uid));
    expect(att.data.map((r: { record_time: Date }) => wall(r.record_time))).toEqual(logTimes());
    const users = await zk.getUsers();
    expect(users.data).toHaveLength(20);
    await zk.disconnect();
  });
});

describe.runIf(process.env.ZK_PEER_BUGS)('known peer bugs, reproduced on the simulator', () => {
  it('node-zklib TCP: merged packets in one read stall the download (it reads one packet per data event)', async () => {
    const port = await startPaced({ records: 3000, pacing: 'burst' });
    const zk = new NodeZkLib('127.0.0.1', port, 2000, 0);
    await zk.createSocket();
    const att = await zk.getAttendances();
    expect(att.err).toBeInstanceOf(Error);
    expect(att.data.length).toBeLessThan(3000 * 40);
  }, 30_000);

  it('zkteco-js TCP: merged packets give an empty result without an error', async () => {
    const port = await startPaced({ records: 3000, pacing: 'burst' });
    const zk = new ZktecoJs('127.0.0.1', port, 2000, 0);
    await zk.createSocket();
    expect((await zk.getAttendances()).data).toHaveLength(0);
  }, 30_000);

  it('zkteco-js UDP: a chunked read returns no records and no error', async () => {
    const port = await startPaced({ records: 3000, recordSize: 16, userSize: 28, tcp: false });
    const zk = new ZktecoJsUdp('127.0.0.1', port, 2000, 0);
    await zk.createSocket();
    await zk.connect();
    expect((await zk.getAttendances()).data).toHaveLength(0);
  }, 30_000);
});
