// The zk-tcp Driver: owns one terminal connection, reconnects with backoff, identifies the terminal,
// syncs on connect and every pollInterval, heartbeats while idle, and emits realtime punches.
// Invariants:
// - The serial is reported (status.update) before the first emit of every connection, so the core
//   computes punch ids from the right device identity.
// - One connection at a time (terminals serve one client: zk-standalone.md §3.7); on stop the
//   terminal gets CMD_EXIT before the socket closes.
// - A realtime punch is emitted at once; the next poll finds it in the log again and its id makes
//   it a duplicate. Realtime ids match log ids because fields the log layout lacks are blanked.
// - Nothing keeps running after `stop()` resolves.
// - `setClockNow` (the sync-clock remote command, src/devices/clockSetter.ts) is served on the
//   session's own connection at its next idle moment, never during a download; a request pending
//   when the session ends is rejected.
// - `borrowUsersSession` (UsersLender, src/devices/usersLender.ts) lends the session's own
//   connection to users work in the daemon at its next idle moment, never during a download: while
//   the loan is out the driver sends nothing of its own (realtime punches still arrive and are
//   emitted); a loan pending when the session ends is rejected, one out ends with the link.
// - A terminal refusing the comm key is counted (status.rejected comm-key) and shown as lastError
//   on every attempt; the driver keeps retrying with backoff and emits nothing. So is a size the
//   client refused to hold (ZkRefusal: zk-dataset-too-large, zk-chunk-overrun).
import type { ClockSetResult, ClockSetter } from '../../src/devices/clockSetter.js';
import type { DeviceInfo, Driver, DriverContext } from '../../src/devices/driver.js';
import { lentSession, type UsersLender } from '../../src/devices/usersLender.js';
import type { UsersSession } from '../../src/users/session.js';
import { IdleRequests } from './idleRequests.js';
import { zkUsersSessionOn } from './users.js';
import type { RawPunch } from '../../src/punch/punch.js';
import { deviceZone } from '../../src/punch/time.js';
import { spreadBackoffMs } from '../../src/util/backoff.js';
import { rejectionCode } from '../../src/util/catalogue.js';
import { GatewayError, codeOf, errorMessage } from '../../src/util/errors.js';
import { ZkClient, ZkRefusal } from './client.js';
import type { ZkRecord } from './codec.js';
import type { ZkTcpConfig } from './config.js';
import { detectRecordSize, identify, measureClock, readUsers, type DeviceFacts } from './device.js';
import { isHostClockSynchronized } from '../../src/clock/hostClock.js';
import { CHECKPOINT_KEY, syncAttendance, type AttlogCheckpoint } from './sync.js';
import { quirksFor, type ZkQuirks } from './models.js';
import { ATTLOG_LAYOUTS, EF } from './tables.js';

export interface ZkDriverTuning {
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_TUNING: ZkDriverTuning = { backoffMinMs: 1000, backoffMaxMs: 60_000 };

type Wake = 'stop' | 'disconnect' | 'timer' | 'clock' | 'loan';



export class ZkTcpDriver implements Driver, ClockSetter, UsersLender {
  private client: ZkClient | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wake: ((why: Wake) => void) | undefined;
  private realtimeChain: Promise<unknown> = Promise.resolve();
  private facts: DeviceFacts | undefined;
  /** platform|firmware of the unknown model last logged */
  private unknownModelNoted: string | undefined;
  private quirks: ZkQuirks;
  private readonly zone: string;
  /** aborted by stop() or by the context's signal */
  private readonly halt = new AbortController();
  private readonly clockRequests = new IdleRequests<ClockSetResult>();
  private readonly loanRequests = new IdleRequests<UsersSession>();

  constructor(
    private readonly cfg: ZkTcpConfig,
    private readonly ctx: DriverContext,
    private readonly tuning: ZkDriverTuning = DEFAULT_TUNING,
  ) {
    this.zone = deviceZone(cfg);
    this.quirks = quirksFor({}).quirks;
  }

  start(): Promise<void> {
    if (!this.loop) {
      if (this.ctx.signal.aborted) return Promise.resolve();
      this.ctx.signal.addEventListener('abort', () => void this.stop(), { once: true });
      this.loop = this.run();
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halt.abort();
    this.wake?.('stop');
    await this.client?.close();
    await this.loop;
    await this.realtimeChain;
  }

  /** Connects on its own (the driver need not be running), reads identity, counts, clock, users. */
  async probe(): Promise<DeviceInfo> {
    const client = this.newClient(false);
    await client.connect(this.ctx.signal);
    try {
      const facts = await identify(client);
      const clock = await measureClock(client, this.zone, false);
      const recordSize = await detectRecordSize(client, facts.sizes.records ?? 0);
      const users = await readUsers(client, facts.sizes.users ?? 0);
      return { ...identityOf(facts, this.cfg), ...clock, recordSize, sizes: facts.sizes, users: users.length, transport: this.cfg.transport };
    } finally {
      await client.close();
    }
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        await this.session(() => (attempt = 0));
      } catch (error) {
        if (this.stopped) break;
        // a refused comm key is bad input from the device's side: counted like any rejection
        if (error instanceof GatewayError && error.code === 'GW_ERR_DEVICE_AUTH') this.ctx.status.rejected('comm-key', error.message);
        if (error instanceof ZkRefusal) this.ctx.status.rejected(error.rejection, error.message);
        const code = codeOf(error, 'GW_ERR_DEVICE_UNREACHABLE');
        this.ctx.status.update({ online: false, lastError: { code, message: errorMessage(error) } });
        this.ctx.log.warn({ code, err: errorMessage(error), attempt }, 'zk session ended; reconnecting');
      }
      this.clockRequests.rejectAll(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the terminal connection ended before the clock was set'));
      this.loanRequests.rejectAll(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the terminal connection ended before its users session was free'));
      if (this.stopped) break; // stop() sends CMD_EXIT and closes the client itself
      await this.client?.destroy();
      this.client = undefined;
      if (this.stopped) break;
      await this.sleep(spreadBackoffMs(attempt++, { minMs: this.tuning.backoffMinMs, maxMs: this.tuning.backoffMaxMs }));
    }
    this.clockRequests.rejectAll(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the driver stopped before the clock was set'));
    this.loanRequests.rejectAll(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the driver stopped before its users session was free'));
    this.ctx.status.update({ online: false });
  }

  /** Sets the terminal clock to the gateway's at the session's next idle moment (ClockSetter). */
  setClockNow(signal: AbortSignal): Promise<ClockSetResult> {
    if (!this.client?.connected || this.stopped) return Promise.reject(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the terminal is not connected'));
    if (!isHostClockSynchronized()) return Promise.reject(new GatewayError('GW_ERR_CLOCK_UNSYNCHRONIZED', 'the gateway clock is not trusted (not NTP-synchronized); the terminal clock is left alone'));
    const result = this.clockRequests.add(signal);
    this.wake?.('clock');
    return result;
  }

  /** Lends this session's connection to users work at its next idle moment (UsersLender). */
  borrowUsersSession(signal: AbortSignal): Promise<UsersSession> {
    if (!this.client?.connected || this.stopped) return Promise.reject(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the terminal is not connected'));
    const loan = this.loanRequests.add(signal);
    this.wake?.('loan');
    return loan;
  }

  /** One loan: the borrower has the connection until it closes the session, aborts, or the link or driver stops. */
  private async serveLoan(client: ZkClient): Promise<void> {
    const request = this.loanRequests.take();
    if (!request) return;
    let session: UsersSession;
    try {
      session = await zkUsersSessionOn(client, { logger: this.ctx.log.child({ users: 'loan' }), signal: request.signal });
    } catch (error) {
      request.reject(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    let returned = false;
    const giveBack = (): void => {
      returned = true;
      this.wake?.('loan');
    };
    request.signal.addEventListener('abort', giveBack, { once: true });
    request.resolve(lentSession(session, giveBack));
    try {
      while (!returned && !this.stopped) {
        if (!client.connected) throw new Error('the terminal closed the connection while its users session was lent');
        const why = await this.sleep(this.cfg.heartbeatInterval);
        if (why === 'stop') return;
      }
    } finally {
      request.signal.removeEventListener('abort', giveBack);
    }
  }

  private async serveClockRequests(client: ZkClient): Promise<void> {
    const requests = this.clockRequests.takeAll();
    try {
      const clock = await measureClock(client, this.zone, true);
      this.ctx.status.update({ clockSkewSec: clock.clockSkewSec });
      const set = clock.setFromSkewSec !== undefined;
      if (set) this.ctx.log.info({ before: clock.setFromSkewSec, after: clock.clockSkewSec, why: 'sync-clock command' }, 'zk terminal clock set');
      const result = { skewBeforeSec: clock.setFromSkewSec ?? clock.clockSkewSec, skewAfterSec: clock.clockSkewSec, set, deviceTime: clock.deviceTime };
      for (const request of requests) request.resolve(result);
    } catch (error) {
      for (const request of requests) request.reject(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /** A model this build has no row for: said once per device (again only if another model answers), not on every connect. */
  private noteUnknownModel(facts: DeviceFacts): void {
    const model = `${facts.platform ?? ''}|${facts.firmware ?? ''}`;
    if (this.unknownModelNoted === model) return;
    this.unknownModelNoted = model;
    this.ctx.log.warn({ code: 'GW_ERR_DEVICE_PROTOCOL', platform: facts.platform, firmware: facts.firmware }, 'zk terminal model unknown to this build; running with default quirks (punches are read as usual)');
  }

  private async session(onUp: () => void): Promise<void> {
    const client = this.newClient(this.cfg.realtime);
    this.client = client;
    await client.connect(this.halt.signal);
    const facts = await identify(client);
    this.facts = facts;
    this.quirks = facts.known.quirks;
    if (facts.known.unknown) this.noteUnknownModel(facts);
    const clock = await measureClock(client, this.zone, this.canSetClock());
    this.ctx.status.update({ ...identityOf(facts, this.cfg), online: true, lastError: null, clockSkewSec: clock.clockSkewSec, details: this.details(clock.deviceTime) });
    onUp();
    if (this.cfg.realtime) await client.registerEvents(EF.ATTLOG);
    await this.sync(client, false);
    await this.idle(client);
  }

  /** Waits for the next heartbeat or poll; returns only by throwing (disconnect) or on stop. */
  private async idle(client: ZkClient): Promise<void> {
    let nextPoll = Date.now() + this.cfg.pollInterval;
    while (!this.stopped) {
      // the link may have dropped while a sync finished (its last requests fail quietly): no wake would come
      if (!client.connected) throw new Error('the terminal closed the connection');
      if (this.clockRequests.length > 0) await this.serveClockRequests(client);
      while (this.loanRequests.length > 0 && !this.stopped) await this.serveLoan(client);
      const now = Date.now();
      const why = await this.sleep(Math.max(0, Math.min(nextPoll - now, this.cfg.heartbeatInterval)));
      if (why === 'stop' || this.stopped) return;
      if (!client.connected) throw new Error('the terminal closed the connection');
      if (why === 'clock' || why === 'loan') continue;
      if (Date.now() >= nextPoll) {
        await this.sync(client, true);
        nextPoll = Date.now() + this.cfg.pollInterval;
      } else {
        await measureClock(client, this.zone, false).then((c) => this.ctx.status.update({ clockSkewSec: c.clockSkewSec }));
        this.ctx.status.seen();
      }
    }
  }

  private async sync(client: ZkClient, remeasure: boolean): Promise<void> {
    if (remeasure) {
      const clock = await measureClock(client, this.zone, this.canSetClock());
      if (clock.setFromSkewSec !== undefined) this.ctx.log.info({ before: clock.setFromSkewSec, after: clock.clockSkewSec }, 'zk terminal clock set');
      this.ctx.status.update({ clockSkewSec: clock.clockSkewSec });
    }
    const result = await syncAttendance({ client, ctx: this.ctx, cfg: this.cfg, serial: this.serial(), quirks: this.quirks, signal: this.halt.signal });
    this.ctx.status.seen();
    this.ctx.status.update({ details: { ...this.details(), recordSize: result.recordSize, records: result.records, unheldRecords: result.unheld } });
    const level = result.emitted > 0 || result.rejected > 0 ? 'info' : 'debug';
    this.ctx.log[level]({ ...result }, 'zk sync done');
  }

  private newClient(realtime: boolean): ZkClient {
    return new ZkClient({
      host: this.cfg.host,
      port: this.cfg.port,
      transport: this.cfg.transport,
      commKey: this.cfg.commKey,
      timeoutMs: this.cfg.timeout,
      log: this.ctx.log,
      sdkBuild: this.quirks.sdkBuild,
      chunkBytes: this.cfg.transport === 'tcp' ? this.quirks.chunkBytesTcp : this.quirks.chunkBytesUdp,
      onRealtime: realtime ? (events) => this.onRealtime(events) : undefined,
      onRealtimeError: (error, packet) => {
        this.ctx.status.rejected('zk-realtime-undecodable', packet.data.toString('hex').slice(0, 256));
        this.ctx.log.warn({ code: rejectionCode('zk-realtime-undecodable'), err: error.message, bytes: packet.data.length }, 'zk realtime event undecodable');
      },
      onDisconnect: () => this.wake?.('disconnect'),
    });
  }

  private onRealtime(events: ZkRecord[]): void {
    const raws = events.map((e) => this.realtimeRaw(e)).filter((r): r is RawPunch => r !== undefined);
    if (raws.length === 0) return;
    this.realtimeChain = this.realtimeChain
      .then(() => this.ctx.emitMany(raws))
      .then(() => this.ctx.status.seen())
      .catch((error: unknown) => this.ctx.log.error({ code: codeOf(error, 'GW_ERR_BUFFER_UNAVAILABLE'), err: errorMessage(error) }, 'zk realtime punch not committed; the next poll will fetch it'));
  }

  /** A realtime event as a punch whose id matches the same record read from the log later. */
  private realtimeRaw(e: ZkRecord): RawPunch | undefined {
    if (!e.pin) {
      this.ctx.status.rejected('zk-realtime-no-pin', JSON.stringify(e.fields));
      return undefined;
    }
    const cp = this.ctx.checkpoint.get<AttlogCheckpoint>(CHECKPOINT_KEY);
    const layout = cp ? ATTLOG_LAYOUTS.get(cp.recordSize) : undefined;
    const has = (name: string): boolean => !layout || layout.fields.some((f) => f.name === name);
    return {
      pin: e.pin,
      localTime: e.localTime,
      state: has('state') ? e.state : 'unknown',
      verify: has('verify') ? e.verify : 'other',
      workCode: e.workCode,
      raw: { source: 'realtime', ...e.fields },
    };
  }

  private canSetClock(): boolean {
    if (!this.cfg.syncClock) return false;
    if (isHostClockSynchronized()) return true;
    this.ctx.log.warn({ code: 'GW_ERR_CLOCK_UNSYNCHRONIZED' }, 'zk syncClock is on but the gateway clock is not trusted; terminal clock left alone');
    return false;
  }

  private serial(): string | undefined {
    return this.facts?.serial ?? this.cfg.serial;
  }

  private details(deviceTime?: string): Record<string, unknown> {
    const f = this.facts;
    const c = this.client;
    return {
      transport: this.cfg.transport,
      ...(deviceTime ? { deviceTime } : {}),
      vendor: f?.vendor,
      mac: f?.mac,
      sizes: f?.sizes,
      modelSource: f?.known.row?.source ?? 'unknown model: default quirks',
      checksumMismatches: c?.stats.checksumMismatches,
      stalePackets: c?.stats.stalePackets,
      chunkRetries: c?.stats.chunkRetries,
      skippedBytes: c?.skippedBytes,
    };
  }

  private sleep(ms: number): Promise<Wake> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish('timer'), ms);
      const finish = (why: Wake): void => {
        clearTimeout(timer);
        if (this.wake === finish) this.wake = undefined;
        resolve(why);
      };
      if (this.stopped) finish('stop');
      else this.wake = finish;
    });
  }
}

function identityOf(facts: DeviceFacts, cfg: ZkTcpConfig): { serial?: string; model?: string; firmware?: string; platform?: string } {
  return { serial: facts.serial ?? cfg.serial, model: facts.model, firmware: facts.firmware, platform: facts.platform };
}
