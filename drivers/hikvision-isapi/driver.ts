// The hikvision-isapi Driver: one terminal, pulled (AcsEvent search every pollInterval), pushed
// to (HTTP host notification on the push listener), or both.
// Invariants:
// - The punch id's serial is settled before the first emit: the configured `serial`, else the
//   terminal's serialNumber from /ISAPI/System/deviceInfo; a push-only terminal without host or
//   serial uses the device id (context.ts). Pushed events wait (503) until it is settled.
// - Pull errors never end the driver: they go to status.lastError and the next poll tries again;
//   a refused password is GW_ERR_DEVICE_AUTH and retried only at the next poll (terminals lock
//   accounts after repeated failures).
// - Events that are not punches are counted in details.ignoredEvents, never as rejections.
// - A terminal offset that disagrees with the configured zone is logged once and shown in
//   details.zoneMismatchMin; clockSkewSec comes from /ISAPI/System/time when it answers.
// - Nothing keeps running after `stop()` resolves: the poll loop and in-flight pushes are awaited.
// - Pushed events reach it only through /hikvision/<device id> (the listener's hikvision route),
//   from the addresses pushTrust.ts admits.
import type { Driver, DriverContext } from '../../src/devices/driver.js';
import { PollLoop } from '../../src/devices/pollLoop.js';
import { pathTerminalKey, type PushReply, type PushRequest, type PushTerminal } from '../../src/devices/push.js';
import { deviceZone, resolveLocalTime } from '../../src/punch/time.js';
import { GatewayError, codeOf, errorMessage } from '../../src/util/errors.js';
import { LogLimiter } from '../../src/util/logLimiter.js';
import { IsapiClient } from './client.js';
import { decodeDeviceInfo, decodeDeviceTime, epochOf, type DeviceInfo } from './codec.js';
import type { HikvisionConfig } from './config.js';
import { handlePush } from './push.js';
import type { MappingConfig } from './punches.js';
import { HikPushTrust } from './pushTrust.js';
import { syncEvents, type AcsSyncResult } from './sync.js';
import { ISAPI_PATHS } from './tables.js';

export class HikvisionDriver implements Driver, PushTerminal {
  readonly route = 'hikvision' as const;
  /** push listener routing key: /hikvision/<device id> */
  readonly serial: string;
  readonly deviceId: string;
  readonly client: IsapiClient | undefined;
  readonly pushTrust: HikPushTrust;
  private readonly mapping: MappingConfig;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();
  private unregister: (() => void) | undefined;
  private loop: PollLoop | undefined;
  private identified = false;
  private ignoredEvents = 0;
  private zoneMismatchMin = 0;
  private stopped = false;
  /** one line per push would follow a flood of pushes: a few lines and a count */
  private readonly warnings: LogLimiter;

  constructor(
    private readonly cfg: HikvisionConfig,
    private readonly ctx: DriverContext,
  ) {
    this.serial = pathTerminalKey('hikvision', ctx.deviceId);
    this.deviceId = ctx.deviceId;
    this.pushTrust = new HikPushTrust(cfg);
    this.warnings = new LogLimiter(ctx.log);
    const zone = deviceZone(cfg);
    this.mapping = { zone, timeFrom: cfg.timeFrom, minorMap: cfg.minorMap, verifyModeMap: cfg.verifyModeMap, stateMap: cfg.stateMap };
    const signal = AbortSignal.any([ctx.signal, this.abort.signal]);
    this.client = cfg.host && cfg.password !== undefined
      ? new IsapiClient({ host: cfg.host, port: cfg.port, username: cfg.username, password: cfg.password, timeoutMs: cfg.timeout, signal })
      : undefined;
  }

  async start(): Promise<void> {
    if (this.cfg.push) {
      if (!this.ctx.push) throw new Error('hikvision-isapi push needs the push listener (pushListener.listen); none in this context');
      this.unregister = this.ctx.push.register(this);
    }
    if (this.cfg.serial) {
      this.identified = true;
      this.ctx.status.update({ serial: this.cfg.serial });
    } else if (!this.client) this.identified = true; // push only: the device id is the serial
    this.ctx.status.update({ online: false, details: { pull: this.cfg.pull, push: this.cfg.push, pushPath: this.cfg.push ? `/${this.serial}` : undefined } });
    if (this.cfg.pull) {
      this.loop = new PollLoop({
        poll: () => this.syncOnce().then(() => undefined),
        intervalMs: this.cfg.pollInterval,
        retryDelayMs: () => this.cfg.pollInterval,
        onError: (error) => {
          const code = error instanceof GatewayError ? error.code : 'GW_ERR_DEVICE_PROTOCOL';
          this.ctx.log.warn({ code, err: errorMessage(error) }, 'hikvision event search failed; next poll tries again');
          this.ctx.status.update({ online: code !== 'GW_ERR_DEVICE_UNREACHABLE' && code !== 'GW_ERR_DEVICE_TIMEOUT', lastError: { code, message: errorMessage(error) } });
        },
      });
      this.loop.start(AbortSignal.any([this.ctx.signal, this.abort.signal]));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unregister?.();
    this.unregister = undefined;
    this.abort.abort();
    await this.loop?.stop();
    await Promise.allSettled([...this.inFlight]);
    this.warnings.flush();
  }

  knowsAddress(address: string): boolean {
    return this.cfg.push && this.pushTrust.knowsAddress(address);
  }

  handle(request: PushRequest): Promise<PushReply> {
    if (this.stopped) return Promise.resolve({ status: 503, body: 'ERROR: stopping' });
    const work = handlePush(request, {
      ctx: this.ctx,
      mapping: this.mapping,
      trust: this.pushTrust,
      identityReady: () => this.identityReady(),
      onMapped: (o) => this.noteMapped(o),
    }).then((reply) => {
      if (reply.status === 200) this.ctx.status.update({ online: true, details: { ignoredEvents: this.ignoredEvents } });
      return reply;
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  /** Read deviceInfo once; resolves with the identity (and reports it before any emit). */
  async identify(): Promise<DeviceInfo> {
    if (!this.client) throw new Error('hikvision-isapi: no host configured');
    const info = decodeDeviceInfo((await this.client.get(ISAPI_PATHS.deviceInfo)).text);
    const serial = this.cfg.serial ?? info.serial;
    this.ctx.status.update({
      ...(serial ? { serial } : {}),
      ...(info.model ? { model: info.model } : {}),
      ...(info.firmware ? { firmware: info.firmware } : {}),
      details: { deviceName: info.deviceName, macAddress: info.macAddress, deviceType: info.deviceType, ...(this.cfg.serial && info.serial && info.serial !== this.cfg.serial ? { reportedSerial: info.serial } : {}) },
    });
    this.identified = true;
    return info;
  }

  /** One search now (also what the poll loop runs). */
  async syncOnce() {
    if (!this.client) throw new Error('hikvision-isapi: no host configured');
    if (!this.identified) await this.identify();
    await this.measureClock();
    const result = await syncEvents({ client: this.client, ctx: this.ctx, mapping: this.mapping, pageSize: this.cfg.pageSize, lookbackMs: this.cfg.lookback, onMapped: (o) => this.noteMapped(o) });
    this.ctx.status.seen();
    this.ctx.status.update({ online: true, lastError: null, details: { ignoredEvents: this.ignoredEvents, lastSearch: { pages: result.pages, events: result.events, punches: result.punches, inserted: result.inserted } } });
    return result;
  }

  /** `pull`: the identity, the clock, then one search from `fromMs` that moves no cursor (sync.ts backfill mode). */
  async backfill(fromMs: number, onPage?: (done: number, total: number) => void): Promise<AcsSyncResult & { serial?: string }> {
    if (!this.client) throw new GatewayError('GW_ERR_CONFIG_INVALID', 'hikvision-isapi: no host configured');
    const info = await this.identify();
    await this.measureClock();
    const result = await syncEvents({ client: this.client, ctx: this.ctx, mapping: this.mapping, pageSize: this.cfg.pageSize, lookbackMs: this.cfg.lookback, backfillFromMs: fromMs, onPage, onMapped: (o) => this.noteMapped(o) });
    return { ...result, serial: this.cfg.serial ?? info.serial };
  }

  private async identityReady(): Promise<boolean> {
    if (this.identified) return true;
    try {
      await this.identify();
      return true;
    } catch (error) {
      this.warnings.warn('identity', { code: codeOf(error, 'GW_ERR_DEVICE_IDENTITY'), err: errorMessage(error) }, 'pushed event waits: terminal serial not readable yet');
      return false;
    }
  }

  private async measureClock(): Promise<void> {
    try {
      const { localTime } = decodeDeviceTime((await this.client!.get(ISAPI_PATHS.time)).text);
      const epochMs = epochOf(localTime) ?? resolveLocalTime(localTime.wall, this.mapping.zone)?.epochMs;
      if (epochMs !== undefined) this.ctx.status.update({ clockSkewSec: Math.round((epochMs - Date.now()) / 1000) });
    } catch (error) {
      if (this.abort.signal.aborted) throw error;
      this.ctx.log.debug({ err: errorMessage(error) }, 'terminal clock not readable (/ISAPI/System/time); skew unknown');
    }
  }

  private noteMapped(o: { zoneMismatchMin?: number; ignored?: string }): void {
    if (o.ignored !== undefined) this.ignoredEvents += 1;
    if (o.zoneMismatchMin === undefined || o.zoneMismatchMin === this.zoneMismatchMin) return;
    this.zoneMismatchMin = o.zoneMismatchMin;
    this.ctx.status.update({ details: { zoneMismatchMin: o.zoneMismatchMin } });
    if (o.zoneMismatchMin !== 0) {
      this.ctx.log.warn({ code: 'GW_ERR_DEVICE_CLOCK', zoneMismatchMin: o.zoneMismatchMin, zone: this.mapping.zone, timeFrom: this.cfg.timeFrom }, 'terminal time offset differs from the configured zone; set the terminal time zone (or timeFrom)');
    }
  }
}
