// Is the gateway's own clock right? Punch `receivedAt`, quarantine's "too far in the future" and
// zk-tcp `syncClock` all trust it, so an unsynchronized host clock is warned about (log, metric
// `gateway_host_clock_synchronized`, device status details) and never copied to a terminal.
// src/clock is runtime code below its users: the gateway runs the monitor (clockMonitor.ts),
// drivers ask `isHostClockSynchronized` before they set a terminal's clock; it imports neither.
// Invariants:
// - A year before 2024 is unsynchronized whatever else says (an RTC that lost its battery).
// - `timedatectl show -p NTPSynchronized --value` (systemd-timedated; kernel STA_UNSYNC, so it
//   covers timesyncd, chrony and ntpd alike) decides when it answers yes/no. When timedatectl is
//   missing or cannot answer (no systemd as PID 1, D-Bus down) the state is "unknown": trusted for
//   syncClock when the year is plausible, reported as unknown rather than as a problem.
// - `isHostClockSynchronized()` is synchronous (drivers call it on a hot path): it reads the last
//   result, refreshed by `checkHostClock()` at gateway start and every CHECK_INTERVAL_MS.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const MIN_PLAUSIBLE_YEAR = 2024;
export const CHECK_INTERVAL_MS = 10 * 60_000;
const TIMEDATECTL_PATHS = ['/usr/bin/timedatectl', '/bin/timedatectl'];
const TIMEDATECTL_TIMEOUT_MS = 3_000;

export interface HostClockStatus {
  /** true: NTP synchronized; false: known bad; null: nobody could tell (year plausible) */
  synchronized: boolean | null;
  /** why, for logs and the status page */
  reason: 'ntp-synchronized' | 'ntp-unsynchronized' | 'year-implausible' | 'timedatectl-unavailable';
  checkedAt: string;
}

export interface HostClockProbe {
  nowMs?: () => number;
  /** runs `timedatectl show -p NTPSynchronized --value`; resolves its stdout, or undefined when unavailable */
  ntpSynchronized?: () => Promise<string | undefined>;
}

let latest: HostClockStatus | undefined;

/** Checks the host clock now and remembers the result for `isHostClockSynchronized`. */
export async function checkHostClock(probe: HostClockProbe = {}): Promise<HostClockStatus> {
  const nowMs = (probe.nowMs ?? Date.now)();
  const checkedAt = new Date(nowMs).toISOString();
  let status: HostClockStatus;
  if (new Date(nowMs).getUTCFullYear() < MIN_PLAUSIBLE_YEAR) {
    status = { synchronized: false, reason: 'year-implausible', checkedAt };
  } else {
    const answer = (await (probe.ntpSynchronized ?? runTimedatectl)())?.trim();
    if (answer === 'yes') status = { synchronized: true, reason: 'ntp-synchronized', checkedAt };
    else if (answer === 'no') status = { synchronized: false, reason: 'ntp-unsynchronized', checkedAt };
    else status = { synchronized: null, reason: 'timedatectl-unavailable', checkedAt };
  }
  latest = status;
  return status;
}

/**
 * Whether the host clock may be trusted right now (e.g. copied to a terminal): the year is
 * plausible and the last check did not find it unsynchronized.
 */
export function isHostClockSynchronized(nowMs: number = Date.now()): boolean {
  if (new Date(nowMs).getUTCFullYear() < MIN_PLAUSIBLE_YEAR) return false;
  return latest?.synchronized !== false;
}

/** The last check's result (undefined before the first). */
export function lastHostClockStatus(): HostClockStatus | undefined {
  return latest;
}

/** Forgets the last result (tests). */
export function resetHostClockStatus(): void {
  latest = undefined;
}

function runTimedatectl(): Promise<string | undefined> {
  const bin = TIMEDATECTL_PATHS.find((path) => existsSync(path));
  if (!bin) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(bin, ['show', '-p', 'NTPSynchronized', '--value'], { timeout: TIMEDATECTL_TIMEOUT_MS }, (error, stdout) => {
      resolve(error ? undefined : stdout);
    });
  });
}
