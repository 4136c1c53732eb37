// The zk-soap driver's poll against the simulator over loopback, on the memory context
// (test/helpers/memoryContext.ts: the real normalize and quarantine on an in-memory buffer).
import { afterEach, describe, expect, it } from 'vitest';
import { zkSoapConfigSchema } from '../../../drivers/zk-soap/config.js';
import { ZkSoapDriver } from '../../../drivers/zk-soap/driver.js';
import { CHECKPOINT_KEY, newRecords, type SoapCheckpoint } from '../../../drivers/zk-soap/sync.js';
import type { AttRecord } from '../../../drivers/zk-soap/codec.js';
import { ZkSoapSimulator, type ZkSoapSimOptions } from '../../../src/sim/zkSoap/index.js';
import { MemoryContext } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';

let sim: ZkSoapSimulator | undefined;
let driver: ZkSoapDriver | undefined;

afterEach(async () => {
  await driver?.stop();
  await sim?.stop();
  driver = undefined;
  sim = undefined;
});

async function setup(simOptions: ZkSoapSimOptions, cfg: Record<string, unknown> = {}) {
  sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, ...simOptions });
  await sim.start();
  const config = zkSoapConfigSchema.parse({ id: 'lobby-1', driver: 'zk-soap', host: '127.0.0.1', port: sim.address.port, timeout: '5s', timezone: 'Asia/Jakarta', ...cfg });
  const ctx = new MemoryContext({ device: config });
  driver = new ZkSoapDriver(config, ctx);
  return { ctx, d: driver, s: sim };
}

const checkpointOf = (ctx: MemoryContext) => ctx.checkpoints()[CHECKPOINT_KEY] as SoapCheckpoint | undefined;

describe('zk-soap driver', () => {
  it('commits the whole log on the first poll, with the newest time as checkpoint', async () => {
    const { ctx, d, s } = await setup({ records: 4500, commKey: '777' }, { commKey: 777 });
    await d.pollOnce();
    expect(ctx.store.size).toBe(4500);
    expect(ctx.commits).toBe(3); // batches of 2000
    expect(checkpointOf(ctx)).toEqual({ lastTime: s.log.at(-1)!.localTime, rows: 4500, rowKey: expect.stringContaining(s.log.at(-1)!.localTime.replace('T', ' ')) });
    expect(ctx.snapshot).toMatchObject({ online: true, lastError: null });
    expect(Math.abs(ctx.snapshot.clockSkewSec!)).toBeLessThanOrEqual(2);
    const first = ctx.committed()[0]!;
    expect(first).toMatchObject({ pin: '1', localTime: '2026-01-05T07:00:00', state: 'check-in', verify: 'fingerprint', workCode: 0 });
    expect(first.raw).toMatchObject({ source: 'soap', row: 0, PIN: '1', DateTime: '2026-01-05 07:00:00', Verified: '1', Status: '0' });
  });

  it('commits only new punches on the next poll (re-reading the boundary second)', async () => {
    const { ctx, d, s } = await setup({ records: 10 });
    await d.pollOnce();
    const boundary = s.log.at(-1)!.localTime;
    s.addPunch({ pin: '9', localTime: boundary, status: 1, verified: 15 }); // same second as the checkpoint
    s.addPunch({ pin: '3', localTime: '2026-01-06T08:00:00', status: 0, verified: 4 });
    ctx.emitted.length = 0;
    await d.pollOnce();
    expect(ctx.emitted.map((p) => `${p.pin} ${p.localTime}`)).toEqual([`${s.log[9]!.pin} ${boundary}`, `9 ${boundary}`, '3 2026-01-06T08:00:00']);
    expect(ctx.emitted.slice(1).map((p) => `${p.state} ${p.verify}`)).toEqual(['check-out face', 'check-in card']);
    expect(ctx.store.size).toBe(12);
    expect(checkpointOf(ctx)).toEqual({ lastTime: '2026-01-06T08:00:00', rows: 12, rowKey: expect.stringContaining('2026-01-06 08:00:00') });
  });

  it('catches punches written after the terminal clock was set back', async () => {
    const { ctx, d, s } = await setup({ records: 5 });
    await d.pollOnce();
    s.addPunch({ pin: '4', localTime: '2025-12-31T23:59:00' });
    await d.pollOnce();
    expect(ctx.store.size).toBe(6);
  });

  it('maps codes through config overrides', async () => {
    const { ctx, d } = await setup({ records: 2 }, { stateMap: { '0': 'overtime-in' }, verifyMap: { '1': 'card' } });
    await d.pollOnce();
    expect(ctx.committed()[0]).toMatchObject({ state: 'overtime-in', verify: 'card' });
  });

  it('clears the log only after the commit, and keeps reading new punches afterwards', async () => {
    const { ctx, d, s } = await setup({ records: 50 }, { clearAfterDownload: true });
    await d.pollOnce();
    expect(ctx.store.size).toBe(50);
    expect(s.log).toHaveLength(0);
    expect(s.stats.calls.ClearData).toBe(1);
    expect(checkpointOf(ctx)?.rows).toBe(0);
    s.addPunch({ pin: '8', localTime: '2026-01-05T06:00:00' }); // an older time still counts: rows start at 0 again
    await d.pollOnce();
    expect(ctx.store.size).toBe(51);
  });

  it('neither clears nor moves the checkpoint when the commit fails', async () => {
    const { ctx, d, s } = await setup({ records: 20 }, { clearAfterDownload: true });
    ctx.failCommits = true;
    await expect(d.pollOnce()).rejects.toThrow(/SQLITE_FULL/);
    expect(s.log).toHaveLength(20);
    expect(s.stats.calls.ClearData ?? 0).toBe(0);
    expect(checkpointOf(ctx)).toBeUndefined();
  });

  it('sets the terminal clock only when syncClock is on', async () => {
    const { ctx, d, s } = await setup({ records: 1, clockOffsetSec: -3600 }, { syncClock: true });
    await d.pollOnce();
    expect(s.stats.calls.SetDate).toBe(1);
    expect(Math.abs(ctx.snapshot.clockSkewSec!)).toBeLessThanOrEqual(2);
  });

  it('leaves the clock alone by default and reports the skew', async () => {
    const { ctx, d, s } = await setup({ records: 1, clockOffsetSec: -3600 });
    await d.pollOnce();
    expect(s.stats.calls.SetDate ?? 0).toBe(0);
    expect(Math.abs(ctx.snapshot.clockSkewSec! + 3600)).toBeLessThanOrEqual(2);
  });

  it('counts a truncated answer as a rejection, commits nothing, and reports the device offline', async () => {
    const { ctx, d } = await setup({ records: 100, faults: { truncate: true } });
    await d.start();
    await until(() => ctx.rejections.length > 0 && typeof ctx.snapshot.lastError === 'string', 'a rejection');
    expect(ctx.rejections[0]?.reason).toBe('zk-soap-body-xml');
    expect(ctx.store.size).toBe(0);
    expect(ctx.snapshot).toMatchObject({ online: false, lastError: expect.stringContaining('GW_ERR_DOWNLOAD_INCOMPLETE') as string });
  });

  it('reports a wrong comm key as GW_ERR_DEVICE_AUTH', async () => {
    const { ctx, d } = await setup({ records: 3, commKey: '1' }, { commKey: '2' });
    await expect(d.pollOnce()).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_AUTH' });
    expect(ctx.store.size).toBe(0);
  });
});

describe('newRecords', () => {
  const rec = (row: number, localTime: string): AttRecord => ({ row, pin: String(row), localTime, verified: 1, status: 0, workCode: null, fields: {} });
  const log = [rec(0, '2026-01-01T08:00:00'), rec(1, '2026-01-01T09:00:00'), rec(2, '2026-01-01T07:00:00'), rec(3, '2026-01-01T09:00:00')];
  it.each([
    ['no checkpoint: everything, oldest first', undefined, [2, 0, 1, 3]],
    ['at or after lastTime, plus rows past the count', { lastTime: '2026-01-01T09:00:00', rows: 3 }, [1, 3]],
    ['a shorter log than before: everything', { lastTime: '2026-01-01T09:00:00', rows: 10 }, [2, 0, 1, 3]],
    ['rows past the count even when older', { lastTime: '2026-01-02T00:00:00', rows: 2 }, [2, 3]],
  ] as const)('%s', (_name, cp, rows) => {
    expect(newRecords(log, log.length, cp as SoapCheckpoint | undefined).map((r) => r.row)).toEqual(rows);
  });
});
