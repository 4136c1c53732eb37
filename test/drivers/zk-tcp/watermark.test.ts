// The zk-tcp completeness watermark (basis `download`, README "Completeness watermark") on the
// simulator over real sockets, through the real context and buffer: it appears only once a whole
// download is committed, claims exactly what is committed, stays where it was when a download
// fails, never goes backwards, and freezes when the log loses what the gateway never read.
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_SETTLE_SEC, WATERMARK_KEY } from '../../../src/devices/watermark.js';
import { parseWallTime, wallSeconds } from '../../../src/punch/time.js';
import type { Watermark } from '../../../src/punch/watermark.js';
import type { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import type { MemoryContext } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { checkpointOf, startDriver, startSim, synced, type Running } from './harness.js';

let sim: ZkTcpSimulator | undefined;
let running: Running | undefined;

afterEach(async () => {
  await running?.driver.stop();
  await sim?.stop();
  running = undefined;
  sim = undefined;
});

const POLLING = { realtime: false, pollInterval: '150ms' };

/** Every record of the terminal's log stamped at or before the watermark is committed with seq ≤ seqThrough, and no more. */
function expectClaimHolds(ctx: MemoryContext, terminal: ZkTcpSimulator, watermark: Watermark): void {
  const through = watermark.completeThrough.slice(0, 19);
  const seqOf = new Map(ctx.committed().map((p) => [`${p.pin}|${p.localTime}`, p.punch.seq]));
  const covered = Array.from({ length: terminal.log.count }, (_, i) => terminal.log.punchAt(i)).filter((p) => p.localTime <= through);
  expect(covered.length).toBeGreaterThan(0);
  for (const p of covered) {
    const seq = seqOf.get(`${p.pin}|${p.localTime}`);
    expect(seq, `${p.pin} ${p.localTime} committed`).toBeDefined();
    expect(seq).toBeLessThanOrEqual(watermark.seqThrough);
  }
  // seqThrough is the head after the commit that completed the download: every committed punch
  expect(watermark.seqThrough).toBe(Math.max(...ctx.punches().map((p) => p.seq)));
}

const watermarkOf = (ctx: MemoryContext): Watermark | undefined => ctx.currentWatermark();

describe('zk-tcp watermark, basis download', () => {
  it('appears only once the whole log is committed, and claims the terminal clock read before it', async () => {
    sim = await startSim({ records: 2000 });
    const cfg = { ...POLLING, pollInterval: '1h' };
    const before = wallSeconds(sim.deviceNow());
    running = await startDriver(sim, cfg);
    const ctx = running.ctx;
    const seenAtStore: number[] = [];
    ctx.store.onChange(() => {
      if (ctx.checkpoints()[WATERMARK_KEY] !== undefined && seenAtStore.length === 0) seenAtStore.push(ctx.committed().length);
    });
    await synced(ctx, sim);
    await until(() => watermarkOf(ctx) !== undefined, 'a watermark');
    const after = wallSeconds(sim.deviceNow());
    // stored only when every record had been committed
    expect(seenAtStore).toEqual([2000]);
    const watermark = watermarkOf(ctx)!;
    expect(watermark).toMatchObject({ schema: 'watermark/v1', device: 'lobby-1', basis: 'download' });
    const claimed = wallSeconds(parseWallTime(watermark.completeThrough.slice(0, 19))!);
    expect(claimed).toBeGreaterThanOrEqual(before - RECORD_SETTLE_SEC);
    expect(claimed).toBeLessThanOrEqual(after - RECORD_SETTLE_SEC);
    expect(watermark.completeThrough).toMatch(/\+07:00$/);
    expectClaimHolds(ctx, sim, watermark);
    expect(ctx.snapshot.details.unheldRecords).toBe(0);
  });

  it('moves forward with each complete download, covering what the terminal recorded meanwhile', async () => {
    sim = await startSim({ records: 50 });
    running = await startDriver(sim, POLLING);
    const ctx = running.ctx;
    await until(() => watermarkOf(ctx) !== undefined, 'a first watermark');
    const first = watermarkOf(ctx)!;
    sim.addPunch({ pin: '9002' });
    sim.addPunch({ pin: '9003' });
    await until(() => Date.parse(watermarkOf(ctx)!.completeThrough) > Date.parse(first.completeThrough) && watermarkOf(ctx)!.seqThrough === 52, 'a later watermark covering the two new punches', 15_000);
    // wait out the settle margin so both punches are surely under a later proof
    await new Promise((resolve) => setTimeout(resolve, (RECORD_SETTLE_SEC + 1) * 1000));
    await until(() => watermarkOf(ctx)!.completeThrough.slice(0, 19) >= sim!.log.punchAt(51).localTime, 'a watermark past the new punches', 15_000);
    expectClaimHolds(ctx, sim, watermarkOf(ctx)!);
    const times = ctx.watermarks.map((w) => Date.parse(w!.completeThrough));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('a download that fails midway declares nothing and leaves the watermark where it was', async () => {
    sim = await startSim({ records: 500 });
    running = await startDriver(sim, POLLING);
    const ctx = running.ctx;
    await until(() => watermarkOf(ctx) !== undefined, 'a first watermark');
    const first = watermarkOf(ctx)!;
    const declaredBefore = ctx.declared.length;
    // every download from now on drops mid-chunk; a new punch waits in the log
    sim.options.faults.dropMidChunk = Number.MAX_SAFE_INTEGER;
    sim.addPunch({ pin: '9004' });
    const dropsBefore = sim.stats.drops;
    await until(() => sim!.stats.drops >= dropsBefore + 3, 'three failed downloads', 15_000);
    expect(ctx.declared.length).toBe(declaredBefore);
    expect(watermarkOf(ctx)).toEqual(first);
    expect(ctx.committed().some((p) => p.pin === '9004')).toBe(false);
    // the terminal answers whole again: the next complete download moves it on
    sim.options.faults.dropMidChunk = 0;
    await until(() => ctx.committed().some((p) => p.pin === '9004') && watermarkOf(ctx)!.seqThrough === 501, 'the punch and a new watermark', 15_000);
    expect(Date.parse(watermarkOf(ctx)!.completeThrough)).toBeGreaterThan(Date.parse(first.completeThrough));
  });

  it('never goes backwards when the terminal clock is set back; the punches it stamps meanwhile still arrive', async () => {
    sim = await startSim({ records: 20 });
    running = await startDriver(sim, POLLING);
    const ctx = running.ctx;
    await until(() => watermarkOf(ctx) !== undefined, 'a first watermark');
    const first = watermarkOf(ctx)!;
    sim.clockOffset = -3600;
    const declaredBefore = ctx.declared.length;
    const late = sim.addPunch({ pin: '9005' });
    await until(() => ctx.declared.length >= declaredBefore + 2 && ctx.committed().some((p) => p.pin === '9005'), 'downloads after the set-back', 15_000);
    expect(watermarkOf(ctx)).toEqual(first);
    expect(ctx.watermarks.at(-1)).toEqual(first);
    // stamped an hour earlier, under the watermark, committed after it: a seq above seqThrough
    expect(late.localTime < first.completeThrough.slice(0, 19)).toBe(true);
    expect(ctx.committed().find((p) => p.pin === '9005')!.punch.seq).toBeGreaterThan(first.seqThrough);
  });

  it('proves the log with records the edge rules quarantined: they are held, in quarantine', async () => {
    sim = await startSim({ records: 10 });
    // a record whose user id the edge rule refuses
    sim.addPunch({ pin: 'bad pin', localTime: '2026-01-05T06:00:00' }, { realtime: false });
    running = await startDriver(sim, POLLING);
    const ctx = running.ctx;
    await until(() => watermarkOf(ctx) !== undefined, 'a watermark');
    expect(ctx.quarantine().map((q) => q.reason)).toEqual(['pin-invalid']);
    expect(checkpointOf(ctx)?.unheld).toBe(0);
  });

  it('proves nothing while records before importSince are in the log (the gateway never holds them)', async () => {
    sim = await startSim({ records: 40 });
    running = await startDriver(sim, { ...POLLING, importSince: sim.log.punchAt(20).localTime });
    const ctx = running.ctx;
    await synced(ctx, sim);
    await until(() => ctx.snapshot.details.unheldRecords === 20, 'the skipped records counted');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(checkpointOf(ctx)?.unheld).toBe(20);
    expect(ctx.declared).toEqual([]);
    expect(watermarkOf(ctx)).toBeUndefined();
  });

  it('freezes when the log is cleared behind the gateway: punches may be gone that nobody read', async () => {
    sim = await startSim({ records: 30 });
    running = await startDriver(sim, POLLING);
    const ctx = running.ctx;
    await until(() => watermarkOf(ctx) !== undefined, 'a first watermark');
    const first = watermarkOf(ctx)!;
    sim.log.clear();
    sim.addPunch({ pin: '9006' }, { realtime: false });
    await until(() => ctx.currentFreeze() !== undefined && ctx.committed().some((p) => p.pin === '9006'), 'the freeze and the new punch', 15_000);
    expect(ctx.currentFreeze()?.reason).toMatch(/no longer holds the last record/);
    const declared = ctx.declared.length;
    await until(() => ctx.declared.length > declared, 'a later download');
    expect(watermarkOf(ctx)).toEqual(first);
  });

  it('clearAfterDownload: a log the gateway cleared itself goes on proving, no freeze', async () => {
    sim = await startSim({ records: 30 });
    running = await startDriver(sim, { ...POLLING, clearAfterDownload: true });
    const ctx = running.ctx;
    await until(() => sim!.log.count === 0, 'the log cleared');
    const watermark = watermarkOf(ctx)!;
    expect(watermark.seqThrough).toBe(30);
    sim.addPunch({ pin: '9007' }, { realtime: false });
    await until(() => watermarkOf(ctx)!.seqThrough === 31, 'the next watermark, no freeze', 15_000);
    expect(ctx.currentFreeze()).toBeUndefined();
  });
});

