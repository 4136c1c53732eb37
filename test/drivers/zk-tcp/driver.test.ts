// Driver behaviour against the simulator: realtime (every event size), a terminal restart during
// realtime, the catch-up poll, an interrupted download resumed, disable/clear/clock options, auth.
import { afterEach, describe, expect, it } from 'vitest';
import { ZkTcpSimulator, type ZkSimulatorOptions } from '../../../src/sim/zkTcp/index.js';
import { zkTcpDriver } from '../../../drivers/zk-tcp/index.js';
import { ZkTcpDriver } from '../../../drivers/zk-tcp/driver.js';
import { committedKeys, type MemoryContext } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { checkpointOf, contextFor, driverConfig, FAST, startDriver, startSim, synced, type Running } from './harness.js';
import { expectedKeys } from './keys.js';

let sim: ZkTcpSimulator | undefined;
const drivers: ZkTcpDriver[] = [];

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.stop()));
  await sim?.stop();
  sim = undefined;
});

/** `prepare` sees the context before the driver starts (e.g. to make commits fail). */
async function setup(simOptions: ZkSimulatorOptions, driverOptions: Record<string, unknown> = {}, prepare?: (ctx: MemoryContext) => void): Promise<Running> {
  sim = await startSim(simOptions);
  const cfg = driverConfig(sim, driverOptions);
  const ctx = contextFor(cfg);
  prepare?.(ctx);
  const r = { ctx, driver: new ZkTcpDriver(cfg, ctx, FAST) };
  await r.driver.start();
  drivers.push(r.driver);
  return r;
}

const realtimeOf = (ctx: MemoryContext) => ctx.emitted.filter((p) => p.raw?.source === 'realtime');

describe('zk-tcp realtime', () => {
  it.each([10, 12, 14, 32, 36, 37, 52] as const)('emits %i-byte events at once, with the same id the log gives later', async (realtimeSize) => {
    const { ctx } = await setup({ records: 50, realtimeSize });
    await synced(ctx, sim!);
    sim!.addPunch({ pin: '1007', localTime: '2026-03-02T07:31:05', verify: 15, state: 1 });
    await until(() => realtimeOf(ctx).length === 1, 'realtime punch');
    expect(realtimeOf(ctx)[0]).toMatchObject({ pin: '1007', localTime: '2026-03-02T07:31:05', verify: 'face', state: 'check-out' });
    await until(() => sim!.stats.commands.ACK_OK === 1, 'the event acknowledged');
    expect(committedKeys(ctx)).toEqual(expectedKeys(sim!.log));
  });

  it('a catch-up poll fetches punches whose realtime event was lost', async () => {
    const { ctx } = await setup({ records: 20 }, { pollInterval: '50ms', heartbeatInterval: '20ms' });
    await synced(ctx, sim!);
    sim!.addPunch({ pin: '1003', localTime: '2026-03-02T08:00:00' }, { realtime: false });
    await synced(ctx, sim!);
    expect(realtimeOf(ctx)).toHaveLength(0);
    expect(committedKeys(ctx)).toEqual(expectedKeys(sim!.log));
    expect(ctx.duplicates).toBe(0);
    await until(() => (sim!.stats.commands.GET_TIME ?? 0) > 3, 'heartbeats');
  });

  it('survives a terminal restart: reconnects, re-registers, catches up, nothing lost or doubled', async () => {
    const { ctx } = await setup({ records: 100, commKey: 77 }, { commKey: 77 });
    await synced(ctx, sim!);
    sim!.addPunch({ pin: '1001', localTime: '2026-03-02T07:00:01' });
    await until(() => realtimeOf(ctx).length === 1, 'first realtime punch');
    await sim!.stop();
    sim!.addPunch({ pin: '1002', localTime: '2026-03-02T07:00:02' }); // made while the link is down
    await until(() => ctx.snapshot.online === false, 'offline');
    await sim!.start();
    await synced(ctx, sim!);
    sim!.addPunch({ pin: '1003', localTime: '2026-03-02T07:00:03' });
    await until(() => realtimeOf(ctx).length === 2, 'realtime after restart');
    expect(committedKeys(ctx)).toEqual(expectedKeys(sim!.log));
    expect(ctx.store.size).toBe(103);
    expect(sim!.stats.connections).toBe(2);
  });
});

describe('zk-tcp downloads', () => {
  it('an interrupted download keeps what it committed, leaves the checkpoint, and the next one completes the log', async () => {
    sim = await startSim({ records: 10_000 });
    const cfg = driverConfig(sim, { realtime: false });
    const first = contextFor(cfg);
    const d1 = new ZkTcpDriver(cfg, first, FAST);
    let stopping: Promise<void> | undefined;
    first.onCommit = (n) => {
      if (n === 2) stopping = d1.stop();
    };
    await d1.start();
    await until(() => stopping !== undefined, 'two commits');
    await stopping;
    // the chunks committed before the stop stay; the checkpoint moves only with a whole download
    const partial = first.committed().length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(10_000);
    expect(checkpointOf(first)).toBeUndefined();
    const second = contextFor(cfg, first.store);
    const d2 = new ZkTcpDriver(cfg, second, FAST);
    drivers.push(d2);
    await d2.start();
    await synced(second, sim);
    expect(committedKeys(second)).toEqual(expectedKeys(sim.log));
    // the second download starts where the checkpoint was: what the first committed comes back as duplicates
    expect(second.emitted.length).toBe(10_000);
    expect(second.duplicates).toBe(partial);
    expect(first.duplicates).toBe(0);
  });

  it('importSince skips older records on the first sync only', async () => {
    const { ctx } = await setup({ records: 1000 }, { importSince: '2026-01-05T12:00:00', realtime: false });
    await synced(ctx, sim!);
    const all = expectedKeys(sim!.log);
    expect(committedKeys(ctx)).toEqual(all.filter((k) => k.split('|')[1]! >= '2026-01-05T12:00:00'));
    expect(ctx.store.size).toBeGreaterThan(0);
  });

  it('disables the terminal during downloads only when configured, and always re-enables it', async () => {
    const { ctx } = await setup({ records: 5000, faults: { dropMidChunk: 1 } }, { disableDuringDownload: true, realtime: false });
    await synced(ctx, sim!);
    expect(sim!.stats.commands.DISABLEDEVICE).toBeGreaterThanOrEqual(2);
    await until(() => !sim!.disabled, 'terminal enabled');
    expect(committedKeys(ctx)).toEqual(expectedKeys(sim!.log));
  });

  it('never disables the terminal by default', async () => {
    const { ctx } = await setup({ records: 5000 }, { realtime: false });
    await synced(ctx, sim!);
    expect(sim!.stats.commands.DISABLEDEVICE).toBeUndefined();
    expect(sim!.stats.commands.CLEAR_ATTLOG).toBeUndefined();
  });

  it('clears the log only after a complete download committed', async () => {
    const { ctx } = await setup({ records: 3000 }, { clearAfterDownload: true, realtime: false, pollInterval: '30ms' });
    const before = expectedKeys(sim!.log);
    await until(() => sim!.stats.commands.CLEAR_ATTLOG === 1, 'cleared');
    expect(committedKeys(ctx)).toEqual(before);
    expect(sim!.log.count).toBe(0);
    sim!.addPunch({ pin: '1004', localTime: '2026-03-02T09:00:00' });
    await until(() => ctx.store.size === 3001, 'punch after clear');
    await until(() => sim!.log.count === 0, 'cleared again');
    expect(ctx.duplicates).toBe(0);
    await until(() => !sim!.disabled, 're-enabled after clearing');
  });

  it('does not clear the log when the buffer cannot commit', async () => {
    const { ctx } = await setup({ records: 3000 }, { clearAfterDownload: true, realtime: false }, (c) => (c.failCommits = true));
    await until(() => sim!.stats.connections >= 3, 'retries');
    expect(sim!.stats.commands.CLEAR_ATTLOG).toBeUndefined();
    expect(sim!.log.count).toBe(3000);
    expect(ctx.updates.some((u) => u.lastError?.code === 'GW_ERR_BUFFER_UNAVAILABLE' && /disk is full/.test(u.lastError.message))).toBe(true);
  });
});

describe('zk-tcp clock, identity and auth', () => {
  it('measures skew on every sync and leaves the clock alone by default', async () => {
    const { ctx } = await setup({ records: 10, clockOffsetSec: 3600 }, { realtime: false });
    await synced(ctx, sim!);
    expect(Math.abs((ctx.snapshot.clockSkewSec ?? 0) - 3600)).toBeLessThanOrEqual(2);
    expect(sim!.stats.commands.SET_TIME).toBeUndefined();
  });

  it('sets the terminal clock when syncClock is on', async () => {
    const { ctx } = await setup({ records: 10, clockOffsetSec: -5400 }, { syncClock: true, realtime: false });
    await synced(ctx, sim!);
    expect(sim!.stats.commands.SET_TIME).toBe(1);
    expect(Math.abs(sim!.clockOffset)).toBeLessThanOrEqual(2);
    expect(Math.abs(ctx.snapshot.clockSkewSec ?? 99)).toBeLessThanOrEqual(2);
  });

  it('reports a wrong comm key clearly and emits nothing', async () => {
    const { ctx } = await setup({ records: 10, commKey: 1234 }, { commKey: 4321 });
    await until(() => /comm key/.test(String(ctx.snapshot.lastError)), 'auth error');
    expect(ctx.snapshot.online).toBe(false);
    expect(ctx.emitted).toHaveLength(0);
  });

  it('probe reads identity, counts, record size, clock and users without the run loop', async () => {
    sim = await startSim({ records: 321, users: 12, serial: 'CQZ7232260123', clockOffsetSec: 120 });
    await zkTcpDriver.load?.();
    const driver = zkTcpDriver.create(driverConfig(sim), contextFor(driverConfig(sim)));
    const info = await driver.probe!();
    expect(info).toMatchObject({ serial: 'CQZ7232260123', recordSize: 40, users: 12, transport: 'tcp', sizes: { users: 12, records: 321 } });
    expect(Math.abs(Number(info.clockSkewSec) - 120)).toBeLessThanOrEqual(2);
    expect(sim.stats.commands.EXIT).toBe(1);
  });

  it('config: every key is described and defaults match the issue', () => {
    const shape = zkTcpDriver.configSchema as unknown as { shape: Record<string, { description?: string }> };
    for (const [key, schema] of Object.entries(shape.shape)) expect(schema.description, key).toBeTruthy();
    const parsed = zkTcpDriver.configSchema.parse({ id: 'a', driver: 'zk-tcp', host: '10.0.0.2' });
    expect(parsed).toMatchObject({
      port: 4370, transport: 'tcp', commKey: 0, realtime: true, pollInterval: 300_000, syncClock: false,
      clearAfterDownload: false, disableDuringDownload: false, timeout: 10_000, heartbeatInterval: 30_000, enabled: true,
    });
  });
});
