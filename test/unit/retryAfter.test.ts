import { describe, expect, it } from 'vitest';
import { parseHttpDate, parseRetryAfter } from '../../src/util/retryAfter.js';

const NOW = Date.UTC(2026, 0, 19, 0, 30, 0); // Mon, 19 Jan 2026 00:30:00 GMT

describe('parseRetryAfter', () => {
  it.each<[string, string | undefined, number | undefined]>([
    ['absent', undefined, undefined],
    ['empty', '', undefined],
    ['blank', '   ', undefined],
    ['zero seconds', '0', 0],
    ['delta-seconds', '120', 120_000],
    ['delta-seconds with white space', ' 7 ', 7000],
    ['leading zeros', '007', 7000],
    ['decimal seconds (tolerated)', '1.5', 1500],
    ['negative', '-5', undefined],
    ['garbage', 'soon', undefined],
    ['number with unit', '5s', undefined],
    ['IMF-fixdate 90 s ahead', 'Mon, 19 Jan 2026 00:31:30 GMT', 90_000],
    ['IMF-fixdate, lower-case names', 'mon, 19 jan 2026 00:31:30 gmt', 90_000],
    ['IMF-fixdate in the past', 'Mon, 19 Jan 2026 00:29:00 GMT', 0],
    ['IMF-fixdate equal to now', 'Mon, 19 Jan 2026 00:30:00 GMT', 0],
    ['RFC 850 date', 'Monday, 19-Jan-26 01:30:00 GMT', 3_600_000],
    ['asctime date', 'Mon Jan 19 00:30:10 2026', 10_000],
    ['asctime, day padded with a space', 'Mon Feb  2 00:30:00 2026', 14 * 86_400_000],
    ['date without GMT', 'Mon, 19 Jan 2026 00:31:30', undefined],
    ['date with another zone', 'Mon, 19 Jan 2026 00:31:30 +0700', undefined],
    ['unknown month', 'Mon, 19 Foo 2026 00:31:30 GMT', undefined],
    ['impossible day', 'Sat, 31 Feb 2026 00:00:00 GMT', undefined],
    ['impossible hour', 'Mon, 19 Jan 2026 25:00:00 GMT', undefined],
    ['ISO 8601 is not an HTTP-date', '2026-01-19T00:31:30Z', undefined],
    ['a bare year is not a date (Date.parse would say 2001)', '1 2001', undefined],
  ])('%s: %j → %j', (_name, header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected);
  });

  it('reads a header written by Date#toUTCString', () => {
    const at = new Date(NOW + 45_000).toUTCString();
    expect(parseRetryAfter(at, NOW)).toBe(45_000);
  });
});

describe('parseHttpDate', () => {
  it('puts RFC 850 two-digit years more than 50 years ahead in the past century', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate('Thursday, 06-Nov-75 08:49:37 GMT', NOW)).toBe(Date.UTC(2075, 10, 6, 8, 49, 37));
  });

  it('reads the three forms of RFC 9110 §5.6.7 as the same instant', () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(expected);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(expected);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW)).toBe(expected);
  });
});
