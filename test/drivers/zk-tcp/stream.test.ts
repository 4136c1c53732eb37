// The streamed attendance download (sync.ts, client.streamDataset) on the simulator over loopback:
// chunks are committed while later chunks are still to be sent, a download that fails midway keeps
// what it committed and leaves the checkpoint and the watermark, the retry comes after the short
// reconnect backoff (pollInterval is an hour here), and the decoded punches not yet committed never
// exceed the window. Ordering and counts only, no timing thresholds.
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceStatusUpdate } from '../../../src/devices/driver.js';
import type { RawPunch } from '../../../src/punch/punch.js';
import type { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { COMMIT_BATCH, COMMITS_IN_FLIGHT, DECODE_WINDOW } from '../../../drivers/zk-tcp/sync.js';
import { CHUNK_BYTES_TCP } from '../../../drivers/zk-tcp/tables.js';
import { committedKeys, type MemoryContext } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { checkpointOf, startDriver, startSim, synced, type Running } from './harness.js';
import { expectedKeys } from './keys.js';

let sim: ZkTcpSimulator | undefined;
let running: Running | undefined;

afterEach(async () => {
  await running?.driver.stop();
  await sim?.stop();
  running = undefined;
  sim = undefined;
});

const POLL_NEVER = { realtime: false, pollInterval: '1h' };
const chunksOf = (records: number): number => Math.ceil((4 + records * 40) / CHUNK_BYTES_TCP);

/** Calls `onUpdate` before each status update reaches the context. */
function watchUpdates(ctx: MemoryContext, onUpdate: (change: DeviceStatusUpdate) => void): void {
  const update = ctx.status.update.bind(ctx.status);
  ctx.status.update = (change) => {
    onUpdate(change);
    update(change);
  };
}

describe('zk-tcp streamed download', () => {
  it('commits the first chunk while the terminal has later chunks still to send', async () => {
    sim = await startSim({ records: 10_000 });
    expect(chunksOf(10_000)).toBeGreaterThanOrEqual(4);
    const atFirstCommit: { chunksRequested: number; checkpoint: unknown }[] = [];
    const s = sim;
    running = await startDriver(s, POLL_NEVER);
    const ctx = running.ctx;
    ctx.onCommit = (n) => {
      if (n === 1) atFirstCommit.push({ chunksRequested: s.stats.commands.DATA_RDY ?? 0, checkpoint: checkpointOf(ctx) });
    };
    await synced(ctx, s);
    // a chunk is asked for only once the commit COMMITS_IN_FLIGHT chunks before it settled: the rest were still to come
    expect(atFirstCommit).toHaveLength(1);
    expect(atFirstCommit[0]!.chunksRequested).toBeLessThanOrEqual(COMMITS_IN_FLIGHT + 1);
    expect(atFirstCommit[0]!.chunksRequested).toBeLessThan(chunksOf(10_000));
    expect(atFirstCommit[0]!.checkpoint).toBeUndefined();
    expect(ctx.commits).toBeGreaterThanOrEqual(chunksOf(10_000));
    expect(committedKeys(ctx)).toEqual(expectedKeys(s.log));
    expect(ctx.duplicates).toBe(0);
  });

  it('a download failing midway keeps its committed punches, leaves checkpoint and watermark, and retries after the short backoff', async () => {
    // the fourth chunk burst drops the connection half way, once
    sim = await startSim({ records: 10_000, faults: { dropMidChunk: 1, dropAfterChunks: 3 } });
    const s = sim;
    running = await startDriver(s, POLL_NEVER);
    const ctx = running.ctx;
    const atFailure: { committed: number; checkpoint: unknown; watermark: unknown; declared: number; connections: number }[] = [];
    watchUpdates(ctx, (change) => {
      if (change.lastError && atFailure.length === 0) {
        atFailure.push({ committed: ctx.committed().length, checkpoint: checkpointOf(ctx), watermark: ctx.currentWatermark(), declared: ctx.declared.length, connections: s.stats.connections });
      }
    });
    await synced(ctx, s);
    expect(s.stats.drops).toBe(1);
    expect(atFailure).toHaveLength(1);
    const failed = atFailure[0]!;
    // three whole chunks were committed before the drop, and they stay
    expect(failed.committed).toBeGreaterThan(0);
    expect(failed.committed).toBeLessThan(10_000);
    expect(failed.checkpoint).toBeUndefined();
    expect(failed.watermark).toBeUndefined();
    expect(failed.declared).toBe(0);
    expect(failed.connections).toBe(1);
    // the retry came on the reconnect backoff: a poll would have waited an hour
    expect(s.stats.connections).toBe(2);
    expect(committedKeys(ctx)).toEqual(expectedKeys(s.log));
    expect(ctx.duplicates).toBe(failed.committed);
    expect(checkpointOf(ctx)).toMatchObject({ count: 10_000, recordSize: 40 });
    await until(() => ctx.currentWatermark() !== undefined, 'the watermark of the complete download');
    expect(ctx.declared).toHaveLength(1);
  });

  it('never holds more decoded punches than the window, whatever the log size', async () => {
    sim = await startSim({ records: 30_000 });
    const s = sim;
    running = await startDriver(s, POLL_NEVER);
    const ctx = running.ctx;
    let outstanding = 0;
    let most = 0;
    let calls = 0;
    const emitMany = ctx.emitMany.bind(ctx);
    ctx.emitMany = (raws: RawPunch[], checkpoint?: Record<string, unknown>) => {
      calls++;
      outstanding += raws.length;
      most = Math.max(most, outstanding);
      return emitMany(raws, checkpoint).finally(() => (outstanding -= raws.length));
    };
    await synced(ctx, s);
    expect(committedKeys(ctx)).toEqual(expectedKeys(s.log));
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(DECODE_WINDOW);
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(30_000 / COMMIT_BATCH));
  });
});
