import { describe, expect, it } from 'vitest';
import { normalizePunch, type NormalizeContext } from '../../src/punch/normalize.js';
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

  it.each([
    [{ localTime: '1999-12-31T23:59:59' }, 'quarantined', 'time-before-2000'],
    [{ localTime: '2000-01-01T00:00:00' }, 'ok', undefined],
    [{ localTime: '2026-01-21T07:31:05' }, 'quarantined', 'time-in-future'],
    [{ localTime: '2026-01-20T07:31:05' }, 'ok', undefined],
    [{ pin: '' }, 'invalid', undefined],
    [{ pin: 'a|b' }, 'invalid', undefined],
    [{ state: 'lunch' }, 'invalid', undefined],
    [{ localTime: '2026-02-30T00:00:00' }, 'invalid', undefined],
  ])('%o → %s', (change, kind, reason) => {
    const outcome = normalizePunch({ ...raw, ...change } as never, ctx);
    expect(outcome.kind).toBe(kind);
    if (reason) expect(outcome).toMatchObject({ reason });
  });
});
