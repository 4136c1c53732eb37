// Device wall time + IANA zone → an instant. Terminals store naive local time; the zone comes from
// config (the device's own, else the gateway's), never from the host the gateway runs on.
// Invariants:
// - Pure: the result depends only on (localTime, zone), using the ICU zone data of Node.
// - A wall time that occurs twice (DST fall-back) maps to the earlier instant; one that does not
//   exist (DST spring-forward gap) is shifted forward by the gap, like Temporal's 'compatible'
//   disambiguation. Indonesian zones have no DST, so this only matters for foreign zones.
import { LOCAL_TIME_PATTERN } from '../punch/punch.js';

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

/** Parses `YYYY-MM-DDTHH:mm:ss`; undefined when malformed or not a real calendar time. */
export function parseLocalTime(localTime: string): WallTime | undefined {
  if (!LOCAL_TIME_PATTERN.test(localTime)) return undefined;
  const wall: WallTime = {
    year: Number(localTime.slice(0, 4)),
    month: Number(localTime.slice(5, 7)),
    day: Number(localTime.slice(8, 10)),
    hour: Number(localTime.slice(11, 13)),
    minute: Number(localTime.slice(14, 16)),
    second: Number(localTime.slice(17, 19)),
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

/** `2026-01-01` or `2026-01-01T07:00[:ss]` (a `--since` or `importSince`) → `YYYY-MM-DDTHH:mm:ss`, the start of that day or minute. */
export function fullLocalTime(dateOrDateTime: string): string {
  if (dateOrDateTime.length === 10) return `${dateOrDateTime}T00:00:00`;
  if (dateOrDateTime.length === 16) return `${dateOrDateTime}:00`;
  return dateOrDateTime;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(value: number, width = 2): string {
  return String(Math.abs(value)).padStart(width, '0');
}

export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.trunc(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
}

/** `YYYY-MM-DDTHH:mm:ssZ` (no milliseconds) for an instant. */
export function formatUtc(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
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
  const steady = steadyOffsetOn(zone, localTime.slice(0, 10), wallAsUtc);
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

/**
 * The zone's offset on a calendar day when it is the same from the day before to the day after
 * (no transition near), else undefined. Cached: punches come in runs of the same few days, and
 * formatToParts costs microseconds.
 */
function steadyOffsetOn(zone: string, date: string, wallAsUtc: number): number | undefined {
  const key = `${zone}|${date}`;
  let offset = steadyOffsets.get(key);
  if (offset === undefined) {
    const dayStart = wallAsUtc - (wallAsUtc % 86_400_000);
    const probes = [-86_400_000, 0, 86_400_000, 2 * 86_400_000].map((delta) => zoneOffsetMinutes(zone, dayStart + delta));
    offset = probes.every((p) => p === probes[0]) ? (probes[0] as number) : null;
    if (steadyOffsets.size >= STEADY_CACHE_LIMIT) steadyOffsets.clear();
    steadyOffsets.set(key, offset);
  }
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
