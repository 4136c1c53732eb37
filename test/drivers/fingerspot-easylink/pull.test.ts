// `pull` (DriverDefinition.backfill) for fingerspot-easylink against the bridge simulator on 127.0.0.1:
// every scan committed through /scanlog/all/paging only, `--since` as the floor, pageSize and
// maxPages respected, the driver checkpoint and the bridge's /scanlog/new cursor left alone, clear
// errors for an unreachable bridge and an unknown serial.
import { afterEach, describe, expect, it } from 'vitest';
import { fingerspotConfigSchema, type FingerspotConfig } from '../../../drivers/fingerspot-easylink/config.js';
import { CHECKPOINT_KEY } from '../../../drivers/fingerspot-easylink/reads.js';
import { pullDevice, type PullProgress } from '../../../src/cli/pull.js';
import type { FingerspotSimulator } from '../../../src/sim/fingerspot/index.js';
import { runPull } from '../../helpers/pullCli.js';
import { until } from '../../helpers/until.js';
import { DEVICE_ID, SERIAL, backfilledStore, committedPins, contextFor, loggedPins, startDriver, startSim, type Running } from './harness.js';

let sim: FingerspotSimulator | undefined;
let daemon: Running | undefined;
afterEach(async () => {
  process.exitCode = undefined;
  await daemon?.driver.stop();
  daemon = undefined;
  await sim?.stop();
  sim = undefined;
});

function configFor(port: number, extra: Record<string, unknown> = {}): FingerspotConfig {
  return fingerspotConfigSchema.parse({ id: 'revo-1', driver: 'fingerspot-easylink', host: '127.0.0.1', port, serial: SERIAL, timeout: '5s', timezone: 'Asia/Jakarta', ...extra });
}

const pagingCalls = (): number => sim!.stats.requests['/scanlog/all/paging'] ?? 0;

describe('pull fingerspot-easylink', () => {
  it('commits every scan through paging alone, and a second pull finds them all buffered', async () => {
    sim = await startSim();
    sim.fill(250);
    const ctx = contextFor(configFor(sim.address.port, { pageSize: 100 }));
    const progress: PullProgress[] = [];
    const first = await pullDevice({ deviceConfig: configFor(sim.address.port, { pageSize: 100 }), ctx, onProgress: (p) => progress.push(p) });
    expect(first).toEqual({ records: 250, inserted: 250, duplicates: 0, skipped: 0, rejected: 0, serial: SERIAL });
    expect(committedPins(ctx)).toEqual(loggedPins(sim));
    expect(ctx.emitsBeforeSerial).toBe(0);
    expect(pagingCalls()).toBe(3);
    expect(progress.map((p) => p.done)).toEqual([100, 200, 250]);
    expect(progress.at(-1)).toEqual({ phase: 'commit', done: 250, total: 250 });
    const second = await pullDevice({ deviceConfig: configFor(sim.address.port, { pageSize: 100 }), ctx });
    expect(second).toMatchObject({ records: 250, inserted: 0, duplicates: 250 });
    expect(sim.stats.requests['/scanlog/new']).toBeUndefined();
    expect(sim.stats.consumedByNew).toBe(0);
    expect(sim.terminal().newCursor).toBe(0);
  });

  it('--since is the floor; importSince (the daemon\'s) is not', async () => {
    sim = await startSim();
    sim.fill(250, '2026-03-02 07:00:00');
    const ctx = contextFor(configFor(sim.address.port, { importSince: '2026-03-03' }));
    const r = await pullDevice({ deviceConfig: configFor(sim.address.port, { importSince: '2026-03-03' }), ctx, since: '2026-03-02T09:00' });
    const want = loggedPins(sim).filter((k) => k.split('|')[1]! >= '2026-03-02T09:00:00');
    expect(want).toHaveLength(130);
    expect(committedPins(ctx)).toEqual(want);
    expect(r).toMatchObject({ records: 250, inserted: 130, skipped: 120 });
  });

  it('asks pageSize rows per call and stops at maxPages', async () => {
    sim = await startSim();
    sim.fill(100);
    const ctx = contextFor(configFor(sim.address.port, { pageSize: 10, maxPages: 3 }));
    const r = await pullDevice({ deviceConfig: configFor(sim.address.port, { pageSize: 10, maxPages: 3 }), ctx });
    // 30 rows of 100 /dev/info counts: short, so a second pass (which the open session continues)
    expect(pagingCalls()).toBe(6);
    expect(r.records).toBe(30);
    expect(ctx.store.size).toBe(60);
  });

  it('leaves the checkpoint and the /scanlog/new cursor alone: the daemon still gets its unread scans', async () => {
    sim = await startSim();
    sim.fill(250);
    sim.terminal().newCursor = 100; // the daemon's /scanlog/new has consumed the first 100
    const store = backfilledStore();
    const before = structuredClone(store.checkpoints(DEVICE_ID)[CHECKPOINT_KEY]);
    const r = await pullDevice({ deviceConfig: configFor(sim.address.port), ctx: contextFor(configFor(sim.address.port), store) });
    expect(r).toMatchObject({ records: 250, inserted: 250 });
    expect(store.checkpoints(DEVICE_ID)[CHECKPOINT_KEY]).toEqual(before);
    expect(Object.keys(store.checkpoints(DEVICE_ID))).toEqual([CHECKPOINT_KEY]);
    expect(sim.terminal().newCursor).toBe(100);
    expect(sim.stats.consumedByNew).toBe(0);
    // the daemon's next /scanlog/new returns the 150 unread scans (duplicates of the pull, by id)
    daemon = startDriver(sim, {}, store);
    await until(() => sim!.stats.consumedByNew === 150 && daemon!.ctx.commits > 0, 'the daemon reads the unread scans');
    expect(daemon.ctx.duplicates).toBe(150);
    expect(store.size).toBe(250);
  });

  it('an unreachable bridge: GW_ERR_DEVICE_UNREACHABLE on stderr, exit 1', async () => {
    sim = await startSim();
    const port = sim.address.port;
    await sim.stop();
    sim = undefined;
    const ctx = contextFor(configFor(port));
    const run = await runPull(configFor(port), ctx);
    expect(run.stderr).toMatch(new RegExp(`pull revo-1: GW_ERR_DEVICE_UNREACHABLE: bridge 127\\.0\\.0\\.1:${port}/dev/info: .*ECONNREFUSED`));
    expect(run.stdout).toBe('');
    expect(run.exitCode).toBe(1);
    expect(ctx.commits).toBe(0);
  });

  it('a serial the bridge does not know: GW_ERR_DEVICE_PROTOCOL naming Device.ini, exit 1, no paging', async () => {
    sim = await startSim();
    sim.fill(5);
    const cfg = configFor(sim.address.port, { serial: 'NOTKNOWN1' });
    const run = await runPull(cfg, contextFor(cfg));
    expect(run.stderr).toMatch(/pull revo-1: GW_ERR_DEVICE_PROTOCOL: bridge \/dev\/info for sn NOTKNOWN1: .*Device\.ini/);
    expect(run.exitCode).toBe(1);
    expect(pagingCalls()).toBe(0);
  });

  it('prints the counts with the serial', async () => {
    sim = await startSim();
    sim.fill(7);
    const run = await runPull(configFor(sim.address.port), contextFor(configFor(sim.address.port)), ['--since', '2026-03-02T07:03']);
    expect(run.stdout).toBe(`revo-1 (${SERIAL}): 7 records read, 4 new, 0 already buffered, 3 before --since, 0 rejected\n`);
    expect(run.exitCode).toBeUndefined();
  });
});
