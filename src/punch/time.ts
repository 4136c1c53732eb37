// Device wall time + IANA zone → an instant, and the wall-clock arithmetic of terminal clocks
// (skew, shifting a wall time). Terminals store naive local time; the zone comes from config (the
// device's own, else the gateway's), never from the host the gateway runs on.
// Invariants:
// - Pure: the result depends only on the arguments (wall time, zone, instant), using the ICU zone
//   data of Node. A wall time is read in a zone with Intl, never through a JS Date in the host zone.
// - Skew compares two wall times in the same zone, so it is exact except across a DST change
//   (Indonesian zones have none).
// - A wall time that occurs twice (DST fall-back) maps to the earlier instant; one that does not
//   exist (DST spring-forward gap) is shifted forward by the gap, like Temporal's 'compatible'
//   disambiguation. Indonesian zones have no DST, so this only matters for foreign zones.
import { LOCAL_TIME_PATTERN } from '../punch/punch.js';

/**
 * The zone of `gateway.timezone` when the config names none (WIB), and so of a device config that
 * reaches a driver without a zone: the gateway fills every device's zone before a driver sees it
 * (gateway.ts at start and reload, cli/pullWiring.ts); only a driver built directly (tests) lacks one.
 */
export const DEFAULT_ZONE = 'Asia/Jakarta';

/** The zone a driver reads its terminal's clock in: the device's own, else DEFAULT_ZONE. */
export function deviceZone(device: { timezone?: string }): string {
  return device.timezone ?? DEFAULT_ZONE;
}

export interface ZonedTime {
  /** `YYYY-MM-DDTHH:mm:ss±HH:MM` */
  time: string;
  /** `YYYY-MM-DDTHH:mm:ssZ` */
  utc: string;
  epochMs: number;
  offsetMinutes: number;
}

/** A calendar date and time of day with no zone, as terminals keep it. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Offset of `zone` from UTC at the instant `epochMs`, in minutes (east positive). */
export function zoneOffsetMinutes(zone: string, epochMs: number): number {
  const parts = formatterFor(zone).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const wallAsUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const wholeSecondsMs = Math.floor(epochMs / 1000) * 1000;
  return Math.round((wallAsUtc - wholeSecondsMs) / 60_000);
}

/** The wall time in `zone` at the instant `epochMs`. */
export function wallTimeIn(zone: string, epochMs: number): WallTime {
  const parts = formatterFor(zone).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** Seconds since an arbitrary epoch, treating the wall time as if it were UTC (zone-free arithmetic). */
export function wallSeconds(t: WallTime): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) / 1000;
}

/** Inverse of `wallSeconds`. */
export function wallFromSeconds(seconds: number): WallTime {
  const d = new Date(seconds * 1000);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
  };
}

/**
 * A terminal clock further off than this (either way) is shown as a problem (status page). Work
 * hours are judged to the minute (late from 07:31), so a clock a minute or more off can put a
 * punch on the wrong side of that line; less is the drift a terminal gathers between two settings.
 * It is not the threshold a driver sets a clock at (EasyLink: 2 s): that one corrects quietly.
 */
export const CLOCK_SKEW_WARN_SEC = 60;

/** WIB, WITA, WIT (Keppres 41/1987) by IANA zone; a zone not here is shown by its UTC offset. */
export const ZONE_ABBREVIATIONS: Readonly<Record<string, { abbreviation: string; offset: string }>> = {
  'Asia/Jakarta': { abbreviation: 'WIB', offset: '+07:00' },
  'Asia/Pontianak': { abbreviation: 'WIB', offset: '+07:00' },
  'Asia/Makassar': { abbreviation: 'WITA', offset: '+08:00' },
  'Asia/Ujung_Pandang': { abbreviation: 'WITA', offset: '+08:00' },
  'Asia/Jayapura': { abbreviation: 'WIT', offset: '+09:00' },
};

/** `WIB` for a time of an Indonesian zone at its offset, else the time's own offset (`UTC+08:00`); '' without either. */
export function zoneLabel(zone: string | undefined, time?: string): string {
  const offset = time === undefined ? undefined : /([+-]\d\d:\d\d|Z)$/.exec(time)?.[1];
  const known = zone === undefined ? undefined : ZONE_ABBREVIATIONS[zone];
  if (known && (offset === undefined || offset === known.offset)) return known.abbreviation;
  if (offset !== undefined) return offset === 'Z' ? 'UTC' : `UTC${offset}`;
  return zone ?? '';
}

/** Device clock minus gateway clock, in seconds, both read as wall times in the device zone. */
export function clockSkewSec(device: WallTime, zone: string, nowMs: number): number {
  return wallSeconds(device) - wallSeconds(wallTimeIn(zone, nowMs));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DDTHH:mm:ss` of a wall time (the year padded to 4 digits). */
export function formatWallTime(t: WallTime): string {
  return `${String(t.year).padStart(4, '0')}-${pad2(t.month)}-${pad2(t.day)}T${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)}`;
}

/** `YYYY-MM-DDTHH:mm:ss` → parts, not checked against the calendar (see parseLocalTime); undefined when malformed. */
export function parseWallTime(text: string): WallTime | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return { year, month, day, hour, minute, second };
}

/** Parses `YYYY-MM-DDTHH:mm:ss`; undefined when malformed or not a real calendar time. */
export function parseLocalTime(localTime: string): WallTime | undefined {
  if (!LOCAL_TIME_PATTERN.test(localTime)) return undefined;
  // the pattern admits ASCII digits only: read them as numbers where they stand (every punch passes here)
  const wall: WallTime = {
    year: digitsAt(localTime, 0, 4),
    month: digitsAt(localTime, 5, 2),
    day: digitsAt(localTime, 8, 2),
    hour: digitsAt(localTime, 11, 2),
    minute: digitsAt(localTime, 14, 2),
    second: digitsAt(localTime, 17, 2),
  };
  const real =
    wall.month >= 1 &&
    wall.month <= 12 &&
    wall.day >= 1 &&
    wall.day <= daysInMonth(wall.year, wall.month) &&
    wall.hour <= 23 &&
    wall.minute <= 59 &&
    wall.second <= 59;
  return real ? wall : undefined;
}

/** The number the `count` ASCII digits of `text` from `from` write. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let at = from; at < from + count; at++) value = value * 10 + text.charCodeAt(at) - 48;
  return value;
}

/**
 * `2026-01-01` or `2026-01-01T07:00[:ss]` (a `--since`, `importSince`, a backfill's since/until) →
 * `YYYY-MM-DDTHH:mm:ss`: the start of that day or minute, or with `end` its last second.
 */
export function fullLocalTime(dateOrDateTime: string, end = false): string {
  if (dateOrDateTime.length === 10) return `${dateOrDateTime}T${end ? '23:59:59' : '00:00:00'}`;
  if (dateOrDateTime.length === 16) return `${dateOrDateTime}:${end ? '59' : '00'}`;
  return dateOrDateTime;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  // years 0–99 as before through Date, which reads them as 1900–1999 (0000-02-29 stays no date)
  if (year < 100) return new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month !== 2) return DAYS_IN_MONTH[month - 1] ?? 0;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

function pad(value: number, width = 2): string {
  return String(Math.abs(value)).padStart(width, '0');
}

export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.trunc(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
}

/** the hour formatUtc wrote last, as `YYYY-MM-DDTHH:` */
let utcHour = Number.NaN;
let utcHourText = '';

/**
 * `YYYY-MM-DDTHH:mm:ssZ` (no milliseconds) for an instant. Every punch is formatted here, in runs
 * of the same hour: the hour's text is kept, minutes and seconds written out (years 1970–9999;
 * any other instant through Date).
 */
export function formatUtc(epochMs: number): string {
  if (!(epochMs >= 0 && epochMs < 253_402_300_800_000)) return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
  const hour = Math.floor(epochMs / 3_600_000);
  if (hour !== utcHour) {
    utcHourText = new Date(hour * 3_600_000).toISOString().slice(0, 14);
    utcHour = hour;
  }
  const second = Math.floor((epochMs - hour * 3_600_000) / 1000);
  const m = Math.floor(second / 60);
  const s = second % 60;
  return `${utcHourText}${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}Z`;
}

/** Wall time of `epochMs` in `zone` as `YYYY-MM-DDTHH:mm:ss`. */
export function formatLocal(epochMs: number, offsetMinutes: number): string {
  return formatUtc(epochMs + offsetMinutes * 60_000).slice(0, 19);
}

/**
 * Resolves a device wall time in `zone` to an instant. Returns undefined for a malformed time.
 * The candidate offsets are those in force a day before and after; the first that maps back to
 * the same wall time wins (earliest instant), else the wall time is in a gap and moves forward.
 */
export function resolveLocalTime(localTime: string, zone: string): ZonedTime | undefined {
  const wall = parseLocalTime(localTime);
  if (!wall) return undefined;
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const steady = steadyOffsetOn(zone, localTime, wallAsUtc);
  if (steady !== undefined) {
    const epochMs = wallAsUtc - steady * 60_000;
    return { time: `${localTime}${formatOffset(steady)}`, utc: formatUtc(epochMs), epochMs, offsetMinutes: steady };
  }
  const before = zoneOffsetMinutes(zone, wallAsUtc - 86_400_000);
  const after = zoneOffsetMinutes(zone, wallAsUtc + 86_400_000);
  const candidates = [...new Set([before, after])].sort((a, b) => b - a);
  for (const offset of candidates) {
    const epochMs = wallAsUtc - offset * 60_000;
    if (zoneOffsetMinutes(zone, epochMs) === offset) return zoned(epochMs, offset);
  }
  // In a gap: interpret with the offset before the transition, then read the wall time back.
  const epochMs = wallAsUtc - before * 60_000;
  return zoned(epochMs, zoneOffsetMinutes(zone, epochMs));
}

const STEADY_CACHE_LIMIT = 10_000;
const steadyOffsets = new Map<string, number | null>();

/** the last day steadyOffsetOn answered: a run of punches asks about the same day */
let lastSteady: { zone: string; date: string; offset: number | null } = { zone: '', date: '', offset: null };

/**
 * The zone's offset on the calendar day of `localTime` when it is the same from the day before to
 * the day after (no transition near), else undefined. Cached: punches come in runs of the same few
 * days, and formatToParts costs microseconds.
 */
function steadyOffsetOn(zone: string, localTime: string, wallAsUtc: number): number | undefined {
  if (lastSteady.zone === zone && localTime.startsWith(lastSteady.date)) return lastSteady.offset ?? undefined;
  const date = localTime.slice(0, 10);
  const key = `${zone}|${date}`;
  let offset = steadyOffsets.get(key);
  if (offset === undefined) {
    const dayStart = wallAsUtc - (wallAsUtc % 86_400_000);
    const probes = [-86_400_000, 0, 86_400_000, 2 * 86_400_000].map((delta) => zoneOffsetMinutes(zone, dayStart + delta));
    offset = probes.every((p) => p === probes[0]) ? (probes[0] as number) : null;
    if (steadyOffsets.size >= STEADY_CACHE_LIMIT) steadyOffsets.clear();
    steadyOffsets.set(key, offset);
  }
  lastSteady = { zone, date, offset };
  return offset ?? undefined;
}

function zoned(epochMs: number, offsetMinutes: number): ZonedTime {
  return {
    time: `${formatLocal(epochMs, offsetMinutes)}${formatOffset(offsetMinutes)}`,
    utc: formatUtc(epochMs),
    epochMs,
    offsetMinutes,
  };
}
