// Wall-clock arithmetic for terminal clocks: device times are naive local times (zk-standalone.md §4).
// Invariants:
// - A wall time is read in an IANA zone with Intl, never through a JS Date in the host zone.
// - Skew compares two wall times in the same zone, so it is exact except across a DST change
//   (Indonesian zones have none).
import { isHostClockSynchronized } from '../../src/clock/hostClock.js';
import { type WallTime } from './codec.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
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

/** Device clock minus gateway clock, in seconds, both read as wall times in the device zone. */
export function clockSkewSec(device: WallTime, zone: string, nowMs: number): number {
  return wallSeconds(device) - wallSeconds(wallTimeIn(zone, nowMs));
}

/**
 * Whether the gateway's own clock may be copied to a terminal (issue 3: only when the host clock is
 * synchronized): the year is plausible and timedatectl did not say unsynchronized
 * (src/clock/hostClock.ts).
 */
export function isHostClockTrusted(nowMs: number = Date.now()): boolean {
  return isHostClockSynchronized(nowMs);
}
