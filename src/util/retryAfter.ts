// `Retry-After` (RFC 9110 §10.2.3): either delta-seconds or an HTTP-date.
// Invariants:
// - Pure: the caller passes "now", so the result never depends on the host clock or time zone.
// - Returns milliseconds to wait (≥ 0, whole), or undefined when the header is absent or not one of
//   the forms below; a date in the past means "no wait" (0). Never throws on hostile input.
// - HTTP-date accepts the three forms RFC 9110 §5.6.7 tells recipients to accept (IMF-fixdate,
//   RFC 850, asctime), all in GMT; `Date.parse` is not used because it guesses (local time for
//   asctime, "1" as the year 2001).
// - delta-seconds is `1*DIGIT`; a decimal fraction ("1.5") is tolerated because some servers send it.

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;
/** Sun, 06 Nov 1994 08:49:37 GMT */
const IMF_FIXDATE = /^[a-z]{3}, (\d{1,2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
/** Sunday, 06-Nov-94 08:49:37 GMT */
const RFC_850 = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
/** Sun Nov  6 08:49:37 1994 */
const ASCTIME = /^[a-z]{3} ([a-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

interface DateParts {
  year: number;
  month: string;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (DELTA_SECONDS.test(text)) {
    const ms = Math.ceil(Number(text) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const atMs = parseHttpDate(text, nowMs);
  if (atMs === undefined) return undefined;
  return Math.max(0, Math.ceil(atMs - nowMs));
}

/** An HTTP-date as epoch milliseconds, or undefined; `nowMs` only places RFC 850 two-digit years. */
export function parseHttpDate(text: string, nowMs: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) return toEpochMs(fromGroups(match[3], match[2], match[1], match.slice(4, 7)));
  match = RFC_850.exec(text);
  if (match) return toEpochMs(fromGroups(twoDigitYear(match[3], nowMs), match[2], match[1], match.slice(4, 7)));
  match = ASCTIME.exec(text);
  if (match) return toEpochMs(fromGroups(match[6], match[1], match[2], match.slice(3, 6)));
  return undefined;
}

function fromGroups(year: string | number | undefined, month: string | undefined, day: string | undefined, hms: (string | undefined)[]): DateParts {
  return {
    year: Number(year),
    month: (month ?? '').toLowerCase(),
    day: Number(day),
    hour: Number(hms[0]),
    minute: Number(hms[1]),
    second: Number(hms[2]),
  };
}

/** RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century. */
function twoDigitYear(yy: string | undefined, nowMs: number): number {
  const year = 2000 + Number(yy);
  return year > new Date(nowMs).getUTCFullYear() + 50 ? year - 100 : year;
}

function toEpochMs(p: DateParts): number | undefined {
  const month = MONTHS[p.month];
  if (month === undefined) return undefined;
  if (p.day < 1 || p.day > 31 || p.hour > 23 || p.minute > 59 || p.second > 60) return undefined;
  const ms = Date.UTC(p.year, month, p.day, p.hour, p.minute, Math.min(p.second, 59));
  // reject 31 Feb and the like instead of letting Date.UTC roll over into the next month
  if (new Date(ms).getUTCDate() !== p.day) return undefined;
  return ms;
}
