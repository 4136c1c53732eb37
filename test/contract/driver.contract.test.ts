// The driver contract (src/devices/driver.ts, DESIGN.md "Delivery guarantees"), one abstract suite
// run over every driver family on its simulator (families.ts; serial-line on binding-mock), each
// driver on the memory context (the real normalize and quarantine on an in-memory buffer):
// - identity first: every punch carries the terminal's serial, reported before the first emit;
// - the checkpoint is never ahead of the commit: at every commit, every checkpoint write and every
//   acknowledgement a push terminal receives, what it claims committed is in the buffer;
// - stop() resolves within a bound and leaves nothing running: the terminal's side sees the
//   connection closed, and a punch made afterwards is neither fetched nor taken;
// - bad input is counted (status and metrics) and the driver keeps going;
// - when the terminal goes away and comes back the driver reconnects, and the punches made
//   meanwhile arrive, each once;
// - a completeness watermark only from a family whose protocol proves one, with its basis, and
//   what it claims holds: every punch the terminal held, stamped at or before completeThrough, is
//   committed with a seq at or below seqThrough.
// Bounds here are "eventually" bounds in seconds, not performance figures.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { committedPins } from '../helpers/memoryContext.js';
import { until } from '../helpers/until.js';
import { DRIVER_FAMILIES, type DriverFamily, type FamilyRun } from './families.js';

/** stop() must resolve within this */
const STOP_BOUND_MS = 5000;
/**
 * a stopped driver's connections must be closed within this; hikvision-isapi's client uses the
 * process-wide fetch pool, whose idle keep-alive connection to the terminal lingers up to undici's
 * keep-alive timeout (4 s) after stop
 */
const CLOSE_BOUND_MS = 6000;
/** after stop: a connection the kernel accepted for a request begun before stop resolved shows up within this */
const SETTLE_MS = 100;
/** every punch the terminal holds must be committed within this */
const ARRIVAL_BOUND_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(DRIVER_FAMILIES)('driver contract: $name', (family: DriverFamily) => {
  let run: FamilyRun;
  let stopped = false;
  /** claims found ahead of the commit, with when */
  let violations: string[] = [];
  let observations = 0;
  /** observations at which something was claimed */
  let claims = 0;

  const committedSet = (): Set<string> => new Set(committedPins(run.ctx));
  const allArrived = (): Promise<void> => {
    const missing = (): string[] => {
      const committed = committedSet();
      return run.expected().filter((key) => !committed.has(key));
    };
    return until(() => missing().length === 0 && (run.idle?.() ?? true), `${family.name}: ${missing().length} punch(es) still missing, e.g. ${missing()[0]}`, ARRIVAL_BOUND_MS);
  };
  const observe = (when: string): void => {
    observations += 1;
    const claimed = run.claimed();
    if (claimed.length === 0) return;
    claims += 1;
    const committed = committedSet();
    const ahead = claimed.filter((key) => !committed.has(key));
    if (ahead.length > 0) violations.push(`${when}: ${ahead.length} claimed but not committed, e.g. ${ahead[0]}`);
  };
  const countedUnder = (counts: Record<string, number>): number =>
    Object.entries(counts).filter(([reason]) => family.badReason.test(reason)).reduce((sum, [, n]) => sum + n, 0);

  beforeEach(async () => {
    stopped = false;
    violations = [];
    observations = 0;
    claims = 0;
    run = await family.setup();
    run.ctx.store.onChange((change) => observe(change));
    run.watchAcks?.(() => observe('acknowledged to the terminal'));
    await run.start();
  });

  afterEach(async () => {
    if (!stopped) await run.driver.stop();
    await run.close();
    run.ctx.store.close();
    expect(violations).toEqual([]);
  });

  it('reports the terminal identity before its first punch', async () => {
    await allArrived();
    if (family.reportsSerial) {
      expect(run.ctx.emitsBeforeSerial).toBe(0);
      expect(run.ctx.snapshot.serial).toBe(run.serial);
    }
    expect(new Set(run.ctx.punches().map((p) => p.device.serial))).toEqual(new Set([run.serial]));
    expect(run.ctx.punches().every((p) => p.device.protocol === family.protocol)).toBe(true);
  });

  it('never has a checkpoint ahead of the commit', async () => {
    await allArrived();
    for (let i = 0; i < 3; i++) run.punch();
    await allArrived();
    expect(observations).toBeGreaterThan(0);
    // a serial line acknowledges nothing: there is no claim to hold against the buffer
    if (family.protocol !== 'serial-line') expect(claims).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });

  it('stop() resolves within a bound and leaves nothing running', async () => {
    await allArrived();
    const resolved = await Promise.race([run.driver.stop().then(() => true), sleep(STOP_BOUND_MS).then(() => false)]);
    stopped = true;
    expect(resolved, `stop() did not resolve within ${STOP_BOUND_MS} ms`).toBe(true);
    if (family.ownsConnections) await until(() => run.open() === 0, `${family.name}: the terminal side sees the connection closed`, CLOSE_BOUND_MS);
    await sleep(SETTLE_MS);
    const activity = run.activity();
    const emitted = run.ctx.emitted.length;
    const committed = run.ctx.store.size;
    run.punch();
    await sleep(family.quietMs);
    // nothing reconnects, polls or takes the punch once stop() has resolved
    expect(run.activity()).toBe(activity);
    expect(run.ctx.emitted).toHaveLength(emitted);
    expect(run.ctx.store.size).toBe(committed);
    if (family.ownsConnections) expect(run.open()).toBe(0);
  });

  it('counts bad input and keeps going', async () => {
    await allArrived();
    const before = { status: countedUnder(run.ctx.snapshot.rejected), metrics: await run.ctx.counted() };
    await run.injectBad();
    await until(() => countedUnder(run.ctx.snapshot.rejected) > before.status, `${family.name}: bad input counted on the status`, ARRIVAL_BOUND_MS);
    const after = await run.ctx.counted();
    const metric = (m: typeof after): number => countedUnder(m.rejected) + countedUnder(m.quarantined);
    expect(metric(after)).toBeGreaterThan(metric(before.metrics));
    run.punch();
    await allArrived();
    expect(run.ctx.failures).toEqual([]);
    // nothing it refused reached the buffer
    expect(committedPins(run.ctx)).toEqual(run.expected());
  });

  it(`declares a watermark only where its protocol proves one (${family.watermark ?? 'none'}), and what it claims holds`, async () => {
    await allArrived();
    if (family.watermark === undefined) {
      await sleep(family.quietMs);
      expect(run.ctx.declared).toEqual([]);
      expect(run.ctx.currentWatermark()).toBeUndefined();
      return;
    }
    await until(() => run.ctx.currentWatermark() !== undefined, `${family.name}: a watermark`, ARRIVAL_BOUND_MS);
    const watermark = run.ctx.currentWatermark()!;
    expect(watermark.basis).toBe(family.watermark);
    const seqOf = new Map(run.ctx.committed().map((p) => [`${p.pin}|${p.localTime}`, p.punch.seq]));
    const covered = run.expected().filter((key) => (key.split('|')[1] ?? '') <= watermark.completeThrough.slice(0, 19));
    expect(covered.length).toBeGreaterThan(0);
    for (const key of covered) expect(seqOf.get(key), key).toBeLessThanOrEqual(watermark.seqThrough);
  });

  it('reconnects when the terminal comes back; punches made meanwhile arrive, each once', async () => {
    await allArrived();
    await run.cut();
    // a serial line keeps nothing while unplugged: only what comes after the port is back can arrive
    if (family.storesWhileAway) for (let i = 0; i < 2; i++) run.punch();
    await sleep(400);
    await run.restore();
    run.punch();
    await allArrived();
    expect(committedPins(run.ctx)).toEqual(run.expected());
    expect(run.ctx.failures).toEqual([]);
  });
});
