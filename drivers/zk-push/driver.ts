// The zk-push Driver: one configured terminal (by serial) behind the shared push listener.
// Invariants:
// - An upload is answered `OK: <n>` only after emitMany resolved (its punches and the table's
//   stamp committed together); when the buffer cannot commit the answer is 503 and the terminal
//   keeps the data and sends it again. Punch ids make the resend a duplicate, never a second punch.
// - A body's malformed lines are counted (status.rejected), logged with an excerpt and kept in
//   quarantine (as invalid punches carrying the line); its good lines are committed; `n` counts
//   every line, so the terminal does not resend a line that will never parse.
// - Stamps are stored per table in the checkpoint store and echoed in the handshake, never used to
//   skip anything: deduplication is by punch id (zk-push.md "Stamps"). Only digits are stored or
//   echoed (stamps.ts); no reply carries request text.
// - Every reply carries the gateway's Date header (listener) and the handshake carries TimeZone:
//   the terminal clock follows the gateway (zk-push.md "Other response details").
// - Nothing keeps running after `stop()` resolves: in-flight requests are awaited.
// - Uploads to a table not in UPLOAD_TABLES are answered OK (the terminal moves on) and counted
//   as rejected; their stamps are not kept, so hostile table names cannot grow the checkpoint.
// - Every request passes trust.ts first (allowFrom, comm-key pin): a refused one is counted
//   (status.rejected and the listener's gateway_push_refused_total), changes nothing — no punch,
//   no stamp, no pin, no command taken, not even "seen" — and is answered 403/401.
// - Every punch carries `address`: the source IP of the request that brought it.
// - A devicecmd result counts only for a command id queued for this terminal. What an INFO result
//   says (model, firmware, platform, facts) is bounded by the core's one rule (statusBounds.ts).
// - The users side (users.ts) queues its commands here with a timeout; the `USER`/`FP`/`FACE` lines an
//   OPERLOG upload carries, and the `BIODATA` lines of a BIODATA upload, go to the collector of a
//   running users query only, are never logged (counts only) and are not kept after it: template
//   text stays out of logs and state.
import type { Logger } from 'pino';
import type { Driver, DriverContext } from '../../src/devices/driver.js';
import type { PushReply, PushRequest, PushTerminal } from '../../src/devices/push.js';
import type { RawPunch } from '../../src/punch/punch.js';
import { deviceZone, zoneOffsetMinutes } from '../../src/punch/time.js';
import type { UsersLender } from '../../src/devices/usersLender.js';
import { errorMessage, GatewayError } from '../../src/util/errors.js';
import { LogLimiter } from '../../src/util/logLimiter.js';
import { decodeAttlog, decodeCommandResults, decodeInfo, decodeRtlog, encodeCommands, encodeHandshake, encodeUploadOk, splitLines, type AttlogRecord, type CommandResult, type Decoded } from './codec.js';
import { CommandQueue } from './commands.js';
import { decodeOperlogUsers, emptyOperlogUsers, type OperlogUsers } from './userCodec.js';
import { ZkPushUsersSession } from './users.js';
import type { ZkPushConfig } from './config.js';
import { echoedStamp, isStamp, STAMPS_KEY, withStamp } from './stamps.js';
import { zkStateOf, zkVerifyOf } from '../zk-common/codes.js';
import { BIOMETRIC_OPTION_KEYS, TRANS_FLAG, UPLOAD_TABLES } from './tables.js';
import { ZkPushTrust, type Refusal } from './trust.js';

export { STAMPS_KEY } from './stamps.js';
const OK: PushReply = { status: 200, body: 'OK' };
/** a bad line's reason is `<table>-<line error>` (attlog-fields, rtlog-time, …: the catalogue) */
const LINE_REASON_PREFIX = { ATTLOG: 'attlog', rtlog: 'rtlog' } as const;

export class ZkPushDriver implements Driver, PushTerminal, UsersLender {
  readonly route = 'iclock' as const;
  readonly serial: string;
  readonly deviceId: string;
  readonly commands = new CommandQueue();
  readonly trust: ZkPushTrust;
  private unregister: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly zone: string;
  private offlineTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly warnings: LogLimiter;
  /** the keys of the terminal's last INFO result (`~` dropped): what users.ts reads the algorithm from */
  private info: Record<string, string> = {};
  /** BIOMETRIC_OPTION_KEYS the terminal pushed on table=options (faces: FaceVersion, MultiBioDataSupport, …) */
  private options: Record<string, string> = {};
  private readonly pollWaiters = new Set<() => void>();
  private readonly userCollectors = new Set<OperlogUsers>();

  constructor(
    private readonly cfg: ZkPushConfig,
    private readonly ctx: DriverContext,
  ) {
    this.serial = cfg.serial;
    this.deviceId = ctx.deviceId;
    this.zone = deviceZone(cfg);
    this.trust = new ZkPushTrust(cfg, ctx.checkpoint);
    this.warnings = new LogLimiter(ctx.log);
  }

  async start(): Promise<void> {
    if (!this.ctx.push) throw new Error('zk-push needs the push listener (pushListener.listen); none in this context');
    this.stopped = false;
    this.unregister = this.ctx.push.register(this);
    this.ctx.status.update({ serial: this.serial, online: false, details: { variant: 'push', waitingForTerminal: true, ...this.pinDetails() } });
  }

  knowsAddress(address: string): boolean {
    return this.trust.knowsAddress(address);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unregister?.();
    this.unregister = undefined;
    clearTimeout(this.offlineTimer);
    this.commands.close('the gateway stopped this device before the terminal answered');
    for (const wake of this.pollWaiters) wake();
    await Promise.allSettled([...this.inFlight]);
    this.warnings.flush();
  }

  /** Queue `DATA QUERY ATTLOG` for [since, until] terminal-local; resolves with the terminal's result. */
  queueBackfill(sinceLocal: string, untilLocal: string): { id: string; result: Promise<CommandResult> } {
    return this.commands.enqueue(`DATA QUERY ATTLOG StartTime=${sinceLocal.replace('T', ' ')}\tEndTime=${untilLocal.replace('T', ' ')}`);
  }

  /** Queue one command for the terminal's next poll; fails with GW_ERR_DEVICE_TIMEOUT after `timeoutMs`. */
  queueCommand(command: string, timeoutMs: number): { id: string; result: Promise<CommandResult> } {
    return this.commands.enqueue(command, { timeoutMs });
  }

  /** The users side on this running driver (users.ts); each command times out after max(60 s, 4 × Delay). */
  usersSession(log: Logger): ZkPushUsersSession {
    return new ZkPushUsersSession(this, log, Math.max(60_000, this.cfg.delay * 4000));
  }

  /**
   * Lends the users side to users work in the daemon (usersLender.ts). The driver asks the terminal
   * nothing of its own beside it (its commands share the one queue), so the loan holds nothing and
   * close() has nothing to hand back. Rejects while the terminal is not polling.
   */
  async borrowUsersSession(signal: AbortSignal): Promise<ZkPushUsersSession> {
    signal.throwIfAborted();
    if (this.stopped || !this.offlineTimer) throw new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `zk-push terminal ${this.serial} is not polling the gateway (offline or not seen since the daemon started)`);
    return this.usersSession(this.ctx.log);
  }

  /** What the terminal's last INFO result said (`~ZKFPVersion` as `ZKFPVersion`, …), over the biometric keys it pushed on table=options. */
  terminalInfo(): Readonly<Record<string, string>> {
    return { ...this.options, ...this.info };
  }

  /**
   * Collects the USER, FP, FACE and BIODATA lines of every OPERLOG and BIODATA upload until the returned `stop()`; a users
   * query (users.ts) runs one around its DATA QUERY commands.
   */
  collectUsers(): { collected: OperlogUsers; stop(): void } {
    const collected = emptyOperlogUsers();
    this.userCollectors.add(collected);
    return { collected, stop: () => void this.userCollectors.delete(collected) };
  }

  /** Resolves at the terminal's next getrequest (or when the driver stops), false after `timeoutMs`. */
  nextPoll(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.pollWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.pollWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.pollWaiters.add(wake);
    });
  }

  handle(request: PushRequest): Promise<PushReply> {
    if (this.stopped) return Promise.resolve({ status: 503, body: 'ERROR: stopping' });
    const work = this.serve(request);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  private async serve(request: PushRequest): Promise<PushReply> {
    const { endpoint, method } = request;
    const isHandshake = endpoint === 'cdata' && method === 'GET';
    const refusal = isHandshake ? this.trust.checkHandshake(request.remoteAddress, request.query.pushcommkey) : this.trust.checkRequest(request.remoteAddress);
    if (refusal) return this.refuse(request, refusal, isHandshake);
    this.markSeen();
    if (isHandshake) return this.handshake(request);
    if ((endpoint === 'cdata' || endpoint === 'querydata') && method === 'POST') return this.upload(request);
    if (endpoint === 'getrequest') return this.getRequest(request);
    if (endpoint === 'devicecmd') return this.deviceCmd(request);
    if (endpoint === 'registry') return { status: 200, body: `RegistryCode=${this.serial}` };
    if (endpoint === 'push') return { status: 200, body: this.optionLines().map(([k, v]) => `${k}=${v}`).join('\n') };
    if (endpoint === 'ping') return OK;
    this.ctx.status.rejected('unknown-endpoint', `${method} ${endpoint.slice(0, 32)}`);
    return { status: 404, body: 'NOT FOUND' };
  }

  /** Counted and answered; nothing else changes (trust.ts). */
  private refuse(request: PushRequest, refusal: Refusal, isHandshake: boolean): PushReply {
    const { method, endpoint, remoteAddress } = request;
    this.ctx.status.rejected(refusal.reason, `${method} ${endpoint.slice(0, 32)} from ${remoteAddress}`, { logged: true });
    this.ctx.push?.refused(this.deviceId, refusal.reason, request);
    // the terminal's own address (or, before any pin, whoever it is) sent a wrong key: say so; a
    // stranger's wrong key must not overwrite the device's state
    const pinned = this.trust.pinned();
    if (isHandshake && refusal.reason === 'comm-key' && (pinned === undefined || pinned === remoteAddress)) {
      this.ctx.status.update({ lastError: { code: 'GW_ERR_DEVICE_AUTH', message: `a handshake from ${remoteAddress} did not carry the configured comm key` } });
    }
    return { ...refusal.reply };
  }

  private pinDetails(): { pinnedAddress?: string | null } {
    return this.trust.hasCommKey ? { pinnedAddress: this.trust.pinned() ?? null } : {};
  }

  private markSeen(): void {
    this.ctx.status.seen();
    if (!this.offlineTimer) this.ctx.status.update({ online: true, details: { waitingForTerminal: false } });
    clearTimeout(this.offlineTimer);
    // three missed polls and the terminal counts as offline
    this.offlineTimer = setTimeout(() => {
      this.offlineTimer = undefined;
      this.ctx.status.update({ online: false });
    }, Math.max(this.cfg.delay, this.cfg.errorDelay) * 3000);
    this.offlineTimer.unref();
  }

  private optionLines(): [string, string | number][] {
    const stamps = this.ctx.checkpoint.get(STAMPS_KEY);
    const offsetHours = zoneOffsetMinutes(this.zone, Date.now()) / 60;
    return [
      ['ATTLOGStamp', echoedStamp(stamps, 'ATTLOG')],
      ['OPERLOGStamp', echoedStamp(stamps, 'OPERLOG')],
      ['ATTPHOTOStamp', echoedStamp(stamps, 'ATTPHOTO')],
      ['ErrorDelay', this.cfg.errorDelay],
      ['Delay', this.cfg.delay],
      ['TransTimes', '00:00;14:05'],
      ['TransInterval', this.cfg.transInterval],
      ['TransFlag', TRANS_FLAG],
      ['TimeZone', offsetHours],
      ['Realtime', this.cfg.realtime ? 1 : 0],
      ['Encrypt', 0],
      ['ServerVer', '2.4.1'],
      ['PushProtVer', '2.4.1'],
      ['PushOptionsFlag', 1],
      ['PushOptions', BIOMETRIC_OPTION_KEYS.join(',')],
    ];
  }

  private handshake(request: PushRequest): PushReply {
    this.commands.resendUnanswered();
    // after every handshake (boot, reconnect) ask what the terminal is: model, firmware, counts
    if (!this.commands.has('INFO')) this.commands.enqueue('INFO');
    this.ctx.status.update({ serial: this.serial, lastError: null, details: { ...pick(request.query, ['pushver', 'language', 'DeviceType']), ...this.pinDetails() } });
    return { status: 200, body: encodeHandshake(this.serial, this.optionLines()) };
  }

  private getRequest(request: PushRequest): PushReply {
    if (request.query.INFO) {
      const info = decodeInfo(request.query.INFO);
      this.ctx.status.update({ ...(typeof info.firmware === 'string' ? { firmware: info.firmware } : {}), details: { info } });
    }
    for (const wake of [...this.pollWaiters]) wake();
    return { status: 200, body: encodeCommands(this.commands.takeUnsent()) };
  }

  private deviceCmd(request: PushRequest): PushReply {
    let unknown = 0;
    for (const result of decodeCommandResults(request.body)) {
      const command = this.commands.complete(result);
      if (command === undefined) {
        unknown += 1;
        continue;
      }
      this.ctx.log.info({ id: result.id, cmd: command.split(' ')[0], returnCode: result.returnCode }, 'terminal command result');
      if (/^INFO\b/.test(command) && Object.keys(result.values).length > 0) this.takeInfo(result.values);
    }
    // answered OK all the same: the terminal has nothing to resend
    if (unknown > 0) this.ctx.status.rejected('command-id', `devicecmd: ${unknown} result(s) for a command id not queued for this terminal, ignored`);
    return OK;
  }

  private collect(decoded: OperlogUsers): void {
    // counts and PINs only: a user line holds the keypad password, an FP, FACE or BIODATA line the template
    this.ctx.log.info({ users: decoded.users.length, fingers: decoded.fingers.length, faces: decoded.faces.length, biodata: decoded.biodata.length, bad: decoded.errors.length }, 'terminal users upload');
    for (const e of decoded.errors) this.ctx.status.rejected('operlog-user', `line ${e.line}: ${e.message}: ${e.excerpt}`);
    for (const c of this.userCollectors) {
      c.users.push(...decoded.users);
      c.fingers.push(...decoded.fingers);
      c.faces.push(...decoded.faces);
      c.biodata.push(...decoded.biodata);
      c.errors.push(...decoded.errors);
    }
  }

  /** `k=v,k=v` (V5.8 §6): the biometric keys only, with short values of digits, dots and colons. */
  private takeOptions(body: string): void {
    for (const part of body.split(/[,\r\n]/)) {
      const eq = part.indexOf('=');
      const key = part.slice(0, eq).trim().replace(/^~/, '');
      const value = part.slice(eq + 1).trim();
      if (eq > 0 && (BIOMETRIC_OPTION_KEYS as readonly string[]).includes(key) && /^[0-9.:]{1,64}$/.test(value)) this.options[key] = value;
    }
  }

  private takeInfo(values: Record<string, string>): void {
    // the context bounds what reaches the device state (statusBounds.ts, the one edge rule)
    this.info = { ...values };
    this.ctx.status.update({ ...pickIdentity(values), details: { info: values } });
  }

  private async upload(request: PushRequest): Promise<PushReply> {
    const table = request.query.table ?? 'ATTLOG';
    if (table === 'ATTLOG' || table === 'rtlog') return this.uploadPunches(request, table);
    const lines = splitLines(request.body);
    if (!isUploadTable(table)) {
      // answered OK so the terminal moves on, but counted, and no stamp kept: checkpoints stay bounded
      this.ctx.status.rejected('unknown-table', `table=${table.slice(0, 40)}, ${lines.length} line(s)`);
      return { status: 200, body: encodeUploadOk(lines.length) };
    }
    if (table === 'OPERLOG') {
      // operation logs are kept for audit in the log; biometric template lines (FP, FACE, BIODATA) are not
      const oplog = lines.filter((l) => l.text.startsWith('OPLOG ')).map((l) => l.text.slice(0, 200));
      this.ctx.log.info({ table, oplog, otherLines: lines.length - oplog.length }, 'terminal operation log');
      if (this.userCollectors.size > 0) this.collect(decodeOperlogUsers(request.body));
    } else if (table === 'options') {
      this.takeOptions(request.body);
    } else if (table === 'BIODATA') {
      // templates of any kind (faces, fingers): to a running users query's collector only, never kept or logged
      this.ctx.log.debug({ table, lines: lines.length }, 'terminal biometric upload');
      if (this.userCollectors.size > 0) this.collect(decodeOperlogUsers(request.body));
    } else {
      this.ctx.log.debug({ table, lines: lines.length }, 'terminal upload not stored (photos, templates, options)');
    }
    const stamp = this.stampOf(request);
    if (stamp) this.ctx.checkpoint.set(STAMPS_KEY, withStamp(this.ctx.checkpoint.get(STAMPS_KEY), table, stamp));
    return { status: 200, body: encodeUploadOk(lines.length) };
  }

  /**
   * The upload's Stamp when it is one. Anything else is logged (rate-limited) and never stored;
   * the upload itself is taken: a stamp only tells the terminal where to resume.
   */
  private stampOf(request: PushRequest): string | undefined {
    const stamp = request.query.Stamp;
    if (stamp === undefined || stamp === '') return undefined;
    const length = stamp.length;
    if (isStamp(stamp)) return stamp;
    this.warnings.warn('stamp', { code: 'GW_ERR_DECODE', reason: 'stamp', remoteAddress: request.remoteAddress, length }, 'upload Stamp is not digits; not stored, not echoed');
    return undefined;
  }

  private async uploadPunches(request: PushRequest, table: 'ATTLOG' | 'rtlog'): Promise<PushReply> {
    const decoded: Decoded<AttlogRecord> = table === 'rtlog' ? decodeRtlog(request.body) : decodeAttlog(request.body);
    const address = request.remoteAddress;
    const raws = decoded.records.map((r) => this.toRaw(r, table, address));
    for (const error of decoded.errors) {
      this.ctx.status.rejected(`${LINE_REASON_PREFIX[table]}-${error.code}`, `line ${error.line}: ${error.message}: ${error.excerpt}`);
      // an invalid punch (empty pin) goes to quarantine with the line: nothing vanishes silently
      raws.push({ pin: '', localTime: '', state: 'unknown', verify: 'other', address, raw: { table, line: error.line, text: error.excerpt, error: error.message } });
    }
    const stamp = this.stampOf(request);
    const stamps = stamp ? { [STAMPS_KEY]: withStamp(this.ctx.checkpoint.get(STAMPS_KEY), table, stamp) } : undefined;
    try {
      if (raws.length > 0 || stamps) await this.ctx.emitMany(raws, stamps);
    } catch (error) {
      this.ctx.status.update({ lastError: { code: 'GW_ERR_BUFFER_UNAVAILABLE', message: errorMessage(error) } });
      return { status: 503, body: 'ERROR: cannot store, send again later' };
    }
    return { status: 200, body: encodeUploadOk(decoded.lines) };
  }

  private toRaw(record: AttlogRecord, table: string, address: string): RawPunch {
    return {
      address,
      pin: record.pin,
      localTime: record.localTime,
      state: zkStateOf(record.status, this.cfg.stateMap),
      verify: zkVerifyOf(record.verify, this.cfg.verifyMap),
      workCode: record.workCode,
      raw: { table, ...record.fields },
    };
  }
}

function isUploadTable(table: string): table is (typeof UPLOAD_TABLES)[number] {
  return (UPLOAD_TABLES as readonly string[]).includes(table);
}

function pick(values: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => values[k] !== undefined).map((k) => [k, values[k] as string]));
}

function pickIdentity(values: Record<string, string>): { model?: string; firmware?: string; platform?: string } {
  return {
    ...(values.DeviceName ? { model: values.DeviceName } : {}),
    ...(values.FWVersion ? { firmware: values.FWVersion } : {}),
    ...(values.Platform ? { platform: values.Platform } : {}),
  };
}
