// The kiosk punch body decoder (drivers/kiosk/body.ts): pure, table-driven.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeKioskPunch, instantOf, MAX_PHOTO_BYTES } from '../../drivers/kiosk/body.js';

const JPEG = readFileSync(join(import.meta.dirname, 'fixtures', 'python.jpg'));
const TIME = '2026-01-19T07:31:05+07:00';

describe('instantOf', () => {
  it.each([
    ['2026-01-19T07:31:05+07:00', Date.UTC(2026, 0, 19, 0, 31, 5)],
    ['2026-01-19T00:31:05Z', Date.UTC(2026, 0, 19, 0, 31, 5)],
    ['2026-01-19T09:31:05.250+09:00', Date.UTC(2026, 0, 19, 0, 31, 5)],
    ['2026-01-18T20:01:05-04:30', Date.UTC(2026, 0, 19, 0, 31, 5)],
  ])('%s is one instant', (text, ms) => expect(instantOf(text)).toBe(ms));

  it.each(['2026-02-30T07:31:05+07:00', '2026-01-19T24:00:00Z', '2026-01-19T07:31+07:00', '2026-01-19T07:31:05', '2026-01-19 07:31:05+07:00'])('%s is refused', (text) =>
    expect(instantOf(text)).toBeUndefined(),
  );
});

describe('decodeKioskPunch', () => {
  it('takes the minimal body with the defaults', () => {
    expect(decodeKioskPunch({ pin: '00123', time: TIME })).toEqual({
      ok: true,
      punch: { pin: '00123', time: TIME, timeMs: Date.UTC(2026, 0, 19, 0, 31, 5), clockMs: Date.UTC(2026, 0, 19, 0, 31, 5), state: 'unknown', verify: 'password' },
    });
  });

  it('checks the clock on sentAt when a queued punch carries it', () => {
    const outcome = decodeKioskPunch({ pin: '1', time: TIME, sentAt: '2026-01-19T09:00:00+07:00', state: 'check-in', verify: 'face' });
    expect(outcome).toMatchObject({ ok: true, punch: { clockMs: Date.UTC(2026, 0, 19, 2, 0, 0), timeMs: Date.UTC(2026, 0, 19, 0, 31, 5), state: 'check-in', verify: 'face' } });
  });

  it('decodes a photo (plain base64 or a data URL) to its bytes', () => {
    for (const photo of [JPEG.toString('base64'), `data:image/jpeg;base64,${JPEG.toString('base64')}`]) {
      const outcome = decodeKioskPunch({ pin: '1', time: TIME, photo });
      expect(outcome.ok && Buffer.from(outcome.punch.photo ?? []).equals(JPEG)).toBe(true);
    }
  });

  it.each([
    ['not an object', 'text', 'kiosk-body'],
    ['an array', [], 'kiosk-body'],
    ['no pin', { time: TIME }, 'kiosk-body'],
    ['no time', { pin: '1' }, 'kiosk-body'],
    ['a time without offset', { pin: '1', time: '2026-01-19T07:31:05' }, 'kiosk-body'],
    ['a time that is no calendar time', { pin: '1', time: '2026-02-30T07:31:05+07:00' }, 'kiosk-body'],
    ['an unknown key', { pin: '1', time: TIME, name: 'Budi' }, 'kiosk-body'],
    ['an unknown state', { pin: '1', time: TIME, state: 'masuk' }, 'kiosk-body'],
    ['a time after sentAt', { pin: '1', time: TIME, sentAt: '2026-01-19T07:00:00+07:00' }, 'kiosk-body'],
    ['a device field', { pin: '1', time: TIME, device: 'kiosk-b' }, 'kiosk-device-claim'],
    ['a deviceId field', { pin: '1', time: TIME, deviceId: 'kiosk-b' }, 'kiosk-device-claim'],
    ['a serial field', { pin: '1', time: TIME, serial: 'X' }, 'kiosk-device-claim'],
    ['a PIN with a space', { pin: '00 123', time: TIME }, 'kiosk-pin'],
    ['a PIN of 25 characters', { pin: '1'.repeat(25), time: TIME }, 'kiosk-pin'],
    ['a PIN with an invisible character', { pin: '001\u200b23', time: TIME }, 'kiosk-pin'],
    ['a photo that is not base64', { pin: '1', time: TIME, photo: '***' }, 'kiosk-photo'],
    ['a photo that is a PNG', { pin: '1', time: TIME, photo: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64') }, 'kiosk-photo'],
    ['a photo over 200 KB', { pin: '1', time: TIME, photo: Buffer.concat([JPEG, Buffer.alloc(MAX_PHOTO_BYTES)]).toString('base64') }, 'kiosk-photo'],
  ])('refuses %s', (_name, body, reason) => {
    const outcome = decodeKioskPunch(body);
    expect(outcome).toMatchObject({ ok: false, reason });
  });

  it('never quotes the body in its message', () => {
    const outcome = decodeKioskPunch({ pin: '<script>alert(1)</script>', time: TIME });
    expect(outcome.ok).toBe(false);
    expect(JSON.stringify(outcome)).not.toContain('<script>');
  });
});
