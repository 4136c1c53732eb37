// Runs one driver per enabled device and keeps it running.
// Invariants:
// - A driver that throws from create/start, or calls ctx.fail, is stopped and replaced by a fresh
//   instance after an exponential backoff (restartMinMs … restartMaxMs); nothing a driver does can
//   take the daemon down.
// - Every instance gets its own AbortSignal, aborted when it is replaced or the supervisor stops.
// - `stop` resolves when every driver's stop() resolved or `timeoutMs` passed.
// - After `stopAll`, `add` starts nothing (a config reload racing a shutdown cannot revive a device).
import type { Logger } from 'pino';
import { backoffDelayMs } from '../util/backoff.js';
import { codeOf, errorMessage } from '../util/errors.js';
import type { Metrics } from '../util/metrics.js';
import type { DeviceStates } from './deviceState.js';
import type { BaseDeviceConfig, Driver, DriverContext } from './driver.js';
import type { AnyDriverDefinition } from './definition.js';

export interface SupervisorOptions {
  factories: readonly AnyDriverDefinition[];
  states: DeviceStates;
  log: Logger;
  metrics: Metrics;
  /** builds the context of one driver instance */
  makeContext(device: BaseDeviceConfig, signal: AbortSignal, onFail: (error: Error) => void, log: Logger): DriverContext;
  restartMinMs?: number;
  restartMaxMs?: number;
}

interface Running {
  device: BaseDeviceConfig;
  driver: Driver | undefined;
  abort: AbortController;
  attempt: number;
  restartTimer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

export class DeviceSupervisor {
  private readonly options: SupervisorOptions;
  private readonly running = new Map<string, Running>();
  private closed = false;

  constructor(options: SupervisorOptions) {
    this.options = options;
  }

  /**
   * Starts every enabled device; returns without waiting for devices to connect. The drivers'
   * code is loaded first, so each driver has started (a push terminal is registered with the
   * listener) when this resolves.
   */
  async startAll(devices: BaseDeviceConfig[]): Promise<void> {
    const needed = new Set(devices.filter((d) => d.enabled).map((d) => d.driver));
    const lazy = this.options.factories.filter((f) => needed.has(f.protocol) && f.load && !f.loaded);
    // a driver that cannot load fails at launch, like any driver that cannot start
    await Promise.allSettled(lazy.map((f) => f.load?.()));
    for (const device of devices) this.add(device);
  }

  add(device: BaseDeviceConfig): void {
    if (this.closed) return;
    this.options.states.register(device.id, device.driver, device.enabled, device.serial);
    if (!device.enabled) return;
    const entry: Running = { device, driver: undefined, abort: new AbortController(), attempt: 0, restartTimer: undefined, stopped: false };
    this.running.set(device.id, entry);
    void this.launch(entry);
  }

  driverOf(deviceId: string): Driver | undefined {
    return this.running.get(deviceId)?.driver;
  }

  private async launch(entry: Running): Promise<void> {
    const { device } = entry;
    const log = this.options.log.child({ device: device.id, driver: device.driver });
    const factory = this.options.factories.find((f) => f.protocol === device.driver);
    if (!factory) {
      this.options.states.update(device.id, { online: false, lastError: { code: 'GW_ERR_DRIVER_UNKNOWN', message: `no driver "${device.driver}" in this build` } });
      log.error({ code: 'GW_ERR_DRIVER_UNKNOWN' }, 'unknown driver; device not started');
      return;
    }
    entry.abort = new AbortController();
    const signal = entry.abort.signal;
    let failed = false;
    const onFail = (error: Error): void => {
      if (failed || signal.aborted || entry.stopped) return;
      failed = true;
      void this.restart(entry, error, log);
    };
    try {
      const ctx = this.options.makeContext(device, signal, onFail, log);
      if (factory.load && !factory.loaded) {
        await factory.load();
        if (entry.stopped || signal.aborted) return;
      }
      entry.driver = factory.create(device, ctx);
      await entry.driver.start();
      if (!failed) log.info('driver started');
    } catch (error) {
      onFail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async restart(entry: Running, error: Error, log: Logger): Promise<void> {
    const delayMs = backoffDelayMs(entry.attempt, { baseMs: this.options.restartMinMs ?? 1000, maxMs: this.options.restartMaxMs ?? 300_000 });
    entry.attempt += 1;
    log.error({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error, restartInMs: delayMs, attempt: entry.attempt }, 'driver failed; restarting');
    this.options.states.restarted(entry.device.id, { code: codeOf(error, 'GW_ERR_INTERNAL'), message: errorMessage(error) });
    this.options.metrics.driverRestarts.inc({ device: entry.device.id });
    await this.stopInstance(entry, log);
    if (entry.stopped) return;
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined;
      if (!entry.stopped) void this.launch(entry);
    }, delayMs);
  }

  private async stopInstance(entry: Running, log: Logger): Promise<void> {
    entry.abort.abort();
    const driver = entry.driver;
    entry.driver = undefined;
    if (!driver) return;
    try {
      await driver.stop();
    } catch (error) {
      log.warn({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error }, 'driver stop failed');
    }
  }

  /** Resets the backoff of a device once it works again (a driver may call this via status). */
  markHealthy(deviceId: string): void {
    const entry = this.running.get(deviceId);
    if (entry) entry.attempt = 0;
  }

  async remove(deviceId: string, timeoutMs = 10_000): Promise<void> {
    const entry = this.running.get(deviceId);
    this.running.delete(deviceId);
    this.options.states.unregister(deviceId);
    if (!entry) return;
    entry.stopped = true;
    clearTimeout(entry.restartTimer);
    await withTimeout(this.stopInstance(entry, this.options.log.child({ device: deviceId })), timeoutMs);
  }

  async stopAll(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    const entries = [...this.running.values()];
    for (const entry of entries) {
      entry.stopped = true;
      clearTimeout(entry.restartTimer);
    }
    await withTimeout(Promise.all(entries.map((e) => this.stopInstance(e, this.options.log.child({ device: e.device.id })))), timeoutMs);
  }
}

async function withTimeout(task: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([task, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
