import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, canonicalJsonAround } from '../../src/log/jcs.js';
import { normalizePunch, type NormalizeContext } from '../../src/punch/normalize.js';
import { MAX_PUNCH_JSON_BYTES } from '../../src/punch/edgeRules.js';
import { punchId, punchSchema } from '../../src/punch/punch.js';
import { resolveLocalTime } from '../../src/punch/time.js';

describe('punchId', () => {
  // Expected values computed outside this code base: printf '<fields joined by |>' | sha256sum | cut -c1-32
  it.each([
    [{ serial: 'CQZ7232260123', pin: '00123', localTime: '2026-01-19T07:31:05', state: 'check-in', verify: 'fingerprint' }, '6d9d2fb92fe8a546e0208eceff3a2fa3'],
    [{ serial: 'lobby-1', pin: '7', localTime: '2025-12-31T23:59:59', state: 'unknown', verify: 'face' }, '3ea0f591025a458bc22eeaaed12f42dd'],
  ] as const)('%o → %s', (fields, expected) => {
    expect(punchId(fields)).toBe(expected);
  });

  it('keeps leading zeros significant', () => {
    const base = { serial: 'S', localTime: '2026-01-19T07:31:05', state: 'check-in', verify: 'card' } as const;
    expect(punchId({ ...base, pin: '007' })).not.toBe(punchId({ ...base, pin: '7' }));
  });
});

describe('resolveLocalTime', () => {
  it.each([
    ['2026-01-19T07:31:05', 'Asia/Jakarta', '2026-01-19T07:31:05+07:00', '2026-01-19T00:31:05Z'],
    ['2026-01-19T07:31:05', 'Asia/Makassar', '2026-01-19T07:31:05+08:00', '2026-01-18T23:31:05Z'],
    ['2026-01-19T07:31:05', 'Asia/Jayapura', '2026-01-19T07:31:05+09:00', '2026-01-18T22:31:05Z'],
    ['2026-01-01T03:00:00', 'Asia/Jakarta', '2026-01-01T03:00:00+07:00', '2025-12-31T20:00:00Z'],
    ['2024-02-29T12:00:00', 'UTC', '2024-02-29T12:00:00+00:00', '2024-02-29T12:00:00Z'],
    // Europe/Amsterdam: CET +01 in winter, CEST +02 in summer
    ['2026-01-15T08:00:00', 'Europe/Amsterdam', '2026-01-15T08:00:00+01:00', '2026-01-15T07:00:00Z'],
    ['2026-07-15T08:00:00', 'Europe/Amsterdam', '2026-07-15T08:00:00+02:00', '2026-07-15T06:00:00Z'],
    // fall back 2026-10-25 03:00 CEST → 02:00 CET: 02:30 happens twice, the earlier instant wins
    ['2026-10-25T02:30:00', 'Europe/Amsterdam', '2026-10-25T02:30:00+02:00', '2026-10-25T00:30:00Z'],
    // spring forward 2026-03-29 02:00 CET → 03:00 CEST: 02:30 does not exist, it moves forward an hour
    ['2026-03-29T02:30:00', 'Europe/Amsterdam', '2026-03-29T03:30:00+02:00', '2026-03-29T01:30:00Z'],
    // a negative offset with minutes
    ['2026-01-19T07:31:05', 'America/St_Johns', '2026-01-19T07:31:05-03:30', '2026-01-19T11:01:05Z'],
  ])('%s in %s', (local, zone, time, utc) => {
    const resolved = resolveLocalTime(local, zone);
    expect(resolved?.time).toBe(time);
    expect(resolved?.utc).toBe(utc);
  });

  it.each(['2026-02-30T07:00:00', '2026-13-01T00:00:00', '2026-01-19 07:31:05', '2026-01-19T24:00:00', ''])('rejects %j', (local) => {
    expect(resolveLocalTime(local, 'Asia/Jakarta')).toBeUndefined();
  });
});

describe('normalizePunch', () => {
  const ctx: NormalizeContext = {
    gateway: 'gw-1',
    site: 'BKPP',
    device: { id: 'lobby-1', serial: 'CQZ7232260123', protocol: 'zk-tcp', model: 'X100-C' },
    zone: 'Asia/Makassar',
    clockSkewSec: -3,
    nowMs: Date.parse('2026-01-19T01:00:00Z'),
    minYear: 2000,
    maxFutureMs: 86_400_000,
  };
  const raw = { pin: '00123', localTime: '2026-01-19T07:31:05', state: 'check-in', verify: 'fingerprint', workCode: 0, raw: { status: 0 } } as const;

  it('builds every contract field', () => {
    const outcome = normalizePunch(raw, ctx);
    expect(outcome.kind).toBe('ok');
    if (outcome.kind !== 'ok') return;
    const punch = { ...outcome.punch, seq: 1 };
    expect(punchSchema.parse(punch)).toEqual(punch);
    expect(punch).toMatchObject({
      schema: 'punch/v1',
      id: '6d9d2fb92fe8a546e0208eceff3a2fa3',
      device: { id: 'lobby-1', serial: 'CQZ7232260123', protocol: 'zk-tcp', model: 'X100-C' },
      pin: '00123',
      time: '2026-01-19T07:31:05+08:00',
      utc: '2026-01-18T23:31:05Z',
      workCode: 0,
      clockSkewSec: -3,
      receivedAt: '2026-01-19T01:00:00.000Z',
    });
  });

  it('serializes a punch to the same JCS bytes as the generic canonical form, whatever its optional members and raw', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.record({ model: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }), address: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }) }),
        fc.option(fc.integer({ min: -86_400, max: 86_400 })),
        fc.option(fc.integer({ min: -5, max: 99_999 })),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
        fc.string({ minLength: 1, maxLength: 10 }),
        fc.nat(),
        (device, clockSkewSec, workCode, rawFields, site, seq) => {
          const deviceCtx = { id: 'lobby-1', serial: 'SN-1', protocol: 'zk-tcp', ...(device.model ? { model: device.model } : {}), ...(device.address ? { address: device.address } : {}) };
          // -0 is a JSON number too (JCS writes it as 0); fc.jsonValue() gives it
          const outcome = normalizePunch({ ...raw, workCode, raw: rawFields }, { ...ctx, site, clockSkewSec, device: deviceCtx });
          if (outcome.kind !== 'ok') return;
          seen.add(Object.keys(outcome.punch.device).join());
          const generic = canonicalJsonAround(outcome.punch as unknown as Record<string, unknown>, 'seq');
          expect(outcome.json).toEqual(generic);
          expect(`${outcome.json.open}${seq}${outcome.json.close}`).toBe(canonicalJson({ ...outcome.punch, seq }));
        },
      ),
      { numRuns: 300 },
    );
    // every combination of the device's optional members was met
    expect(seen.size).toBe(4);
  });

  it('refuses a raw member JCS cannot write (a lone surrogate) as invalid, like the generic form', () => {
    const outcome = normalizePunch({ ...raw, raw: { note: '\ud800' } }, ctx);
    expect(outcome).toMatchObject({ kind: 'invalid' });
    expect(normalizePunch({ ...raw }, { ...ctx, site: 'A\udc00' })).toMatchObject({ kind: 'invalid' });
  });

  it.each([
    [{ localTime: '1999-12-31T23:59:59' }, 'quarantined', 'time-before-2000'],
    [{ localTime: '2000-01-01T00:00:00' }, 'ok', undefined],
    [{ localTime: '2026-01-21T07:31:05' }, 'quarantined', 'time-in-future'],
    [{ localTime: '2026-01-20T07:31:05' }, 'ok', undefined],
    [{ pin: '' }, 'invalid', undefined],
    // the edge rule replaced "control characters or | → invalid": a PIN outside it is quarantined
    [{ pin: 'a|b' }, 'quarantined', 'pin-invalid'],
    [{ state: 'lunch' }, 'invalid', undefined],
    [{ localTime: '2026-02-30T00:00:00' }, 'invalid', undefined],
  ])('%o → %s', (change, kind, reason) => {
    const outcome = normalizePunch({ ...raw, ...change } as never, ctx);
    expect(outcome.kind).toBe(kind);
    if (reason) expect(outcome).toMatchObject({ reason });
  });

  describe('edge rules (DESIGN "Trust at the edge")', () => {
    it.each(['1', '00123', 'A001', 'x'.repeat(24)])('takes the PIN %j', (pin) => {
      expect(normalizePunch({ ...raw, pin }, ctx)).toMatchObject({ kind: 'ok', punch: { pin } });
    });

    it.each([
      ['25 characters', '1'.repeat(25)],
      ['a zero-width space', '00123\u200b'],
      ['an RTL override', '\u202e00123'],
      ['a Greek omicron', '\u03bf0123'],
      ['markup', '<b>1</b>'],
      ['a control character', '001\u000123'],
    ])('quarantines a PIN with %s as pin-invalid, under the id of the PIN as sent', (_what, pin) => {
      const outcome = normalizePunch({ ...raw, pin }, ctx);
      expect(outcome).toEqual({ kind: 'quarantined', reason: 'pin-invalid', id: punchId({ serial: 'CQZ7232260123', pin, localTime: raw.localTime, state: raw.state, verify: raw.verify }) });
    });

    it('uses the NFC form of a PIN for punch/v1 and the id: the Kelvin sign U+212A is K', () => {
      const outcome = normalizePunch({ ...raw, pin: '\u212a1001' }, ctx);
      expect(outcome).toMatchObject({ kind: 'ok', punch: { pin: 'K1001', id: punchId({ serial: 'CQZ7232260123', pin: 'K1001', localTime: raw.localTime, state: raw.state, verify: raw.verify }) } });
      const plain = normalizePunch({ ...raw, pin: 'K1001' }, ctx);
      expect(plain.kind === 'ok' && outcome.kind === 'ok' && plain.punch.id === outcome.punch.id).toBe(true);
    });

    it('quarantines a punch whose JSON would exceed 4 KiB as too-large, counting seq at its widest', () => {
      const fits = (n: number) => normalizePunch({ ...raw, raw: { extra: 'x'.repeat(n) } }, ctx);
      // the largest extra that still fits, found by bisection
      let low = 0;
      let high = MAX_PUNCH_JSON_BYTES;
      while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (fits(mid).kind === 'ok') low = mid;
        else high = mid - 1;
      }
      const largest = fits(low);
      expect(largest.kind).toBe('ok');
      if (largest.kind !== 'ok') return;
      expect(Buffer.byteLength(JSON.stringify({ ...largest.punch, seq: Number.MAX_SAFE_INTEGER }))).toBe(MAX_PUNCH_JSON_BYTES);
      expect(`${largest.json.open}1${largest.json.close}`).toBe(canonicalJson({ ...largest.punch, seq: 1 }));
      expect(fits(low + 1)).toEqual({ kind: 'quarantined', reason: 'too-large', id: largest.punch.id });
      // UTF-8 bytes, not characters: a 2-byte character where an ASCII one fitted
      expect(fits(low - 1).kind).toBe('ok');
      expect(normalizePunch({ ...raw, raw: { extra: `${'x'.repeat(low - 1)}é` } }, ctx).kind).toBe('quarantined');
    });

    it('takes device.address from the raw punch, else the device; null means none', () => {
      const withDevice = { ...ctx, device: { ...ctx.device, address: '192.168.1.201' } };
      expect(normalizePunch(raw, withDevice)).toMatchObject({ kind: 'ok', punch: { device: { address: '192.168.1.201' } } });
      expect(normalizePunch({ ...raw, address: '10.0.0.7' }, withDevice)).toMatchObject({ kind: 'ok', punch: { device: { address: '10.0.0.7' } } });
      const none = normalizePunch({ ...raw, address: null }, withDevice);
      expect(none.kind === 'ok' && 'address' in none.punch.device).toBe(false);
      const unconfigured = normalizePunch(raw, ctx);
      expect(unconfigured.kind === 'ok' && 'address' in unconfigured.punch.device).toBe(false);
    });
  });
});
