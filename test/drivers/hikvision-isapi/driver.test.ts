// hikvision-isapi pull against the ISAPI simulator over real HTTP on loopback: identity first,
// paging with MORE/OK and out-of-order pages, checkpoint, wrong password, garbage answers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CURSOR_KEY, type AcsCursor } from '../../../drivers/hikvision-isapi/index.js';
import { IsapiClient } from '../../../drivers/hikvision-isapi/client.js';
import type { HikvisionSimulator } from '../../../src/sim/hikvision/index.js';
import { until } from '../../helpers/until.js';
import { driverFor, startSim } from './harness.js';

let sim: HikvisionSimulator | undefined;
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await sim?.stop();
  sim = undefined;
});

function running(r: ReturnType<typeof driverFor>) {
  stops.push(() => r.driver.stop());
  return r;
}

describe('hikvision-isapi pull', () => {
  it('reads the identity first, then pages through every record once, in serialNo order per page', async () => {
    sim = await startSim({ records: 100, pageCap: 30, shuffle: true });
    const r = running(driverFor(sim, { pageSize: 50 }));
    const result = await r.driver.syncOnce();
    expect(r.ctx.emitsBeforeSerial).toBe(0);
    expect(r.ctx.snapshot).toMatchObject({ serial: 'DS-K1T341AM20220101V030230ENG12345678', model: 'DS-K1T341AM', firmware: 'V3.2.30 build 220210', online: true, lastError: null });
    expect(result).toMatchObject({ pages: 4, events: 120, punches: 100, ignored: 20, rejected: 0 });
    expect(r.ctx.store.size).toBe(100);
    expect(r.ctx.duplicates).toBe(0);
    const firstPage = r.ctx.emitted.slice(0, 25).map((p) => p.raw?.serialNo as number);
    expect(firstPage).toEqual([...firstPage].sort((a, b) => a - b));
    const face = r.ctx.emitted.find((p) => p.raw?.minor === 75)!;
    expect(face).toMatchObject({ verify: 'face', state: 'check-in' });
    expect(r.ctx.emitted.find((p) => p.raw?.minor === 38)).toMatchObject({ verify: 'fingerprint' });
    expect(r.ctx.emitted.find((p) => p.raw?.minor === 1)).toMatchObject({ verify: 'card' });
    const cursor = r.ctx.checkpoints()[CURSOR_KEY] as AcsCursor;
    expect(cursor.serialNo).toBe(120);
    expect(cursor.time).toBe(sim.events.at(-1)!.time);
    // whole seconds on both sides: truncation may give -1
    expect(Math.abs(r.ctx.snapshot.clockSkewSec!)).toBeLessThanOrEqual(1);
  });

  it('pages the same through a paced terminal (each AcsEvent answer in 512-byte packets with a gap between them)', async () => {
    sim = await startSim({ records: 100, pageCap: 30, shuffle: true, packetBytes: 512, packetGapMs: 1 });
    const r = running(driverFor(sim, { pageSize: 50 }));
    const result = await r.driver.syncOnce();
    expect(result).toMatchObject({ pages: 4, events: 120, punches: 100, ignored: 20, rejected: 0 });
    expect(r.ctx.store.size).toBe(100);
  });

  it('asks for the next page while the last one commits (paging overlaps the commit), the cursor with the last page', async () => {
    sim = await startSim({ records: 100, pageCap: 30 });
    const r = running(driverFor(sim, { pageSize: 30 }));
    const searches = (): number => sim!.stats.requests['/ISAPI/AccessControl/AcsEvent'] ?? 0;
    const emitMany = r.ctx.emitMany.bind(r.ctx);
    const cursorAt: number[] = [];
    let calls = 0;
    // the first page's commit is held until the terminal has been asked for the second page: a
    // search that waited for each commit before asking would never finish
    r.ctx.emitMany = async (raws, checkpoint) => {
      calls += 1;
      if (calls === 1) await until(() => searches() >= 2, 'the second page asked for while the first commits');
      if (checkpoint?.[CURSOR_KEY]) cursorAt.push(calls);
      return emitMany(raws, checkpoint);
    };
    const result = await r.driver.syncOnce();
    expect(result).toMatchObject({ events: 120, punches: 100 });
    expect(r.ctx.store.size).toBe(100);
    expect(cursorAt).toEqual([result.pages]);
  });

  it('asks for the next page before it maps the page just read (the terminal sends while the gateway works)', async () => {
    sim = await startSim({ records: 100, pageCap: 30 });
    const r = running(driverFor(sim, { pageSize: 30 }));
    const asked = vi.spyOn(IsapiClient.prototype, 'postJson');
    const driver = r.driver as unknown as { noteMapped(outcome: unknown): void };
    const noteMapped = driver.noteMapped.bind(driver);
    const askedAtMapping: number[] = [];
    driver.noteMapped = (outcome) => {
      askedAtMapping.push(asked.mock.calls.length);
      noteMapped(outcome);
    };
    const result = await r.driver.syncOnce();
    asked.mockRestore();
    expect(result).toMatchObject({ pages: 4, punches: 100 });
    // the first page's events are mapped once the second page was asked for; the last page's, with no page after it
    expect(askedAtMapping[0]).toBe(2);
    expect(askedAtMapping.at(-1)).toBe(4);
  });

  it('the next search starts at the checkpoint and adds only the new punches', async () => {
    sim = await startSim({ records: 40 });
    const r = running(driverFor(sim));
    await r.driver.syncOnce();
    const emittedBefore = r.ctx.emitted.length;
    sim.addPunch('0042', { attendanceStatus: 'checkOut' });
    sim.addPunch('0043', { minor: 38, attendanceStatus: 'breakOut' });
    const second = await r.driver.syncOnce();
    expect(second.pages).toBe(1);
    const added = r.ctx.emitted.slice(emittedBefore);
    // the last event of the first search is read again (inclusive start) and deduplicated
    expect(added.filter((p) => p.pin === '0042' || p.pin === '0043').map((p) => [p.pin, p.state, p.verify])).toEqual([
      ['0042', 'check-out', 'face'],
      ['0043', 'break-out', 'fingerprint'],
    ]);
    expect(r.ctx.store.size).toBe(42);
  });

  it('converts the terminal offset into the configured zone and reports the mismatch', async () => {
    // factory default +08:00 on a terminal in WIB (+07:00)
    sim = await startSim({ offsetMinutes: 480, clockOffsetSec: 3600 });
    sim.addPunch('7', { time: '2026-01-19T08:31:05+08:00' });
    const r = running(driverFor(sim, { lookback: '3650d' }));
    await r.driver.syncOnce();
    expect(r.ctx.emitted[0]).toMatchObject({ pin: '7', localTime: '2026-01-19T07:31:05' });
    expect(r.ctx.snapshot.details).toMatchObject({ zoneMismatchMin: 60 });
    expect(Math.abs(r.ctx.snapshot.clockSkewSec! - 3600)).toBeLessThanOrEqual(1);
  });

  it('timeFrom: wall keeps the wall time as written', async () => {
    sim = await startSim({ offsetMinutes: 480 });
    sim.addPunch('7', { time: '2026-01-19T08:31:05+08:00' });
    const r = running(driverFor(sim, { timeFrom: 'wall', lookback: '3650d' }));
    await r.driver.syncOnce();
    expect(r.ctx.emitted[0]).toMatchObject({ localTime: '2026-01-19T08:31:05' });
  });

  it('answers the digest challenge with SHA-256 and re-challenges when the nonce goes stale', async () => {
    sim = await startSim({ records: 90, algorithm: 'SHA-256', nonceUses: 2 });
    const r = running(driverFor(sim));
    await r.driver.syncOnce();
    expect(r.ctx.store.size).toBe(90);
    expect(sim.stats.stale).toBeGreaterThan(0);
  });

  it('a wrong password is GW_ERR_DEVICE_AUTH, said clearly, without the password, and tried once per request', async () => {
    sim = await startSim({ records: 5 });
    const r = running(driverFor(sim, { password: 'wrong-one' }));
    await expect(r.driver.syncOnce()).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_AUTH', message: expect.stringMatching(/refused user "admin".*wrong user name or password/) });
    expect(sim.stats.unauthorized).toBe(2);
    await r.driver.start();
    await until(() => typeof r.ctx.snapshot.lastError === 'string', 'lastError');
    expect(r.ctx.snapshot.lastError).toMatch(/^GW_ERR_DEVICE_AUTH/);
    expect(r.ctx.snapshot.lastError).not.toContain('wrong-one');
    expect(r.ctx.store.size).toBe(0);
  });

  it('garbage JSON is a counted rejection; the cursor stays', async () => {
    sim = await startSim({ acsEventBody: '{"AcsEvent": {"responseStatusStrg": "MORE", "InfoList": [' });
    const r = running(driverFor(sim));
    await expect(r.driver.syncOnce()).rejects.toMatchObject({ code: 'GW_ERR_DECODE' });
    expect(r.ctx.rejections.map((x) => x.reason)).toEqual(['acs-json']);
    expect(r.ctx.checkpoints()).not.toHaveProperty(CURSOR_KEY);
  });

  it('a record without a usable shape is rejected alone; the rest of the page is committed', async () => {
    const page = { AcsEvent: { searchID: '1', responseStatusStrg: 'OK', numOfMatches: 3, totalMatches: 3, InfoList: [
      { major: 5, minor: 75, time: '2026-01-19T07:31:05+07:00', employeeNoString: '1', serialNo: 3, attendanceStatus: 'checkIn' },
      { major: 5, minor: 'x', time: 5 },
      { major: 5, minor: 75, time: '2026-01-19T07:32:05+07:00', serialNo: 4 },
    ] } };
    sim = await startSim({ acsEventBody: JSON.stringify(page) });
    const r = running(driverFor(sim));
    const result = await r.driver.syncOnce();
    expect(result).toMatchObject({ punches: 1, rejected: 2 });
    expect(r.ctx.rejections.map((x) => x.reason)).toEqual(['acs-record', 'acs-no-employee']);
    // the person-less attendance event goes to the buffer as an invalid punch (quarantined there)
    expect(r.ctx.emitted.map((p) => p.pin)).toEqual(['1', '']);
    expect(r.ctx.committed().map((p) => p.pin)).toEqual(['1']);
    expect(r.ctx.quarantine().map((q) => q.reason)).toEqual(['invalid: pin: pin is empty']);
  });

  it('an unreachable terminal is GW_ERR_DEVICE_UNREACHABLE in lastError', async () => {
    sim = await startSim();
    const port = sim.address.port;
    await sim.stop();
    const r = running(driverFor({ address: { port } } as HikvisionSimulator));
    await expect(r.driver.syncOnce()).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_UNREACHABLE' });
  });
});
