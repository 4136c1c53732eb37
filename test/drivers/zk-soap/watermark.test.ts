// The zk-soap completeness watermark (basis `download`: GetDate just before GetAttLog, README
// "Completeness watermark") on the simulator over loopback, through the real context and buffer,
// one poll at a time: it appears only after a complete poll, claims exactly what is committed,
// stays where it was when a poll fails, never goes backwards, and proves nothing (or freezes) when
// the log cannot be accounted for.
import { afterEach, describe, expect, it } from 'vitest';
import { zkSoapConfigSchema } from '../../../drivers/zk-soap/config.js';
import { ZkSoapDriver } from '../../../drivers/zk-soap/driver.js';
import { RECORD_SETTLE_SEC } from '../../../src/devices/watermark.js';
import { parseWallTime, wallSeconds } from '../../../src/punch/time.js';
import type { Watermark } from '../../../src/punch/watermark.js';
import { ZkSoapSimulator, type ZkSoapSimOptions } from '../../../src/sim/zkSoap/index.js';
import { MemoryContext } from '../../helpers/memoryContext.js';

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

const seconds = (localTime: string): number => wallSeconds(parseWallTime(localTime.slice(0, 19))!);

function expectClaimHolds(ctx: MemoryContext, s: ZkSoapSimulator, watermark: Watermark): void {
  const through = watermark.completeThrough.slice(0, 19);
  const seqOf = new Map(ctx.committed().map((p) => [`${p.pin}|${p.localTime}`, p.punch.seq]));
  const covered = s.log.filter((p) => p.localTime <= through);
  expect(covered.length).toBeGreaterThan(0);
  for (const p of covered) expect(seqOf.get(`${p.pin}|${p.localTime}`), `${p.pin} ${p.localTime}`).toBeLessThanOrEqual(watermark.seqThrough);
  expect(watermark.seqThrough).toBe(Math.max(...ctx.punches().map((p) => p.seq)));
}

describe('zk-soap watermark, basis download', () => {
  it('appears after a complete poll with the GetDate reading, covering exactly what is committed', async () => {
    const { ctx, d, s } = await setup({ records: 4500 });
    const before = seconds(s.deviceNow());
    await d.pollOnce();
    const after = seconds(s.deviceNow());
    const watermark = ctx.currentWatermark()!;
    expect(watermark).toMatchObject({ schema: 'watermark/v1', device: 'lobby-1', basis: 'download', seqThrough: 4500 });
    expect(seconds(watermark.completeThrough)).toBeGreaterThanOrEqual(before - RECORD_SETTLE_SEC);
    expect(seconds(watermark.completeThrough)).toBeLessThanOrEqual(after - RECORD_SETTLE_SEC);
    expectClaimHolds(ctx, s, watermark);
    // declared once, after the last of the three batches
    expect(ctx.declared).toHaveLength(1);
    expect(ctx.commits).toBe(3);
  });

  it('moves forward poll by poll; a punch in the log before a poll is covered by its proof', async () => {
    const { ctx, d, s } = await setup({ records: 10 });
    await d.pollOnce();
    const first = ctx.currentWatermark()!;
    const punch = s.addPunch({ pin: '42', localTime: s.log.at(-1)!.localTime.replace('2026-01-05', '2026-01-06') });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await d.pollOnce();
    const second = ctx.currentWatermark()!;
    expect(seconds(second.completeThrough)).toBeGreaterThan(seconds(first.completeThrough));
    expect(second.seqThrough).toBe(11);
    expect(punch.localTime <= second.completeThrough.slice(0, 19)).toBe(true);
    expectClaimHolds(ctx, s, second);
  });

  it('a poll that fails halfway declares nothing and leaves the watermark where it was', async () => {
    const { ctx, d, s } = await setup({ records: 30 });
    await d.pollOnce();
    const first = ctx.currentWatermark()!;
    s.addPunch({ pin: '43' });
    s.o.faults.truncate = true;
    await expect(d.pollOnce()).rejects.toThrow();
    expect(ctx.declared).toHaveLength(1);
    expect(ctx.currentWatermark()).toEqual(first);
    s.o.faults.truncate = false;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await d.pollOnce();
    expect(ctx.currentWatermark()!.seqThrough).toBe(31);
  });

  it('never goes backwards when the terminal clock is set back', async () => {
    const { ctx, d, s } = await setup({ records: 5 });
    await d.pollOnce();
    const first = ctx.currentWatermark()!;
    s.clockOffset = -7200;
    s.addPunch({ pin: '44' });
    await d.pollOnce();
    expect(ctx.declared).toHaveLength(2);
    expect(ctx.currentWatermark()).toEqual(first);
    expect(ctx.committed().find((p) => p.pin === '44')!.punch.seq).toBeGreaterThan(first.seqThrough);
  });

  it('proves nothing from a terminal that does not tell its clock', async () => {
    const { ctx, d } = await setup({ records: 5, faults: { noClock: true } });
    await d.pollOnce();
    expect(ctx.store.size).toBe(5);
    expect(ctx.declared).toEqual([]);
    expect(ctx.currentWatermark()).toBeUndefined();
  });

  it('proves nothing while the log holds a row that does not decode', async () => {
    const { ctx, d, s } = await setup({ records: 5 });
    s.addPunch({ pin: '45', localTime: 'not a time' });
    await d.pollOnce();
    expect(ctx.store.size).toBe(5);
    expect(ctx.currentWatermark()).toBeUndefined();
    // the bad row leaves the log (by hand, at the terminal): the log is shorter, which nobody can account for
    s.log.pop();
    await d.pollOnce();
    expect(ctx.currentWatermark()).toBeUndefined();
    expect(ctx.currentFreeze()?.reason).toMatch(/no longer holds the row/);
  });

  it('freezes when the log is replaced behind the gateway by one as long', async () => {
    const { ctx, d, s } = await setup({ records: 3 });
    await d.pollOnce();
    const first = ctx.currentWatermark()!;
    s.log.splice(0, s.log.length);
    for (let i = 0; i < 4; i++) s.addPunch({ pin: String(50 + i) });
    await d.pollOnce();
    expect(ctx.currentFreeze()).toBeDefined();
    expect(ctx.store.size).toBe(7);
    await d.pollOnce();
    expect(ctx.currentWatermark()).toEqual(first);
  });

  it('clearAfterDownload: the poll that clears still proves its watermark, then it freezes (SOAP cannot hold the keypad)', async () => {
    const { ctx, d, s } = await setup({ records: 20 }, { clearAfterDownload: true });
    await d.pollOnce();
    expect(s.log).toHaveLength(0);
    const proven = ctx.currentWatermark()!;
    expect(proven.seqThrough).toBe(20);
    expect(ctx.currentFreeze()?.reason).toMatch(/cannot hold the keypad/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    s.addPunch({ pin: '46' });
    await d.pollOnce();
    expect(ctx.store.size).toBe(21);
    expect(ctx.currentWatermark()).toEqual(proven);
  });
});
