// The zk-soap Driver: polls one terminal's SOAP web service every pollInterval.
// Invariants:
// - One call at a time, one TCP connection per call (the terminal closes after each answer).
// - A failed poll marks the device offline with the error and is retried with backoff (capped
//   at pollInterval); it never advances the checkpoint (sync.ts) and never throws out of the driver.
// - The clock is measured (GetDate) each poll when the terminal answers it; SetDate only when
//   syncClock is on and the gateway clock is trusted (src/clock/hostClock.ts). The last reading,
//   taken just before GetAttLog, is the proof of the poll's watermark (sync.ts); a terminal that
//   does not answer GetDate proves none.
// - The punch-id serial is the configured `serial` (else the device id): SOAP offers no serial
//   that is certain on every firmware, and ids must not change between polls.
// - Nothing keeps running after `stop()` resolves.
import type { DeviceInfo, Driver, DriverContext } from '../../src/devices/driver.js';
import { PollLoop } from '../../src/devices/pollLoop.js';
import { codeOf, errorMessage } from '../../src/util/errors.js';
import { isHostClockSynchronized } from '../../src/clock/hostClock.js';
import { deviceZone, parseLocalTime, wallSeconds, wallTimeIn } from '../../src/punch/time.js';
import { SoapClient } from './client.js';
import { decodeDate } from './codec.js';
import type { ZkSoapConfig } from './config.js';
import { probeZkSoap } from './probe.js';
import { syncAttendance } from './sync.js';

const BACKOFF_MIN_MS = 1000;

export interface ClockReading {
  deviceTime: string;
  clockSkewSec: number;
}

export class ZkSoapDriver implements Driver {
  private readonly loop: PollLoop;
  private readonly zone: string;
  private readonly client: SoapClient;
  private clockUnsupportedLogged = false;

  constructor(
    private readonly cfg: ZkSoapConfig,
    private readonly ctx: DriverContext,
  ) {
    this.zone = deviceZone(cfg);
    this.client = SoapClient.forDevice(cfg);
    this.loop = new PollLoop({
      poll: () => this.pollOnce(),
      intervalMs: cfg.pollInterval,
      retryDelayMs: (attempt) => Math.min(cfg.pollInterval, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 10)),
      onError: (error, attempt) => {
        const code = codeOf(error, 'GW_ERR_DEVICE_PROTOCOL');
        this.ctx.status.update({ online: false, lastError: { code, message: errorMessage(error) } });
        this.ctx.log.warn({ code, err: errorMessage(error), attempt }, 'zk-soap poll failed; retrying');
      },
      onEnd: () => this.ctx.status.update({ online: false }),
    });
  }

  start(): Promise<void> {
    if (!this.loop.started && !this.ctx.signal.aborted) {
      this.ctx.status.update({ online: false, details: { variant: 'soap', port: this.cfg.port } });
      this.loop.start(this.ctx.signal);
    }
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  probe(): Promise<DeviceInfo> {
    return probeZkSoap({ host: this.cfg.host, port: this.cfg.port, commKey: this.cfg.commKey, timeoutMs: this.cfg.timeout, timeZone: this.zone, maxBodyBytes: this.cfg.maxBodyBytes }).then((r) => ({ ...r }));
  }

  /** One poll now (tests and `pull`): clock, then the log. */
  async pollOnce(): Promise<void> {
    const clock = await this.measureClock();
    const result = await syncAttendance({ client: this.client, ctx: this.ctx, cfg: this.cfg, signal: this.loop.signal, ...(clock ? { clockReading: clock.deviceTime } : {}) });
    this.ctx.status.seen();
    this.ctx.status.update({
      online: true,
      lastError: null,
      ...(clock ? { clockSkewSec: clock.clockSkewSec } : {}),
      details: { variant: 'soap', records: result.rows, ...(clock ? { deviceTime: clock.deviceTime } : { clock: 'not reported' }), cleared: result.cleared },
    });
    const level = result.emitted > 0 || result.rejected > 0 ? 'info' : 'debug';
    this.ctx.log[level]({ ...result }, 'zk-soap poll done');
  }

  /** GetDate → skew; SetDate when allowed. Undefined when the terminal does not report its time. */
  private async measureClock(): Promise<ClockReading | undefined> {
    const reading = await this.readClock();
    if (!reading || !this.canSetClock() || Math.abs(reading.clockSkewSec) < 1) return reading;
    const now = wallTimeIn(this.zone, Date.now());
    const pad = (n: number): string => String(n).padStart(2, '0');
    await this.client.call('SetDate', [
      { name: 'Date', value: `${now.year}-${pad(now.month)}-${pad(now.day)}`, type: 'string' },
      { name: 'Time', value: `${pad(now.hour)}:${pad(now.minute)}:${pad(now.second)}`, type: 'string' },
    ], this.loop.signal);
    const after = await this.readClock();
    this.ctx.log.info({ before: reading.clockSkewSec, after: after?.clockSkewSec }, 'zk-soap terminal clock set');
    return after ?? reading;
  }

  private async readClock(): Promise<ClockReading | undefined> {
    let deviceTime: string | undefined;
    try {
      deviceTime = decodeDate((await this.client.call('GetDate', [], this.loop.signal)).doc);
    } catch (error) {
      if ((error as { code?: string }).code === 'GW_ERR_DEVICE_UNREACHABLE' || (error as { code?: string }).code === 'GW_ERR_DEVICE_TIMEOUT') throw error;
      deviceTime = undefined;
      if (!this.clockUnsupportedLogged) this.ctx.log.info({ err: errorMessage(error) }, 'zk-soap terminal does not report its clock (GetDate); skew unknown');
    }
    const wall = deviceTime ? parseLocalTime(deviceTime) : undefined;
    if (!deviceTime || !wall) {
      this.clockUnsupportedLogged = true;
      return undefined;
    }
    return { deviceTime, clockSkewSec: wallSeconds(wall) - wallSeconds(wallTimeIn(this.zone, Date.now())) };
  }

  private canSetClock(): boolean {
    if (!this.cfg.syncClock) return false;
    if (isHostClockSynchronized()) return true;
    this.ctx.log.warn({ code: 'GW_ERR_CLOCK_UNSYNCHRONIZED' }, 'zk-soap syncClock is on but the gateway clock is not trusted; terminal clock left alone');
    return false;
  }
}
