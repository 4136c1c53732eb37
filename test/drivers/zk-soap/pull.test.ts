// `pull` (DriverDefinition.backfill) for zk-soap against the SOAP simulator on 127.0.0.1: every row
// committed once, `--since` as a floor, the checkpoint and the terminal log left alone, clear
// errors for an unreachable terminal and a refused comm key.
import { afterEach, describe, expect, it } from 'vitest';
import { zkSoapConfigSchema, type ZkSoapConfig } from '../../../drivers/zk-soap/config.js';
import { ZkSoapDriver } from '../../../drivers/zk-soap/driver.js';
import { CHECKPOINT_KEY } from '../../../drivers/zk-soap/sync.js';
import { pullDevice, type PullProgress } from '../../../src/cli/pull.js';
import { ZkSoapSimulator, type ZkSoapSimOptions } from '../../../src/sim/zkSoap/index.js';
import { runPull } from '../../helpers/pullCli.js';
import { committedPins, MemoryContext, MemoryStore } from '../../helpers/memoryContext.js';

let sim: ZkSoapSimulator | undefined;
afterEach(async () => {
  process.exitCode = undefined;
  await sim?.stop();
  sim = undefined;
});

async function startSim(options: ZkSoapSimOptions = {}): Promise<ZkSoapSimulator> {
  sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, ...options });
  await sim.start();
  return sim;
}

function configFor(port: number, extra: Record<string, unknown> = {}): ZkSoapConfig {
  return zkSoapConfigSchema.parse({ id: 'soap-1', driver: 'zk-soap', host: '127.0.0.1', port, timeout: '5s', timezone: 'Asia/Jakarta', ...extra });
}

const contextFor = (cfg: ZkSoapConfig, store?: MemoryStore): MemoryContext => new MemoryContext({ device: cfg, ...(store ? { store } : {}) });
const loggedPins = (s: ZkSoapSimulator, from = ''): string[] => s.log.filter((p) => p.localTime >= from).map((p) => `${p.pin}|${p.localTime}`).sort();

describe('pull zk-soap', () => {
  it('commits every row of the log with progress, and a second pull finds them all buffered', async () => {
    const s = await startSim({ records: 4500, commKey: '777' });
    const ctx = contextFor(configFor(s.address.port, { commKey: 777 }));
    const progress: PullProgress[] = [];
    const first = await pullDevice({ deviceConfig: configFor(s.address.port, { commKey: 777 }), ctx, onProgress: (p) => progress.push(p) });
    expect(first).toEqual({ records: 4500, inserted: 4500, duplicates: 0, skipped: 0, rejected: 0, serial: undefined });
    expect(committedPins(ctx)).toEqual(loggedPins(s));
    expect(ctx.commits).toBe(3); // batches of 2000, as the driver's poll
    expect(progress.at(-1)).toEqual({ phase: 'commit', done: 4500, total: 4500 });
    const second = await pullDevice({ deviceConfig: configFor(s.address.port, { commKey: 777 }), ctx });
    expect(second).toMatchObject({ records: 4500, inserted: 0, duplicates: 4500 });
    expect(ctx.store.size).toBe(4500);
    expect(s.stats.calls).toEqual({ GetAttLog: 2 });
  });

  it.each([
    ['2026-01-06', '2026-01-06T00:00:00'],
    ['2026-01-06T12:30', '2026-01-06T12:30:00'],
    ['2026-01-06T12:30:15', '2026-01-06T12:30:15'],
  ])('--since %s commits only the rows at or after it', async (since, floor) => {
    const s = await startSim({ records: 4500 });
    const ctx = contextFor(configFor(s.address.port));
    const r = await pullDevice({ deviceConfig: configFor(s.address.port), ctx, since });
    const want = loggedPins(s, floor);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(4500);
    expect(committedPins(ctx)).toEqual(want);
    expect(r).toMatchObject({ records: 4500, inserted: want.length, skipped: 4500 - want.length });
  });

  it('leaves the driver checkpoint and the terminal log alone, even with clearAfterDownload', async () => {
    const s = await startSim({ records: 30 });
    const store = new MemoryStore();
    const cfg = configFor(s.address.port, { clearAfterDownload: false });
    await new ZkSoapDriver(cfg, contextFor(cfg, store)).pollOnce();
    const before = structuredClone(store.checkpoints(cfg.id)[CHECKPOINT_KEY]);
    expect(before).toMatchObject({ rows: 30 });
    // the daemon's poll proved a watermark; pull proves none and moves none
    const everythingBefore = structuredClone(store.checkpoints(cfg.id));
    expect(Object.keys(everythingBefore).sort()).toEqual(['gateway.watermark', CHECKPOINT_KEY]);
    s.addPunch({ pin: '77', localTime: '2026-01-07T08:00:00' });
    const pulled = configFor(s.address.port, { clearAfterDownload: true });
    const r = await pullDevice({ deviceConfig: pulled, ctx: contextFor(pulled, store) });
    expect(r).toMatchObject({ records: 31, inserted: 1, duplicates: 30 });
    expect(store.checkpoints(cfg.id)[CHECKPOINT_KEY]).toEqual(before);
    expect(store.checkpoints(cfg.id)).toEqual(everythingBefore);
    expect(s.log).toHaveLength(31);
    expect(s.stats.calls.ClearData).toBeUndefined();
  });

  it('prints the counts, and the serial when one is configured', async () => {
    const s = await startSim({ records: 12 });
    const cfg = configFor(s.address.port, { serial: 'X100C0001' });
    const run = await runPull(cfg, contextFor(cfg));
    expect(run.stdout).toBe('soap-1 (X100C0001): 12 records read, 12 new, 0 already buffered, 0 before --since, 0 rejected\n');
    expect(run.exitCode).toBeUndefined();
  });

  it.each(['2026-02-30', '2026-01-06T24:00', '06-01-2026'])('--since %s is refused before any call (exit 64)', async (since) => {
    const s = await startSim({ records: 5 });
    const run = await runPull(configFor(s.address.port), contextFor(configFor(s.address.port)), ['--since', since]);
    expect(run.stderr).toContain(`pull: --since: expected 2026-01-01 or 2026-01-01T07:00:00, got "${since}"`);
    expect(run.exitCode).toBe(64);
    expect(s.stats.connections).toBe(0);
  });

  it('an unreachable terminal: GW_ERR_DEVICE_UNREACHABLE on stderr, exit 1, nothing committed', async () => {
    const s = await startSim();
    const port = s.address.port;
    await s.stop();
    sim = undefined;
    const ctx = contextFor(configFor(port));
    const run = await runPull(configFor(port), ctx);
    expect(run.stderr).toMatch(new RegExp(`pull soap-1: GW_ERR_DEVICE_UNREACHABLE: 127\\.0\\.0\\.1:${port} refused the connection`));
    expect(run.stdout).toBe('');
    expect(run.exitCode).toBe(1);
    expect(ctx.commits).toBe(0);
  });

  it('a refused comm key: GW_ERR_DEVICE_AUTH on stderr, exit 1, nothing committed', async () => {
    const s = await startSim({ records: 5, commKey: '777' });
    const cfg = configFor(s.address.port, { commKey: 1 });
    const ctx = contextFor(cfg);
    const run = await runPull(cfg, ctx);
    expect(run.stderr).toMatch(/pull soap-1: GW_ERR_DEVICE_AUTH: GetAttLog refused by the terminal .*wrong commKey/);
    expect(run.exitCode).toBe(1);
    expect(ctx.commits).toBe(0);
  });
});
