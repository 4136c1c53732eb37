// The watermark seam (src/devices/watermark.ts) through the real context on a real buffer (the
// memory context): seqThrough taken from the buffer after the commits, the zone's offset, never
// backwards, never ahead of the gateway clock, a freeze that holds, all kept across a restart.
import { afterEach, describe, expect, it } from 'vitest';
import { completeThroughOfReading, RECORD_SETTLE_SEC, WATERMARK_KEY } from '../../src/devices/watermark.js';
import { formatLocal } from '../../src/punch/time.js';
import { watermarkSchema } from '../../src/punch/watermark.js';
import { MemoryContext, MemoryStore } from '../helpers/memoryContext.js';
import { rawPunch } from '../helpers/punches.js';

const stores: MemoryStore[] = [];
function context(options: ConstructorParameters<typeof MemoryContext>[0] = {}): MemoryContext {
  const ctx = new MemoryContext(options);
  stores.push(ctx.store);
  return ctx;
}
afterEach(() => {
  for (const store of stores.splice(0)) if (!store.buffer.isClosed) store.close();
});

describe('ctx.watermark.advance', () => {
  it('names the device time with the zone offset and the buffer head at that moment', async () => {
    const ctx = context({ device: { id: 'lobby-1', driver: 'zk-tcp', timezone: 'Asia/Makassar' } });
    await ctx.emitMany([rawPunch(1), rawPunch(2), rawPunch(3)]);
    const watermark = await ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' });
    expect(watermarkSchema.parse(watermark)).toEqual({
      schema: 'watermark/v1', gateway: 'gw-test', site: 'TEST', device: 'lobby-1',
      completeThrough: '2026-01-19T16:30:00+08:00', seqThrough: 3, basis: 'download', at: expect.stringMatching(/Z$/),
    });
    expect(ctx.currentWatermark()).toEqual(watermark);
  });

  it('is 0 through an empty buffer and counts other devices\' punches in the head', async () => {
    const ctx = context();
    expect((await ctx.watermark.advance({ completeThroughLocal: '2026-01-01T00:00:00', basis: 'download' }))?.seqThrough).toBe(0);
    const other = context({ store: ctx.store, device: { id: 'hall', driver: 'zk-tcp' } });
    await other.emitMany([rawPunch(7), rawPunch(8)]);
    expect((await ctx.watermark.advance({ completeThroughLocal: '2026-01-02T00:00:00', basis: 'download' }))?.seqThrough).toBe(2);
  });

  it('reads the head only after every emit the context had started has committed', async () => {
    const ctx = context();
    // neither awaited: a realtime punch in flight while the proof is declared
    const pending = [ctx.emit(rawPunch(1)), ctx.emitMany([rawPunch(2), rawPunch(3)])];
    const watermark = await ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' });
    await Promise.all(pending);
    expect(watermark?.seqThrough).toBe(3);
    expect(Math.max(...ctx.punches().map((p) => p.seq))).toBe(3);
  });

  it('never moves backwards: an earlier or equal proof leaves the stored one', async () => {
    const ctx = context();
    await ctx.emitMany([rawPunch(1)]);
    const first = await ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' });
    await ctx.emitMany([rawPunch(2)]);
    expect(await ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:29:59', basis: 'download' })).toEqual(first);
    expect(await ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' })).toEqual(first);
    expect(ctx.currentWatermark()).toEqual(first);
    const later = await ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:01', basis: 'download' });
    expect(later).toMatchObject({ completeThrough: '2026-01-19T16:30:01+07:00', seqThrough: 2 });
  });

  it('never claims beyond the gateway clock: a terminal running fast is capped at now', async () => {
    const ctx = context();
    const before = Date.now();
    const future = formatLocal(before + 3_600_000, 7 * 60);
    const watermark = await ctx.watermark.advance({ completeThroughLocal: future, basis: 'download' });
    const claimedMs = Date.parse(watermark?.completeThrough ?? '');
    expect(claimedMs).toBeLessThanOrEqual(Date.now());
    expect(claimedMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(watermark?.completeThrough).toMatch(/\+07:00$/);
  });

  it('refuses a device time that is not one', async () => {
    const ctx = context();
    await expect(ctx.watermark.advance({ completeThroughLocal: '2026-02-30T07:00:00', basis: 'download' })).rejects.toThrow(/not a device wall time/);
    expect(ctx.currentWatermark()).toBeUndefined();
  });

  it('rejects once the buffer is closed, and stores nothing', async () => {
    const ctx = context();
    ctx.store.close();
    await expect(ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' })).rejects.toMatchObject({ code: 'GW_ERR_BUFFER_UNAVAILABLE' });
  });
});

describe('kept in the buffer', () => {
  it('a restart (a fresh context on the same buffer) finds the watermark and takes only later ones', async () => {
    const first = context();
    await first.emitMany([rawPunch(1)]);
    const proven = await first.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' });
    const restarted = new MemoryContext({ store: first.store });
    expect(restarted.currentWatermark()).toEqual(proven);
    expect(await restarted.watermark.advance({ completeThroughLocal: '2026-01-19T12:00:00', basis: 'download' })).toEqual(proven);
  });

  it('a stored value that does not validate counts as none', async () => {
    const ctx = context();
    ctx.store.setCheckpoint(ctx.deviceId, WATERMARK_KEY, { completeThrough: 'yesterday', seqThrough: -1 });
    expect(ctx.currentWatermark()).toBeUndefined();
    expect(await ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' })).toMatchObject({ completeThrough: '2026-01-19T16:30:00+07:00' });
  });

  it('a freeze keeps the last watermark for good, also after a restart', async () => {
    const ctx = context();
    const proven = await ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' });
    ctx.watermark.freeze('the terminal log was cleared behind the gateway');
    expect(await ctx.watermark.advance({ completeThroughLocal: '2026-01-20T16:30:00', basis: 'download' })).toEqual(proven);
    const restarted = new MemoryContext({ store: ctx.store });
    expect(restarted.currentFreeze()).toEqual({ reason: 'the terminal log was cleared behind the gateway', at: expect.stringMatching(/Z$/) });
    expect(await restarted.watermark.advance({ completeThroughLocal: '2026-01-21T16:30:00', basis: 'download' })).toEqual(proven);
  });
});

describe('completeThroughOfReading', () => {
  it(`is the reading less ${RECORD_SETTLE_SEC} s, across a day boundary`, () => {
    expect(completeThroughOfReading('2026-01-19T16:30:00')).toBe('2026-01-19T16:29:55');
    expect(completeThroughOfReading('2026-03-01T00:00:02')).toBe('2026-02-28T23:59:57');
    expect(() => completeThroughOfReading('2026-01-19 16:30')).toThrow();
  });
});
