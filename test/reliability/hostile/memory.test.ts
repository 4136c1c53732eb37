// Memory stays bounded under a long hostile run: what a driver or the listener keeps between
// inputs (partial frames, partial lines, unknown serials, stamps, command queues) must not grow
// with the input. Bounds are loose and about bytes retained, never about time.
// The heap check forces GC through v8/vm (no --expose-gc needed) and compares the heap after a
// warm-up with the heap after a run that processes far more bytes than the bound.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zkPushConfigSchema } from '../../../drivers/zk-push/config.js';
import { STAMPS_KEY, ZkPushDriver } from '../../../drivers/zk-push/driver.js';
import { MAX_FRAME_BYTES, TcpDeframer } from '../../../drivers/zk-tcp/streamReader.js';
import type { DriverContext, EmitResult } from '../../../src/devices/driver.js';
import { PushListener } from '../../../src/push/listener.js';
import type { PushRequest } from '../../../src/devices/push.js';
import { silentLogger } from '../../../src/util/logger.js';
import { FUZZ_SCALE } from './fuzzScale.js';
import { hostileText } from './mutate.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A context that only counts: whatever grows during the run is the driver's own. */
function countingContext(): DriverContext & { counts: { rejected: number; emitted: number } } {
  const checkpoints = new Map<string, unknown>();
  const counts = { rejected: 0, emitted: 0 };
  const commit = async (raws: unknown[], checkpoint?: Record<string, unknown>): Promise<EmitResult> => {
    counts.emitted += raws.length;
    for (const [k, v] of Object.entries(checkpoint ?? {})) checkpoints.set(k, v);
    return { inserted: raws.length, duplicates: 0, quarantined: 0 };
  };
  return {
    deviceId: 'loket-1',
    log: silentLogger(),
    signal: new AbortController().signal,
    status: { update: () => undefined, seen: () => undefined, rejected: () => void counts.rejected++ },
    checkpoint: { get: <T>(key: string) => checkpoints.get(key) as T | undefined, set: (key, value) => void checkpoints.set(key, value) },
    emit: (raw) => commit([raw]),
    emitMany: commit,
    watermark: { advance: () => Promise.resolve(undefined), freeze: () => undefined },
    fail: () => undefined,
    counts,
  };
}

describe('memory under a long hostile run', () => {
  it('the TCP deframer holds at most one frame whatever the garbage', () => {
    const deframer = new TcpDeframer();
    let peak = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(MAX_FRAME_BYTES * 2), (noise, claimed) => {
        const header = Buffer.from('5050827d00000000', 'hex');
        header.writeUInt32LE(claimed, 4);
        deframer.push(Buffer.concat([header, noise]));
        peak = Math.max(peak, deframer.pendingBytes);
      }),
      { numRuns: Math.round(2_000 * FUZZ_SCALE) },
    );
    expect(peak).toBeLessThanOrEqual(MAX_FRAME_BYTES + 8);
  });

  it('the push listener remembers at most 100 unknown serials', async () => {
    const listener = new PushListener({ log: silentLogger(), maxBodyBytes: 1024 });
    for (let i = 0; i < 5_000; i++) {
      const reply = await listener.dispatch({ method: 'GET', endpoint: 'cdata', query: { SN: `X${i}${'z'.repeat(i % 300)}` }, body: '', remoteAddress: '127.0.0.1' });
      expect(reply.status).toBe(503);
    }
    expect(listener.unknown().length).toBeLessThanOrEqual(100);
    expect(Math.max(...listener.unknown().map((u) => u.serial.length))).toBeLessThanOrEqual(64);
    await listener.close();
  });

  it('a zk-push driver keeps its heap flat across thousands of hostile requests', async () => {
    const ctx = countingContext();
    const driver = new ZkPushDriver(zkPushConfigSchema.parse({ id: 'loket-1', driver: 'zk-push', serial: 'BOCK200961014' }), ctx);
    const samples = fc.sample(
      fc.record({
        endpoint: fc.constantFrom('cdata', 'getrequest', 'devicecmd', 'ping', 'fdata'),
        table: fc.oneof(fc.constantFrom('ATTLOG', 'rtlog', 'OPERLOG'), fc.string({ maxLength: 16 })),
        stamp: fc.string({ maxLength: 30 }),
        body: hostileText,
      }),
      { numRuns: 300, seed: 42 },
    );
    const filler = 'x\t'.repeat(32 * 1024); // 64 KB of junk per request: far more bytes pass than the bound
    const run = async (rounds: number): Promise<void> => {
      for (let round = 0; round < rounds; round++) {
        for (const s of samples) {
          const request: PushRequest = { method: 'POST', endpoint: s.endpoint, query: { SN: driver.serial, table: s.table, Stamp: s.stamp, INFO: s.body }, body: `${s.body}\n${filler}`, remoteAddress: '127.0.0.1' };
          await driver.handle(request);
        }
      }
    };
    await run(1);
    const before = heapAfterGc();
    await run(Math.max(2, Math.round(8 * FUZZ_SCALE))); // ≥ 2 × 300 × 64 KB ≈ 38 MB of bodies
    const grownBytes = heapAfterGc() - before;
    expect(grownBytes).toBeLessThan(8 * 1024 * 1024);
    expect(Object.keys(ctx.checkpoint.get<Record<string, string>>(STAMPS_KEY) ?? {}).length).toBeLessThanOrEqual(6);
    expect(driver.commands.pending).toBeLessThanOrEqual(1);
    expect(ctx.counts.rejected).toBeGreaterThan(0);
    await driver.stop();
  });
});
