// `pull` (DriverDefinition.backfill) for hikvision-isapi against the ISAPI simulator on 127.0.0.1: one
// AcsEvent search paged while MORE, mapped exactly as the driver's poll, `--since` as the search
// start, the cursor left alone, clear errors for an unreachable terminal, a refused password and a
// push-only entry.
import { afterEach, describe, expect, it } from 'vitest';
import { CURSOR_KEY, hikvisionConfigSchema, type HikvisionConfig } from '../../../drivers/hikvision-isapi/index.js';
import { pullDevice, type PullProgress } from '../../../src/cli/pull.js';
import type { HikvisionSimulator } from '../../../src/sim/hikvision/index.js';
import { runPull } from '../../helpers/pullCli.js';
import { committedPins, MemoryStore, type MemoryContext } from '../../helpers/memoryContext.js';
import { PASSWORD, contextFor, driverFor, startSim } from './harness.js';

const SIM_SERIAL = 'DS-K1T341AM20220101V030230ENG12345678';
/** 2025-01-19 07:00:00 WIB: a fixed history in the past, one event a minute */
const FIRST_PUNCH_MS = Date.UTC(2025, 0, 19, 0, 0, 0);

let sim: HikvisionSimulator | undefined;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  process.exitCode = undefined;
  for (const stop of stops.splice(0)) await stop();
  await sim?.stop();
  sim = undefined;
});

function configFor(port: number, extra: Record<string, unknown> = {}): HikvisionConfig {
  return hikvisionConfigSchema.parse({ id: 'face-1', driver: 'hikvision-isapi', host: '127.0.0.1', port, password: PASSWORD, timezone: 'Asia/Jakarta', ...extra });
}

/** `pin|localTime` of the simulator's attendance events at or after `from` (its offset is the zone's, +07:00). */
function punchesIn(s: HikvisionSimulator, from = ''): string[] {
  return s.events.filter((e) => e.employeeNoString && e.time.slice(0, 19) >= from).map((e) => `${e.employeeNoString}|${e.time.slice(0, 19)}`).sort();
}
const pinsOf = (ctx: MemoryContext): string[] => committedPins(ctx);
/** What a punch says apart from where and when the gateway stored it (device entry, seq, receivedAt). */
const factsOf = (ctx: MemoryContext) => ctx.punches().map(({ id, pin, time, utc, state, verify, workCode, raw, device }) => ({ id, pin, time, utc, state, verify, workCode, raw, serial: device.serial }));

describe('pull hikvision-isapi', () => {
  it('searches the whole log, paging while MORE, and a second pull finds every punch buffered', async () => {
    sim = await startSim({ records: 100, pageCap: 30, firstPunchMs: FIRST_PUNCH_MS });
    const ctx = contextFor(configFor(sim.address.port));
    const progress: PullProgress[] = [];
    const first = await pullDevice({ deviceConfig: configFor(sim.address.port), ctx, onProgress: (p) => progress.push(p) });
    expect(first).toEqual({ records: 120, inserted: 100, duplicates: 0, skipped: 0, rejected: 0, ignored: 20, serial: SIM_SERIAL });
    expect(pinsOf(ctx)).toEqual(punchesIn(sim));
    expect(ctx.emitsBeforeSerial).toBe(0);
    expect(progress.map((p) => p.done)).toEqual([30, 60, 90, 120]);
    expect(progress.at(-1)).toEqual({ phase: 'commit', done: 120, total: 120 });
    const second = await pullDevice({ deviceConfig: configFor(sim.address.port), ctx });
    expect(second).toMatchObject({ records: 120, inserted: 0, duplicates: 100 });
    expect(ctx.store.size).toBe(100);
  });

  it('maps events exactly as the driver\'s poll does (same punch ids, same fields)', async () => {
    sim = await startSim({ records: 60, firstPunchMs: FIRST_PUNCH_MS });
    const polled = driverFor(sim, { lookback: '3650d' });
    stops.push(() => polled.driver.stop());
    await polled.driver.syncOnce();
    const pulled = contextFor(configFor(sim.address.port));
    await pullDevice({ deviceConfig: configFor(sim.address.port), ctx: pulled });
    expect(pulled.store.size).toBe(60);
    expect(factsOf(pulled)).toEqual(factsOf(polled.ctx));
  });

  it.each([
    ['2025-01-19T08:00', '2025-01-19T08:00:00', 40, 48],
    ['2025-01-19', '2025-01-19T00:00:00', 100, 120],
    ['2025-01-20', '2025-01-20T00:00:00', 0, 0],
  ])('--since %s starts the search there', async (since, floor, punches, events) => {
    sim = await startSim({ records: 100, firstPunchMs: FIRST_PUNCH_MS });
    const ctx = contextFor(configFor(sim.address.port));
    const r = await pullDevice({ deviceConfig: configFor(sim.address.port), ctx, since });
    expect(pinsOf(ctx)).toEqual(punchesIn(sim, floor));
    expect(r).toMatchObject({ records: events, inserted: punches });
  });

  it('leaves the cursor alone', async () => {
    sim = await startSim({ records: 40, firstPunchMs: FIRST_PUNCH_MS });
    const store = new MemoryStore();
    // the pulled entry is the polled one (same device id): the pull must leave its cursor alone
    const polled = driverFor(sim, { id: 'face-1', lookback: '3650d' }, store);
    stops.push(() => polled.driver.stop());
    await polled.driver.syncOnce();
    const before = structuredClone(store.checkpoints('face-1')[CURSOR_KEY]);
    expect(before).toMatchObject({ serialNo: 48 });
    sim.addPunch('0042');
    const r = await pullDevice({ deviceConfig: configFor(sim.address.port), ctx: contextFor(configFor(sim.address.port), store) });
    expect(r).toMatchObject({ inserted: 1, duplicates: 40 });
    expect(store.checkpoints('face-1')[CURSOR_KEY]).toEqual(before);
    expect(Object.keys(store.checkpoints('face-1'))).toEqual([CURSOR_KEY]);
  });

  it('prints the counts, the events that are not punches and the serial', async () => {
    sim = await startSim({ records: 10, firstPunchMs: FIRST_PUNCH_MS });
    const run = await runPull(configFor(sim.address.port), contextFor(configFor(sim.address.port)));
    expect(run.stdout).toBe(`face-1 (${SIM_SERIAL}): 12 records read, 10 new, 0 already buffered, 0 before --since, 0 rejected, 2 not punches\n`);
    expect(run.exitCode).toBeUndefined();
  });

  it('a refused password: GW_ERR_DEVICE_AUTH on stderr, exit 1, nothing committed', async () => {
    sim = await startSim({ records: 5, firstPunchMs: FIRST_PUNCH_MS });
    const cfg = configFor(sim.address.port, { password: 'wrong-one' });
    const ctx = contextFor(cfg);
    const run = await runPull(cfg, ctx);
    expect(run.stderr).toMatch(/pull face-1: GW_ERR_DEVICE_AUTH: GET \/ISAPI\/System\/deviceInfo: the terminal refused user "admin"/);
    expect(run.stderr).not.toContain('wrong-one');
    expect(run.exitCode).toBe(1);
    expect(ctx.commits).toBe(0);
  });

  it('an unreachable terminal: GW_ERR_DEVICE_UNREACHABLE on stderr, exit 1', async () => {
    sim = await startSim();
    const port = sim.address.port;
    await sim.stop();
    sim = undefined;
    const run = await runPull(configFor(port), contextFor(configFor(port)));
    expect(run.stderr).toMatch(new RegExp(`pull face-1: GW_ERR_DEVICE_UNREACHABLE: GET http://127\\.0\\.0\\.1:${port}/ISAPI/System/deviceInfo`));
    expect(run.exitCode).toBe(1);
  });

  it('a push-only entry is refused: pull needs host and password', async () => {
    const cfg = hikvisionConfigSchema.parse({ id: 'face-push', driver: 'hikvision-isapi', pull: false, push: true });
    const run = await runPull(cfg, contextFor(cfg));
    expect(run.stderr).toMatch(/pull face-push: GW_ERR_CONFIG_INVALID: pull needs the terminal's host and password \(or passwordFile\).*"face-push" has no host \(push only/);
    expect(run.exitCode).toBe(1);
  });
});
