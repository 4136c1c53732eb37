// The fingerspot-easylink completeness watermark (basis `paging`, README "Completeness watermark")
// on the bridge simulator over loopback HTTP, through the real context and buffer: the first-start
// backfill and each reconciliation prove it once every row of the log is committed; a paging read
// that fails proves nothing and leaves it; it never goes backwards; no clock, a floor, a short read
// or a replaced log prove nothing (the last freezes it).
import { afterEach, describe, expect, it } from 'vitest';
import { proveByPaging } from '../../../drivers/fingerspot-easylink/watermark.js';
import { RECORD_SETTLE_SEC } from '../../../src/devices/watermark.js';
import { parseWallTime, wallSeconds } from '../../../src/punch/time.js';
import type { Watermark } from '../../../src/punch/watermark.js';
import type { FingerspotSimulator, FingerspotSimOptions } from '../../../src/sim/fingerspot/index.js';
import { MemoryContext, MemoryStore } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { checkpointOf, SERIAL, startDriver, startSim, type Running } from './harness.js';

let sim: FingerspotSimulator | undefined;
const running: Running[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) await r.driver.stop();
  await sim?.stop();
  sim = undefined;
});

async function drive(simOptions: FingerspotSimOptions, extra: Record<string, unknown> = {}, fill = 250): Promise<Running> {
  sim = await startSim(simOptions);
  sim.fill(fill);
  const r = startDriver(sim, { pageSize: 100, ...extra }, new MemoryStore());
  running.push(r);
  return r;
}

const seconds = (localTime: string): number => wallSeconds(parseWallTime(localTime.slice(0, 19).replace(' ', 'T'))!);
const pagings = (): number => sim!.stats.requests['/scanlog/all/paging'] ?? 0;

function expectClaimHolds(r: Running, watermark: Watermark): void {
  const seqOf = new Map(r.ctx.committed().map((p) => [`${p.pin}|${p.localTime}`, p.punch.seq]));
  const covered = sim!.terminal().log.filter((s) => s.scanDate.replace(' ', 'T') <= watermark.completeThrough.slice(0, 19));
  expect(covered.length).toBeGreaterThan(0);
  for (const s of covered) expect(seqOf.get(`${s.pin}|${s.scanDate.replace(' ', 'T')}`), `${s.pin} ${s.scanDate}`).toBeLessThanOrEqual(watermark.seqThrough);
}

describe('fingerspot-easylink watermark, basis paging', () => {
  it('the first-start backfill proves it with the terminal clock (Jam) read before the paging', async () => {
    const before = seconds(new Date().toISOString()) + 7 * 3600;
    const r = await drive({});
    await until(() => r.ctx.currentWatermark() !== undefined, 'a watermark');
    const watermark = r.ctx.currentWatermark()!;
    expect(watermark).toMatchObject({ schema: 'watermark/v1', device: 'revo-1', basis: 'paging', seqThrough: 250 });
    expect(seconds(watermark.completeThrough)).toBeGreaterThanOrEqual(before - RECORD_SETTLE_SEC - 1);
    expect(seconds(watermark.completeThrough)).toBeLessThanOrEqual(seconds(sim!.clock()) - RECORD_SETTLE_SEC);
    expectClaimHolds(r, watermark);
    expect(checkpointOf(r.ctx)?.provenFirstRow).toContain('"PIN":"1"');
  });

  it('each reconciliation moves it forward, covering scans another /scanlog/new client took', async () => {
    const r = await drive({}, { reconcileInterval: '300ms' }, 20);
    await until(() => r.ctx.currentWatermark() !== undefined, 'a first watermark');
    const first = r.ctx.currentWatermark()!;
    sim!.addPunch({ pin: '42', scanDate: '2026-03-03 08:00:00' });
    // consumed by someone else: /scanlog/new will never hand it to the gateway
    sim!.terminal().newCursor = sim!.terminal().log.length;
    await until(() => (r.ctx.currentWatermark()?.seqThrough ?? 0) === 21 && seconds(r.ctx.currentWatermark()!.completeThrough) > seconds(first.completeThrough), 'a later watermark with the taken scan', 10_000);
    expectClaimHolds(r, r.ctx.currentWatermark()!);
    const times = r.ctx.watermarks.map((w) => Date.parse(w!.completeThrough));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('a paging read that fails midway proves nothing and leaves the watermark where it was', async () => {
    const r = await drive({}, { reconcileInterval: '300ms' });
    await until(() => r.ctx.currentWatermark() !== undefined, 'a first watermark');
    const first = r.ctx.currentWatermark()!;
    const declared = r.ctx.declared.length;
    sim!.addPunch({ pin: '43', scanDate: '2026-03-03 09:00:00' });
    sim!.terminal().newCursor = sim!.terminal().log.length;
    sim!.faults.failPagingAt = 100;
    await until(() => sim!.faults.failPagingAt === undefined, 'the failed page');
    expect(r.ctx.declared.length).toBe(declared);
    expect(r.ctx.currentWatermark()).toEqual(first);
    await until(() => r.ctx.currentWatermark()?.seqThrough === 251, 'the next complete paging proves it', 10_000);
  });

  it('never goes backwards when the terminal clock is set back', async () => {
    const r = await drive({}, { reconcileInterval: '300ms' }, 10);
    await until(() => r.ctx.currentWatermark() !== undefined, 'a first watermark');
    const first = r.ctx.currentWatermark()!;
    sim!.terminal().clockOffsetSec = -7200;
    const declared = r.ctx.declared.length;
    await until(() => r.ctx.declared.length >= declared + 2, 'two more proofs', 10_000);
    expect(r.ctx.currentWatermark()).toEqual(first);
  });

  it('proves nothing from firmware without a clock in /dev/info', async () => {
    const r = await drive({ noClock: true });
    await until(() => checkpointOf(r.ctx)?.backfilled === true && r.ctx.store.size === 250, 'backfill');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.ctx.declared).toEqual([]);
    expect(r.ctx.currentWatermark()).toBeUndefined();
  });

  it('proves nothing with importSince: the rows before it are never committed', async () => {
    const r = await drive({}, { importSince: '2026-03-02T09:00', reconcileInterval: '300ms' });
    await until(() => checkpointOf(r.ctx)?.backfilled === true && pagings() >= 9, 'backfill and a reconciliation');
    expect(r.ctx.store.size).toBe(130);
    expect(r.ctx.declared).toEqual([]);
  });

  it('freezes when the log is cleared behind the gateway', async () => {
    const r = await drive({}, { reconcileInterval: '300ms' }, 30);
    await until(() => r.ctx.currentWatermark() !== undefined, 'a first watermark');
    const first = r.ctx.currentWatermark()!;
    sim!.terminal().log.splice(0);
    sim!.terminal().newCursor = 0;
    sim!.addPunch({ pin: '44' });
    await until(() => r.ctx.currentFreeze() !== undefined, 'the freeze', 10_000);
    expect(r.ctx.currentFreeze()?.reason).toMatch(/no longer starts with the row/);
    await until(() => r.ctx.committed().some((p) => p.pin === '44'), 'the new scan still committed');
    expect(r.ctx.currentWatermark()).toEqual(first);
  });
});

describe('proveByPaging', () => {
  const plan = { since: undefined, expectedRows: 10, why: 'reconcile' as const };
  const result = { rows: 10, emitted: 10, inserted: 10, duplicates: 0, skipped: 0, rejected: 0, first: '{"PIN":"1"}' };
  const proof = (over: Partial<Parameters<typeof proveByPaging>[0]>) => {
    const ctx = new MemoryContext({ device: { id: 'revo-1', driver: 'fingerspot-easylink' } });
    return { ctx, run: () => proveByPaging({ ctx, serial: SERIAL, readingLocal: '2026-03-02T08:00:00', plan, result, recordsNow: () => Promise.resolve(10), ...over }) };
  };

  it.each([
    ['fewer rows seen than the terminal counts after the read', { recordsNow: () => Promise.resolve(11) }, /saw 10 rows of 11/],
    ['a terminal that tells no count', { recordsNow: () => Promise.resolve(undefined) }, /no record count/],
    ['a row that did not map', { result: { ...result, rejected: 1 } }, /could not commit/],
    ['a read with a floor', { plan: { ...plan, since: '2026-03-01T00:00:00' } }, /floor/],
  ])('declares nothing for %s', async (_name, over, why) => {
    const { ctx, run } = proof(over);
    expect(await run()).toMatch(why);
    expect(ctx.declared).toEqual([]);
    ctx.store.close();
  });

  it('declares the reading less the settle margin, and remembers the first row', async () => {
    const { ctx, run } = proof({});
    expect(await run()).toBeUndefined();
    expect(ctx.currentWatermark()?.completeThrough).toBe('2026-03-02T07:59:55+07:00');
    expect(checkpointOf(ctx)?.provenFirstRow).toBe('{"PIN":"1"}');
    ctx.store.close();
  });
});
