// The clock side of the driver seam: a running driver that can set its terminal's clock when asked
// (the `sync-clock` remote command, README "Remote commands"), besides its own `syncClock` option.
// Invariants:
// - `setClockNow` runs on the driver's own session, between its other requests (a terminal serves
//   one client at a time): it never opens a second connection.
// - The terminal is set to the gateway's wall time in the device zone only when the host clock is
//   trusted (src/clock/hostClock.ts); otherwise it rejects with GW_ERR_CLOCK_UNSYNCHRONIZED and
//   changes nothing. It rejects too when the terminal is not connected.

export interface ClockSetResult {
  /** device clock minus gateway clock before, seconds */
  skewBeforeSec: number;
  /** after (the same when nothing needed setting) */
  skewAfterSec: number;
  /** whether the terminal's clock was written (a skew under the driver's threshold is left alone) */
  set: boolean;
  /** the terminal's wall time after, `YYYY-MM-DDTHH:mm:ss` */
  deviceTime: string;
}

export interface ClockSetter {
  setClockNow(signal: AbortSignal): Promise<ClockSetResult>;
}

export function isClockSetter(driver: unknown): driver is ClockSetter {
  return typeof (driver as Partial<ClockSetter> | undefined)?.setClockNow === 'function';
}
