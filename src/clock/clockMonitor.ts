// Watches the host clock for a running gateway (hostClock.ts says how it is judged).
// Invariants:
// - One check at start, then every `intervalMs`; the timer never keeps the process alive.
// - A warning with GW_ERR_CLOCK_UNSYNCHRONIZED is logged when the clock is found unsynchronized
//   and again at each check while it stays so (journald readers see it without scrolling back);
//   an info line when it recovers.
// - `gateway_host_clock_synchronized` is 1 (synchronized), 0 (not) or -1 (unknown), and every
//   device's status details carry `hostClock` so /api/devices and the status page show it.
import type { Logger } from 'pino';
import type { DeviceStates } from '../devices/deviceState.js';
import type { Metrics } from '../util/metrics.js';
import { CHECK_INTERVAL_MS, checkHostClock, type HostClockProbe, type HostClockStatus } from './hostClock.js';

export interface ClockMonitorOptions {
  log: Logger;
  metrics: Metrics;
  states: DeviceStates;
  intervalMs?: number;
  probe?: HostClockProbe;
  /** called when the verdict changes (e.g. to refresh the retained gateway status) */
  onChange?: (status: HostClockStatus) => void;
}

export class ClockMonitor {
  private readonly options: ClockMonitorOptions;
  private timer: NodeJS.Timeout | undefined;
  private status: HostClockStatus | undefined;

  constructor(options: ClockMonitorOptions) {
    this.options = options;
  }

  get latest(): HostClockStatus | undefined {
    return this.status;
  }

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(): Promise<HostClockStatus> {
    const { log, metrics } = this.options;
    const previous = this.status;
    const status = await checkHostClock(this.options.probe);
    this.status = status;
    metrics.hostClockSynchronized.set(status.synchronized === null ? -1 : status.synchronized ? 1 : 0);
    if (status.synchronized === false) {
      log.warn(
        { code: 'GW_ERR_CLOCK_UNSYNCHRONIZED', reason: status.reason, now: status.checkedAt },
        'host clock is not synchronized: punch receivedAt and quarantine checks depend on it; terminal clocks are not set from it (check NTP: timedatectl status)',
      );
    } else if (previous?.synchronized === false) {
      log.info({ reason: status.reason }, 'host clock synchronized again');
    }
    this.annotate();
    if (previous?.synchronized !== status.synchronized || previous?.reason !== status.reason) this.options.onChange?.(status);
    return status;
  }

  /** Puts the last result into every registered device's status details. */
  annotate(): void {
    const status = this.status;
    if (!status) return;
    for (const device of this.options.states.list()) {
      this.options.states.update(device.id, { details: { hostClock: { synchronized: status.synchronized, reason: status.reason, ...(status.synchronized === false ? { code: 'GW_ERR_CLOCK_UNSYNCHRONIZED' } : {}) } } });
    }
  }
}
