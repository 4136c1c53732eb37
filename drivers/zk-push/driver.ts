// The zk-push Driver: one configured terminal (by serial) behind the shared push listener.
// Invariants:
// - An upload is answered `OK: <n>` only after emitMany resolved (its punches and the table's
//   stamp committed together); when the buffer cannot commit the answer is 503 and the terminal
//   keeps the data and sends it again. Punch ids make the resend a duplicate, never a second punch.
// - A body's malformed lines are counted (status.rejected), logged with an excerpt and kept in
//   quarantine (as invalid punches carrying the line); its good lines are committed; `n` counts
//   every line, so the terminal does not resend a line that will never parse.
// - Stamps are stored per table in the checkpoint store and echoed in the handshake, never used to
//   skip anything: deduplication is by punch id (zk-push.md "Stamps").
// - Every reply carries the gateway's Date header (listener) and the handshake carries TimeZone:
//   the terminal clock follows the gateway (zk-push.md "Other response details").
// - Nothing keeps running after `stop()` resolves: in-flight requests are awaited.
// - Uploads to a table not in UPLOAD_TABLES are answered OK (the terminal moves on) and counted
//   as rejected; their stamps are not kept, so hostile table names cannot grow the checkpoint.
// - With a commKey, a handshake without it is refused (401, counted) and so is every request after
//   it until a handshake with the right key: a caller with a wrong key gets no punch accepted.
//   Requests before any handshake are served, so uploads continue across a gateway restart.
import type { Driver, DriverContext } from '../../src/devices/driver.js';
import type { PunchState, RawPunch, VerifyMethod } from '../../src/punch/punch.js';
import { zoneOffsetMinutes } from '../../src/punch/time.js';
import type { PushReply, PushRequest, PushTerminal } from '../../src/push/types.js';
import { errorMessage } from '../../src/util/errors.js';
import { decodeAttlog, decodeCommandResults, decodeInfo, decodeRtlog, encodeCommands, encodeHandshake, encodeUploadOk, splitLines, type AttlogRecord, type CommandResult, type Decoded } from './codec.js';
import { CommandQueue } from './commands.js';
import type { ZkPushConfig } from './config.js';
import { STATE_MAP, TRANS_FLAG, UPLOAD_TABLES, VERIFY_MAP } from './tables.js';

export const STAMPS_KEY = 'stamps';
const FALLBACK_ZONE = 'Asia/Jakarta';
const OK: PushReply = { status: 200, body: 'OK' };
const COMM_KEY_REFUSED: PushReply = { status: 401, body: 'ERROR: comm key' };

type Stamps = Record<string, string>;

export class ZkPushDriver implements Driver, PushTerminal {
  readonly serial: string;
  readonly commands = new CommandQueue();
  private unregister: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly zone: string;
  private offlineTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** the last handshake carried a wrong comm key: nothing else is taken until a good one */
  private commKeyRefused = false;

  constructor(
    private readonly cfg: ZkPushConfig,
    private readonly ctx: DriverContext,
  ) {
    this.serial = cfg.serial;
    this.zone = cfg.timezone ?? FALLBACK_ZONE;
  }

  async start(): Promise<void> {
    if (!this.ctx.push) throw new Error('zk-push needs the push listener (pushListener.listen); none in this context');
    this.stopped = false;
    this.unregister = this.ctx.push.register(this);
    this.ctx.status.update({ serial: this.serial, online: false, details: { variant: 'push', waitingForTerminal: true } });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unregister?.();
    this.unregister = undefined;
    clearTimeout(this.offlineTimer);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Queue `DATA QUERY ATTLOG` for [since, until] terminal-local; resolves with the terminal's result. */
  queueBackfill(sinceLocal: string, untilLocal: string): { id: string; result: Promise<CommandResult> } {
    return this.commands.enqueue(`DATA QUERY ATTLOG StartTime=${sinceLocal.replace('T', ' ')}\tEndTime=${untilLocal.replace('T', ' ')}`);
  }

  handle(request: PushRequest): Promise<PushReply> {
    if (this.stopped) return Promise.resolve({ status: 503, body: 'ERROR: stopping' });
    const work = this.route(request);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  private async route(request: PushRequest): Promise<PushReply> {
    this.markSeen();
    const { endpoint, method } = request;
    if (endpoint === 'cdata' && method === 'GET') return this.handshake(request);
    if (this.commKeyRefused) {
      this.ctx.status.rejected('comm-key', `${method} ${endpoint} from ${request.remoteAddress} after a handshake with a wrong comm key`);
      return COMM_KEY_REFUSED;
    }
    if ((endpoint === 'cdata' || endpoint === 'querydata') && method === 'POST') return this.upload(request);
    if (endpoint === 'getrequest') return this.getRequest(request);
    if (endpoint === 'devicecmd') return this.deviceCmd(request);
    if (endpoint === 'registry') return { status: 200, body: `RegistryCode=${this.serial}` };
    if (endpoint === 'push') return { status: 200, body: this.optionLines().map(([k, v]) => `${k}=${v}`).join('\n') };
    if (endpoint === 'ping') return OK;
    this.ctx.status.rejected('unknown-endpoint', `${method} ${endpoint}`);
    return { status: 404, body: 'NOT FOUND' };
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
    const stamps = this.ctx.checkpoint.get<Stamps>(STAMPS_KEY) ?? {};
    const offsetHours = zoneOffsetMinutes(this.zone, Date.now()) / 60;
    return [
      ['ATTLOGStamp', stamps.ATTLOG ?? 'None'],
      ['OPERLOGStamp', stamps.OPERLOG ?? 'None'],
      ['ATTPHOTOStamp', stamps.ATTPHOTO ?? 'None'],
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
    ];
  }

  private handshake(request: PushRequest): PushReply {
    const { query } = request;
    if (this.cfg.commKey !== undefined && query.pushcommkey !== this.cfg.commKey) {
      this.ctx.status.rejected('comm-key', `handshake from ${request.remoteAddress} without the configured comm key`);
      this.ctx.status.update({ lastError: 'GW_ERR_DEVICE_AUTH: the terminal did not send the configured comm key' });
      this.commKeyRefused = true;
      return COMM_KEY_REFUSED;
    }
    this.commKeyRefused = false;
    this.commands.resendUnanswered();
    // after every handshake (boot, reconnect) ask what the terminal is: model, firmware, counts
    if (!this.commands.has('INFO')) this.commands.enqueue('INFO');
    this.ctx.status.update({ serial: this.serial, lastError: null, details: pick(query, ['pushver', 'language', 'DeviceType']) });
    return { status: 200, body: encodeHandshake(this.serial, this.optionLines()) };
  }

  private getRequest(request: PushRequest): PushReply {
    if (request.query.INFO) {
      const info = decodeInfo(request.query.INFO);
      this.ctx.status.update({ ...(typeof info.firmware === 'string' ? { firmware: info.firmware } : {}), details: { info } });
    }
    return { status: 200, body: encodeCommands(this.commands.takeUnsent()) };
  }

  private deviceCmd(request: PushRequest): PushReply {
    for (const result of decodeCommandResults(request.body)) {
      const known = this.commands.complete(result);
      this.ctx.log.info({ id: result.id, cmd: result.cmd, returnCode: result.returnCode, known }, 'terminal command result');
      if (/^INFO\b/.test(result.cmd) && Object.keys(result.values).length > 0) {
        this.ctx.status.update({ ...pickIdentity(result.values), details: { info: result.values } });
      }
    }
    return OK;
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
    } else {
      this.ctx.log.debug({ table, lines: lines.length }, 'terminal upload not stored (photos, templates, options)');
    }
    if (request.query.Stamp) this.ctx.checkpoint.set(STAMPS_KEY, { ...(this.ctx.checkpoint.get<Stamps>(STAMPS_KEY) ?? {}), [table]: request.query.Stamp });
    return { status: 200, body: encodeUploadOk(lines.length) };
  }

  private async uploadPunches(request: PushRequest, table: 'ATTLOG' | 'rtlog'): Promise<PushReply> {
    const decoded: Decoded<AttlogRecord> = table === 'rtlog' ? decodeRtlog(request.body) : decodeAttlog(request.body);
    const raws = decoded.records.map((r) => this.toRaw(r, table));
    for (const error of decoded.errors) {
      this.ctx.status.rejected(`${table.toLowerCase()}-${error.code}`, `line ${error.line}: ${error.message}: ${error.excerpt}`);
      // an invalid punch (empty pin) goes to quarantine with the line: nothing vanishes silently
      raws.push({ pin: '', localTime: '', state: 'unknown', verify: 'other', raw: { table, line: error.line, text: error.excerpt, error: error.message } });
    }
    const stamps = request.query.Stamp ? { [STAMPS_KEY]: { ...(this.ctx.checkpoint.get<Stamps>(STAMPS_KEY) ?? {}), [table]: request.query.Stamp } } : undefined;
    try {
      if (raws.length > 0 || stamps) await this.ctx.emitMany(raws, stamps);
    } catch (error) {
      this.ctx.status.update({ lastError: `GW_ERR_BUFFER_UNAVAILABLE: ${errorMessage(error)}` });
      return { status: 503, body: 'ERROR: cannot store, send again later' };
    }
    return { status: 200, body: encodeUploadOk(decoded.lines) };
  }

  private toRaw(record: AttlogRecord, table: string): RawPunch {
    return {
      pin: record.pin,
      localTime: record.localTime,
      state: mapCode<PunchState>(record.status, this.cfg.stateMap, STATE_MAP, 'unknown'),
      verify: mapCode<VerifyMethod>(record.verify, this.cfg.verifyMap, VERIFY_MAP, 'other'),
      workCode: record.workCode,
      raw: { table, ...record.fields },
    };
  }
}

function isUploadTable(table: string): table is (typeof UPLOAD_TABLES)[number] {
  return (UPLOAD_TABLES as readonly string[]).includes(table);
}

function mapCode<T extends string>(code: number | null, override: Record<string, T>, table: ReadonlyMap<number, T>, fallback: T): T {
  if (code === null) return fallback;
  return override[String(code)] ?? table.get(code) ?? fallback;
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
