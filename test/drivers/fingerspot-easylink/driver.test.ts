// fingerspot-easylink driver against the bridge simulator over loopback HTTP: backfill, the
// single-consumer cursor read once, recovery of scans consumed but never committed, "No data",
// bad replies counted, a paging session begun elsewhere, and the probe that never consumes.
import { afterEach, describe, expect, it } from 'vitest';
import { EasyLinkClient } from '../../../drivers/fingerspot-easylink/client.js';
import { probeEasyLink } from '../../../drivers/fingerspot-easylink/probe.js';
import type { FingerspotSimulator } from '../../../src/sim/fingerspot/index.js';
import { MemoryStore } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { SERIAL, backfilledStore, checkpointOf, committedPins, loggedPins, startDriver, startSim, type Running } from './harness.js';

let sim: FingerspotSimulator | undefined;
const running: Running[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) await r.driver.stop();
  await sim?.stop();
  sim = undefined;
});

function drive(extra: Record<string, unknown> = {}, store = backfilledStore()): Running {
  const r = startDriver(sim!, extra, store);
  running.push(r);
  return r;
}

const newPolls = (): number => sim!.stats.requests['/scanlog/new'] ?? 0;

describe('fingerspot-easylink driver', () => {
  it('backfills the whole log through paging on first start, reporting the serial first', async () => {
    sim = await startSim();
    sim.fill(250);
    const r = drive({ pageSize: 100 }, new MemoryStore());
    await until(() => checkpointOf(r.ctx)?.backfilled === true && newPolls() > 0, 'backfill');
    expect(committedPins(r.ctx)).toEqual(loggedPins(sim));
    expect(r.ctx.emitsBeforeSerial).toBe(0);
    expect(r.ctx.updates[0]?.serial).toBe(SERIAL);
    expect(sim.stats.requests['/scanlog/all/paging']).toBe(3);
    expect(r.ctx.snapshot).toMatchObject({ online: true, lastError: null, details: { records: 250, bridge: `127.0.0.1:${sim.address.port}` } });
    expect(typeof r.ctx.snapshot.clockSkewSec).toBe('number');
  });

  it('backfills the same from a paced bridge (each answer in 512-byte packets with a gap between them)', async () => {
    sim = await startSim({ packetBytes: 512, packetGapMs: 1 });
    sim.fill(250);
    const r = drive({ pageSize: 100 }, new MemoryStore());
    await until(() => checkpointOf(r.ctx)?.backfilled === true && newPolls() > 0, 'paced backfill');
    expect(committedPins(r.ctx)).toEqual(loggedPins(sim));
    expect(sim.stats.requests['/scanlog/all/paging']).toBe(3);
  });

  it('asks for the next page while the last one commits (paging overlaps the commit)', async () => {
    sim = await startSim();
    sim.fill(250);
    const store = new MemoryStore();
    const r = startDriver(sim, { pageSize: 100 }, store);
    running.push(r);
    // the first page's commit is held until the bridge has been asked for the second page: a read
    // that waited for the commit before asking would never finish
    const paging = (): number => sim!.stats.requests['/scanlog/all/paging'] ?? 0;
    const emitMany = r.ctx.emitMany.bind(r.ctx);
    let held = 0;
    r.ctx.emitMany = async (raws, checkpoint) => {
      if (held++ === 0) await until(() => paging() >= 2, 'the second page asked for while the first commits');
      return emitMany(raws, checkpoint);
    };
    await until(() => checkpointOf(r.ctx)?.backfilled === true, 'backfill');
    expect(committedPins(r.ctx)).toEqual(loggedPins(sim));
    expect(paging()).toBe(3);
  });

  it('skips scans before importSince in the backfill', async () => {
    sim = await startSim();
    sim.fill(120, '2026-03-01 23:00:00');
    const r = drive({ importSince: '2026-03-02' }, new MemoryStore());
    await until(() => checkpointOf(r.ctx)?.backfilled === true, 'backfill');
    expect(r.ctx.store.size).toBe(60);
    expect(r.ctx.committed().every((p) => p.localTime >= '2026-03-02T00:00:00')).toBe(true);
  });

  it('commits each scan of /scanlog/new once, and "No data" is no error', async () => {
    sim = await startSim();
    const r = drive();
    await until(() => newPolls() >= 2, 'idle polls');
    sim.addPunch({ pin: '20', scanDate: '2026-03-27 19:54:35', ioMode: 2 });
    sim.addPunch({ pin: '2', scanDate: '2026-03-27 20:04:58', verifyMode: 30, ioMode: 2 });
    await until(() => r.ctx.store.size === 2, 'two punches');
    const polled = newPolls();
    await until(() => newPolls() >= polled + 3, 'more polls');
    expect(r.ctx.emitted.map((p) => `${p.pin} ${p.localTime} ${p.state} ${p.verify}`)).toEqual([
      '20 2026-03-27T19:54:35 check-out fingerprint',
      '2 2026-03-27T20:04:58 check-out other',
    ]);
    expect(sim.stats.consumedByNew).toBe(2);
    expect(r.ctx.rejections).toEqual([]);
    expect(r.ctx.snapshot).toMatchObject({ online: true, lastError: null });
    // the marker is set during each poll and cleared with its outcome
    await until(() => checkpointOf(r.ctx)?.inflight === undefined, 'between polls');
    expect(checkpointOf(r.ctx)).toMatchObject({ backfilled: true, lastLocalTime: '2026-03-27T20:04:58' });
  });

  it('recovers scans /scanlog/new handed out but the gateway never committed (crash before COMMIT)', async () => {
    sim = await startSim();
    sim.fill(30, '2026-03-27 07:00:00');
    sim.terminal().newCursor = 30; // all old scans were downloaded long ago
    const store = backfilledStore();
    const first = drive({}, store);
    first.ctx.failCommits = true; // the process "dies" between the bridge's reply and COMMIT
    await until(() => newPolls() >= 1, 'first poll');
    sim.addPunch({ pin: '110', ioMode: 2 });
    sim.addPunch({ pin: '111', ioMode: 1, verifyMode: 20 });
    await until(() => sim!.stats.consumedByNew === 2, 'consumed');
    await until(() => first.ctx.snapshot.lastError?.includes('SQLITE_FULL') === true, 'commit failure reported');
    await first.driver.stop();
    expect(store.size).toBe(0);
    expect(checkpointOf(first.ctx)?.inflight).toBeDefined();
    // the bridge will never hand them out again
    const probeClient = new EasyLinkClient({ host: '127.0.0.1', port: sim.address.port, serial: SERIAL, timeoutMs: 2000 });
    expect(await probeClient.scanlogNew()).toEqual({ kind: 'no-data' });

    const second = drive({}, store); // the restarted gateway
    await until(() => store.size === 2 && checkpointOf(second.ctx)?.inflight === undefined, 'recovered');
    expect(committedPins(store)).toEqual(loggedPins(sim).filter((k) => k.startsWith('110|') || k.startsWith('111|')));
    expect(second.ctx.emitted.every((p) => p.raw?.source === 'paging')).toBe(true);
    expect(sim.stats.requests['/scanlog/all/paging']).toBeGreaterThanOrEqual(1);
  });

  it('recovers scans whose /scanlog/new reply was lost on the wire', async () => {
    sim = await startSim({ faults: { dropAfterConsume: 1 } });
    const r = drive();
    await until(() => newPolls() >= 1, 'first poll');
    sim.addPunch({ pin: '7', ioMode: 1 });
    await until(() => r.ctx.store.size === 1, 'recovered');
    expect(sim.stats.dropped).toBe(1);
    expect(r.ctx.committed()[0]).toMatchObject({ pin: '7', state: 'check-in', raw: { source: 'paging' } });
  });

  it('a due reconciliation commits scans another /scanlog/new client took', async () => {
    sim = await startSim();
    sim.addPunch({ pin: '42', ioMode: 1 });
    const thief = new EasyLinkClient({ host: '127.0.0.1', port: sim.address.port, serial: SERIAL, timeoutMs: 2000 });
    expect((await thief.scanlogNew()).kind).toBe('rows');
    const store = backfilledStore({ lastReconcileAtMs: Date.now() - 2 * 3_600_000 });
    const r = drive({ reconcileInterval: '1h' }, store);
    await until(() => r.ctx.store.size === 1, 'reconciled');
    expect(r.ctx.committed()[0]).toMatchObject({ pin: '42', state: 'check-in', raw: { source: 'paging' } });
    expect(checkpointOf(r.ctx)?.lastReconcileAtMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('counts a garbage body as a rejection and carries on', async () => {
    sim = await startSim({ faults: { garbage: 1 } });
    const r = drive();
    await until(() => r.ctx.rejections.length === 1 && newPolls() >= 1, 'rejection then polls');
    expect(r.ctx.rejections[0]).toMatchObject({ reason: 'fingerspot-bad-reply' });
    expect(r.ctx.rejections[0]?.detail).toContain('/dev/info: <html>');
    sim.addPunch({ pin: '9' });
    await until(() => r.ctx.store.size === 1, 'punch after the bad body');
  });

  it('counts bad rows and still commits the good rows of the same reply', async () => {
    sim = await startSim();
    const r = drive();
    await until(() => newPolls() >= 1, 'first poll');
    sim.addPunch({ pin: '5', scanDate: '2026-03-27 08:00:00' });
    sim.addPunch({ pin: 'has space', scanDate: '2026-03-27 08:01:00' });
    await until(() => r.ctx.store.size === 1 && r.ctx.rejections.length === 1, 'one good, one bad');
    expect(r.ctx.rejections[0]).toMatchObject({ reason: 'fingerspot-bad-row' });
  });

  it('treats HTTP 500 and Result:false as bridge failures: lastError, backoff, then recovery', async () => {
    sim = await startSim({ faults: { http500: 2, resultFalse: 1, resultFalseMessage: 'Device not connected' } });
    const r = drive();
    await until(() => r.ctx.updates.some((u) => u.lastError?.message.includes('Device not connected')), 'result false seen');
    expect(r.ctx.updates.some((u) => u.lastError?.message.includes('HTTP 500'))).toBe(true);
    sim.addPunch({ pin: '3' });
    await until(() => r.ctx.store.size === 1 && r.ctx.snapshot.lastError === null, 'healthy again');
    expect(r.ctx.rejections).toEqual([]);
  });

  it('reads again when the paging session was already under way (rows short of /dev/info)', async () => {
    sim = await startSim();
    sim.fill(250);
    sim.terminal().pagingCursor = 170; // someone else paged and walked away
    const r = drive({ pageSize: 100 }, new MemoryStore());
    await until(() => checkpointOf(r.ctx)?.backfilled === true, 'backfill');
    expect(committedPins(r.ctx)).toEqual(loggedPins(sim));
  });

  it('times out on a slow bridge and reports it', async () => {
    sim = await startSim({ faults: { slowMs: 300 } });
    const r = drive({ timeout: '50ms' });
    await until(() => r.ctx.updates.some((u) => u.lastError?.code === 'GW_ERR_DEVICE_TIMEOUT'), 'timeout reported');
    sim.faults.slowMs = 0;
    await until(() => r.ctx.snapshot.lastError === null, 'recovers');
  });
});

describe('probe and client', () => {
  it('probe reads /dev/info only and warns about the single consumer', async () => {
    sim = await startSim({ clockOffsetSec: 120 });
    sim.fill(10);
    const result = await probeEasyLink({ host: '127.0.0.1', port: sim.address.port, serial: SERIAL.toLowerCase(), timeoutMs: 2000, timeZone: 'Asia/Jakarta' });
    expect(result).toMatchObject({ serialKnown: true, counts: { records: 10, newRecords: 10 } });
    expect(result.clockSkewSec).toBeGreaterThanOrEqual(118);
    expect(result.warnings[0]).toContain('only client');
    expect(Object.keys(sim.stats.requests)).toEqual(['/dev/info']);
  });

  it('probe names an unknown serial', async () => {
    sim = await startSim();
    await expect(probeEasyLink({ host: '127.0.0.1', port: sim.address.port, serial: 'NOPE', timeoutMs: 2000, timeZone: 'Asia/Jakarta' })).rejects.toThrow(/Device\.ini/);
  });

  it('the client never sends from/to/page to the paging endpoint', async () => {
    sim = await startSim();
    const client = new EasyLinkClient({ host: '127.0.0.1', port: sim.address.port, serial: SERIAL, timeoutMs: 2000 });
    await expect(client.call('/scanlog/all/paging', { page: 1 })).rejects.toThrow(/crash FService/);
    expect(sim.stats.requests['/scanlog/all/paging']).toBeUndefined();
  });
});
