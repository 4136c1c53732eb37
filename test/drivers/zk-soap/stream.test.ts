// The streamed GetAttLog (sync.ts, stream.ts) against the simulator over loopback sockets: batches
// commit while the answer is still arriving, a cut or stalled answer keeps its punches and the old
// checkpoint, a shorter log is read again and committed whole, and a large log goes through a
// window of bounded size.
import { afterEach, describe, expect, it } from 'vitest';
import { SoapClient } from '../../../drivers/zk-soap/client.js';
import { zkSoapConfigSchema } from '../../../drivers/zk-soap/config.js';
import { ZkSoapDriver } from '../../../drivers/zk-soap/driver.js';
import { MAX_SPAN_CHARS } from '../../../drivers/zk-soap/stream.js';
import { BATCH, CHECKPOINT_KEY, HELD_ROWS_MAX, syncAttendance, type SoapCheckpoint } from '../../../drivers/zk-soap/sync.js';
import { ZkSoapSimulator, type ZkSoapSimOptions } from '../../../src/sim/zkSoap/index.js';
import { MemoryContext } from '../../helpers/memoryContext.js';

let sim: ZkSoapSimulator | undefined;
let driver: ZkSoapDriver | undefined;

afterEach(async () => {
  await driver?.stop();
  sim?.release();
  await sim?.stop();
  driver = undefined;
  sim = undefined;
});

async function setup(simOptions: ZkSoapSimOptions, timeout = '5s') {
  sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, ...simOptions });
  await sim.start();
  const config = zkSoapConfigSchema.parse({ id: 'lobby-1', driver: 'zk-soap', host: '127.0.0.1', port: sim.address.port, timeout, timezone: 'Asia/Jakarta' });
  const ctx = new MemoryContext({ device: config });
  driver = new ZkSoapDriver(config, ctx);
  return { ctx, d: driver, s: sim, config };
}

const checkpointOf = (ctx: MemoryContext) => ctx.checkpoints()[CHECKPOINT_KEY] as SoapCheckpoint | undefined;

/** `n` punches after the simulator's seeded log, one a minute from 2026-03-01 */
function appendPunches(s: ZkSoapSimulator, n: number, from = Date.UTC(2026, 2, 1)): void {
  for (let i = 0; i < n; i++) s.addPunch({ pin: String(1 + (i % 20)), localTime: new Date(from + i * 60_000).toISOString().slice(0, 19) });
}

describe('zk-soap streamed GetAttLog', () => {
  it('commits a batch while the rest of the answer is still held by the terminal, the checkpoint only with the last', async () => {
    const { ctx, d, s } = await setup({ records: 10_000, faults: { hold: true } });
    const atFirstCommit: { held: number; committed: number; checkpoint: unknown }[] = [];
    ctx.onCommit = () => {
      if (atFirstCommit.length > 0) return;
      atFirstCommit.push({ held: s.stats.held, committed: ctx.store.size, checkpoint: checkpointOf(ctx) });
      s.release(); // the terminal sends the second half only once a batch of the first is committed
    };
    await d.pollOnce();
    expect(atFirstCommit).toEqual([{ held: 1, committed: BATCH, checkpoint: undefined }]);
    expect(ctx.store.size).toBe(10_000);
    expect(checkpointOf(ctx)).toMatchObject({ lastTime: s.log.at(-1)!.localTime, rows: 10_000 });
  });

  it('an answer cut midway leaves its committed punches and the checkpoint where it was; the next poll completes', async () => {
    const { ctx, d, s } = await setup({ records: 100 });
    await d.pollOnce();
    const before = structuredClone(checkpointOf(ctx));
    expect(before).toMatchObject({ rows: 100 });
    appendPunches(s, 9_900);
    s.o.faults.truncate = true;
    await expect(d.pollOnce()).rejects.toMatchObject({ code: 'GW_ERR_DOWNLOAD_INCOMPLETE' });
    expect(ctx.store.size).toBeGreaterThanOrEqual(100 + BATCH - 1); // a batch before the cut committed (its first row: the boundary second, read again)
    expect(ctx.store.size).toBeLessThan(10_000);
    expect(checkpointOf(ctx)).toEqual(before);
    expect(ctx.snapshot.rejected['zk-soap-body-xml']).toBe(1);

    s.o.faults.truncate = false;
    await d.pollOnce();
    expect(ctx.store.size).toBe(10_000);
    expect(ctx.duplicates).toBeGreaterThan(0); // the punches committed before the cut, read again
    expect(checkpointOf(ctx)).toMatchObject({ lastTime: s.log.at(-1)!.localTime, rows: 10_000 });
  });

  it('a terminal that stalls mid-answer times out: the batches before the stall stay committed, no checkpoint', async () => {
    const { ctx, d, s } = await setup({ records: 10_000, faults: { hold: true } }, '1s');
    await expect(d.pollOnce()).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_TIMEOUT' });
    expect(s.stats.held).toBe(1); // never released: the terminal still holds its second half
    expect(ctx.store.size).toBeGreaterThanOrEqual(BATCH);
    expect(ctx.store.size).toBeLessThan(10_000);
    expect(checkpointOf(ctx)).toBeUndefined();
  });

  it('a log shorter than at the last poll, all of it older than the checkpoint, is read again and committed whole', async () => {
    const { ctx, d, s } = await setup({ records: 3_000 });
    await d.pollOnce();
    const readsBefore = s.stats.calls.GetAttLog ?? 0;
    s.log.length = 0; // replaced behind the gateway by an older, shorter log
    appendPunches(s, 2_500, Date.UTC(2025, 10, 1));
    await d.pollOnce();
    expect(s.stats.calls.GetAttLog! - readsBefore).toBe(2); // the pass that learnt the length, and the one that commits
    const keys = new Set(ctx.committed().map((p) => p.localTime));
    expect(s.log.every((p) => keys.has(p.localTime))).toBe(true);
    expect(ctx.store.size).toBe(5_500);
    expect(checkpointOf(ctx)).toMatchObject({ rows: 2_500, rowKey: expect.stringContaining(s.log.at(-1)!.localTime.replace('T', ' ')) });
    expect(ctx.freezes).toHaveLength(1);
  });

  it('reads a 60,000-row log (7 windows) through a window: decoded rows and answer text held stay bounded by the batch size', async () => {
    const s = (sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, records: 60_000, users: 200 }));
    await s.start();
    const cfg = zkSoapConfigSchema.parse({ id: 'lobby-1', driver: 'zk-soap', host: '127.0.0.1', port: s.address.port, timeout: '10s', timezone: 'Asia/Jakarta' });
    const ctx = new MemoryContext({ device: cfg });
    const result = await syncAttendance({ client: SoapClient.forDevice(cfg), ctx, cfg, signal: ctx.signal });
    expect(result).toMatchObject({ rows: 60_000, inserted: 60_000, passes: 1 });
    expect(ctx.commits).toBe(30);
    expect(result.peakHeld.rows).toBeLessThanOrEqual(HELD_ROWS_MAX);
    // one slice of rows (~110 characters each here) and what one socket read added: far from the 6.6 MB answer
    expect(result.peakHeld.chars).toBeLessThanOrEqual(BATCH * 256 + MAX_SPAN_CHARS * 2);
    expect(checkpointOf(ctx)).toMatchObject({ rows: 60_000, lastTime: s.log.at(-1)!.localTime });
  }, 120_000);
});
