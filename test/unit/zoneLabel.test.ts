// How the status page names a device's zone (src/punch/time.ts zoneLabel).
import { describe, expect, it } from 'vitest';
import { zoneLabel } from '../../src/punch/time.js';

describe('zoneLabel', () => {
  it.each([
    ['Asia/Jakarta', '2026-01-19T07:30:00+07:00', 'WIB'],
    ['Asia/Pontianak', undefined, 'WIB'],
    ['Asia/Makassar', '2026-01-19T08:30:00+08:00', 'WITA'],
    ['Asia/Jayapura', '2026-01-19T09:30:00+09:00', 'WIT'],
    ['Asia/Singapore', '2026-01-19T08:30:00+08:00', 'UTC+08:00'],
    ['Europe/Amsterdam', '2026-01-19T01:30:00Z', 'UTC'],
    ['Asia/Singapore', undefined, 'Asia/Singapore'],
  ])('%s at %s is %s', (zone, time, label) => {
    expect(zoneLabel(zone, time)).toBe(label);
  });

  it('trusts the time over the zone when they disagree (a punch kept from before a zone change)', () => {
    expect(zoneLabel('Asia/Jayapura', '2026-01-19T07:30:00+07:00')).toBe('UTC+07:00');
    expect(zoneLabel(undefined, '2026-01-19T07:30:00+07:00')).toBe('UTC+07:00');
    expect(zoneLabel(undefined)).toBe('');
  });
});
