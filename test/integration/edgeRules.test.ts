// The edge rules through the generic path every driver shares: the real DriverContext (normalize →
// commit) on a real SQLite buffer, its metrics and its log. Inputs are synthetic (findings 4, 10
// and 12 of issue 15 restated as raw punches and status updates); the same findings through the
// real drivers are in edgeDrivers.test.ts.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import type { DeviceStates } from '../../src/devices/deviceState.js';
import type { DriverContext } from '../../src/devices/driver.js';
import { punchId, type RawPunch } from '../../src/punch/punch.js';
import { createMetrics, type Metrics } from '../../src/util/metrics.js';
import { bufferContext } from '../helpers/bufferContext.js';
import { checkSnapshot, checkStoredPunches, quarantineBodyBytes, quarantineRows } from '../helpers/edgeChecks.js';
import { tempDir } from '../helpers/tmp.js';

const SERIAL = 'CQZ7232260123';
const good: RawPunch = { pin: '00123', localTime: '2026-01-19T07:31:05', state: 'check-in', verify: 'face', workCode: null, raw: { source: 'synthetic' } };

let tmp: ReturnType<typeof tempDir>;
let buffer: SqlitePunchBuffer;
let ctx: DriverContext;
let states: DeviceStates;
let metrics: Metrics;
let lines: Record<string, unknown>[];
let abort: AbortController;

beforeEach(() => {
  tmp = tempDir('edge-');
  buffer = new SqlitePunchBuffer({ file: join(tmp.dir, 'buffer.db'), sinks: ['mqtt'], writer: 'inline' });
  metrics = createMetrics();
  lines = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  abort = new AbortController();
  ({ ctx, states } = bufferContext(buffer, {
    device: { id: 'lobby-face', driver: 'hikvision-isapi', serial: SERIAL, host: '192.168.1.64' } as never,
    gateway: { id: 'gw-edge', site: 'EDGE' },
    metrics,
    log: pino({ level: 'info' }, destination),
    signal: abort.signal,
  }));
});
afterEach(() => {
  abort.abort();
  buffer.close();
  tmp.cleanup();
});

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

describe('PIN rule (finding 12)', () => {
  const LOOK_ALIKES = ['00123\u200b', '\u202e00123', '\u03bf0123', '<b>1</b>', '1'.repeat(25)];

  it('look-alike PINs are not published as distinct PINs: quarantined pin-invalid with the raw input, counted, logged', async () => {
    const result = await ctx.emitMany([good, ...LOOK_ALIKES.map((pin) => ({ ...good, pin }))]);
    expect(result).toEqual({ inserted: 1, duplicates: 0, quarantined: LOOK_ALIKES.length });
    expect(checkStoredPunches(buffer.database).map((p) => p.pin)).toEqual(['00123']);
    const rows = quarantineRows(buffer.database);
    expect(rows.map((r) => r.reason)).toEqual(LOOK_ALIKES.map(() => 'pin-invalid'));
    expect(rows.map((r) => (r.body as { raw: RawPunch }).raw.pin).sort()).toEqual([...LOOK_ALIKES].sort());
    expect(await counter('gateway_punches_quarantined_total', { device: 'lobby-face', reason: 'pin-invalid' })).toBe(LOOK_ALIKES.length);
    expect(lines.filter((l) => l.code === 'GW_ERR_PUNCH_QUARANTINED' && l.reason === 'pin-invalid')).toHaveLength(LOOK_ALIKES.length);
    expect(states.get('lobby-face')?.rejected['pin-invalid']).toBe(LOOK_ALIKES.length);
  });

  it('the Kelvin sign U+212A in a PIN is stored and identified as K (NFC)', async () => {
    await ctx.emit({ ...good, pin: '\u212a1001' });
    await ctx.emit({ ...good, pin: 'K1001' });
    const [punch] = checkStoredPunches(buffer.database);
    expect(punch).toMatchObject({ pin: 'K1001', id: punchId({ serial: SERIAL, pin: 'K1001', localTime: good.localTime, state: 'check-in', verify: 'face' }) });
    expect(checkStoredPunches(buffer.database)).toHaveLength(1);
  });

  it('an empty PIN (a driver handing over an undecodable line) still lands in quarantine as invalid', async () => {
    const result = await ctx.emitMany([{ pin: '', localTime: '', state: 'unknown', verify: 'other', raw: { table: 'ATTLOG', line: 3, text: '"garbage"' } }]);
    expect(result.quarantined).toBe(1);
    expect(quarantineRows(buffer.database)).toEqual([expect.objectContaining({ reason: 'invalid: pin: pin is empty', punchId: expect.stringMatching(/^invalid-[0-9a-f]{24}$/) })]);
    expect(await counter('gateway_punches_quarantined_total', { device: 'lobby-face', reason: 'invalid-punch' })).toBe(1);
  });
});

describe('punch size (finding 4)', () => {
  it('a punch with 1.3 MB of extra fields is quarantined too-large, in a bounded row; the good punch beside it commits', async () => {
    const extra = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`field${12 + i}`, 'x'.repeat(100_000)]));
    const poison: RawPunch = { ...good, pin: '4711', raw: { table: 'ATTLOG', ...extra } };
    const result = await ctx.emitMany([poison, good]);
    expect(result).toEqual({ inserted: 1, duplicates: 0, quarantined: 1 });
    expect(checkStoredPunches(buffer.database).map((p) => p.pin)).toEqual(['00123']);
    const [row] = quarantineRows(buffer.database);
    expect(row).toMatchObject({ reason: 'too-large', punchId: punchId({ serial: SERIAL, pin: '4711', localTime: good.localTime, state: 'check-in', verify: 'face' }) });
    expect(row!.body).toMatchObject({ raw: { pin: '4711', localTime: good.localTime }, truncated: { bytes: Buffer.byteLength(JSON.stringify(poison)), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(Math.max(...quarantineBodyBytes(buffer.database))).toBeLessThan(4096);
    expect(await counter('gateway_punches_quarantined_total', { device: 'lobby-face', reason: 'too-large' })).toBe(1);
  });
});

describe('device identity (finding 4)', () => {
  it('a 300 KB model reaches neither the device state nor any later punch; it is counted identity-invalid', async () => {
    ctx.status.update({ model: 'M'.repeat(300 * 1024), firmware: `V3.2.30\u0000${'\u202e'.repeat(10)}`, details: { info: { DeviceName: 'M'.repeat(300 * 1024) } } });
    checkSnapshot(states.get('lobby-face'));
    expect(states.get('lobby-face')).toMatchObject({ model: 'M'.repeat(64), firmware: 'V3.2.30' });
    await ctx.emit(good);
    const [punch] = checkStoredPunches(buffer.database);
    expect(punch!.device.model).toBe('M'.repeat(64));
    expect(await counter('gateway_rejected_total', { device: 'lobby-face', reason: 'identity-invalid' })).toBe(3);
    expect(lines.filter((l) => l.code === 'GW_ERR_DEVICE_IDENTITY')).toHaveLength(3);
  });

  it('a serial it cannot use is refused whole: punch ids keep the serial the device had', async () => {
    ctx.status.update({ serial: `${SERIAL}\u200b` });
    ctx.status.update({ serial: 'S'.repeat(65) });
    expect(states.get('lobby-face')?.serial).toBe(SERIAL);
    await ctx.emit(good);
    expect(checkStoredPunches(buffer.database)[0]?.device.serial).toBe(SERIAL);
    expect(await counter('gateway_rejected_total', { device: 'lobby-face', reason: 'identity-invalid' })).toBe(2);
  });
});

describe('warnings under a flood (finding 10, generic part)', () => {
  it('counts every rejection and quarantined punch, but writes a few lines per reason and one summary with the count', async () => {
    for (let i = 0; i < 1000; i++) ctx.status.rejected('attlog-fields', `line ${i}`);
    await ctx.emitMany(Array.from({ length: 1000 }, (_, i) => ({ ...good, pin: `${i}\u200b` })));
    expect(await counter('gateway_rejected_total', { device: 'lobby-face', reason: 'attlog-fields' })).toBe(1000);
    expect(await counter('gateway_punches_quarantined_total', { device: 'lobby-face', reason: 'pin-invalid' })).toBe(1000);
    expect(quarantineRows(buffer.database)).toHaveLength(1000);
    expect(lines.length).toBeLessThanOrEqual(10);
    abort.abort(); // the driver stops: what was held back is said
    const summaries = lines.filter((l) => typeof l.suppressed === 'number');
    expect(summaries.map((l) => [l.reason, l.suppressed])).toEqual(expect.arrayContaining([['attlog-fields', 995], ['pin-invalid', 995]]));
  });
});

describe('device.address', () => {
  it('a punch carries the configured host, a push punch its own source, an imported one none', async () => {
    await ctx.emitMany([good, { ...good, pin: '2', address: '10.20.30.40' }, { ...good, pin: '3', address: null }]);
    const punches = checkStoredPunches(buffer.database);
    expect(punches.map((p) => p.device.address)).toEqual(['192.168.1.64', '10.20.30.40', undefined]);
  });
});
