// A simulated ZKTeco PUSH (ADMS) terminal: it calls a gateway the way real terminals do, for demos,
// training and tests (`absensi-gateway simulate zk-push`). Behaviour from zk-push.md.
// Invariants:
// - A punch is recorded once in the terminal log and marked uploaded only when the gateway
//   answered `OK` to the body carrying it; until then it is sent again after `retryMs`.
// - The terminal clock is real time + clockOffsetSec in the terminal's zone; a handshake reply's
//   Date header and TimeZone option set both (zk-push.md "Other response details").
// - Commands from getrequest are executed and answered on devicecmd: INFO, DATA QUERY ATTLOG
//   (marks the range for upload again), CHECK, REBOOT (handshake again); others Return=-1002.
// - It holds a user table and finger templates, written the way users-templates.md says the PUSH
//   protocol does: DATA UPDATE USERINFO creates or replaces a user (keeping its fingers), DATA
//   UPDATE FINGERTMP needs the user (-10) and a Size equal to the TMP's base64 length (-9), DATA
//   DELETE USERINFO takes the user and its fingers (-10 when absent), DATA QUERY USERINFO and
//   FINGERTMP upload `USER`/`FP` lines to table=OPERLOG before the result is posted. An enrolment
//   at the terminal (`enrol`) is uploaded on OPERLOG too. `USER ADD`, `DATA DEL` are -1002.
// - With `faces` it is a face terminal (faces.ts): DATA UPDATE|DELETE|QUERY FACE or BIODATA in its
//   one form, FACE lines uploaded on OPERLOG and BIODATA lines on table=BIODATA (a query's before
//   its result, an enrolment's with the user); its INFO says FaceVersion or MultiBioDataSupport /
//   MultiBioVersion. DATA DELETE USERINFO takes the user's faces too.
// - `stop()` ends the loop and any request or wait in flight.
import { formatLocal, zoneOffsetMinutes } from '../../punch/time.js';
import { SimFaceTable, type SimFaceForm, type SimPushFace } from './faces.js';
import { simRequest, type SimResponse } from './http.js';

export interface ZkPushQuirks {
  /** CRLF line ends (the real capture has them); default true */
  crlf?: boolean;
  /** a tab after the last field (the real capture has it); default true */
  trailingTab?: boolean;
  gzip?: boolean;
  http10?: boolean;
  /** always send Stamp=9999 (seen on a real device) */
  stamp9999?: boolean;
  /** newer firmware: 12 fields per ATTLOG line */
  extendedFields?: boolean;
}

export interface ZkPushSimOptions {
  target: string;
  serial: string;
  /** zone of the terminal clock until a handshake says otherwise; default Asia/Jakarta */
  timeZone?: string;
  /** terminal clock minus real time, seconds */
  clockOffsetSec?: number;
  commKey?: string;
  /** lines per upload; default 100 */
  batchSize?: number;
  /** wait after a failed request; default the handshake's ErrorDelay, else 30 s */
  retryMs?: number;
  /** wait between polls in `start()`; default the handshake's Delay */
  pollMs?: number;
  quirks?: ZkPushQuirks;
  model?: string;
  firmware?: string;
  /** users it has room for; a new user past them is refused with -5 (no space) */
  maxUsers?: number;
  /** the finger algorithm its INFO answer reports as ~ZKFPVersion; default '10' */
  fingerVersion?: string;
  /** a face terminal: faces in the FACE table (FaceVersion) or the BIODATA table (Type 9 or 2, its version); none by default (face commands -1004) */
  faces?: SimFaceForm;
  onEvent?: (line: string) => void;
}

export interface SimPushUser {
  pin: string;
  name: string;
  privilege: number;
  password: string;
  card: string;
  group: number;
}

export interface SimPushFinger {
  pin: string;
  fid: number;
  valid: boolean;
  /** base64 */
  tmp: string;
}

export interface SimPushRecord {
  pin: string;
  localTime: string;
  state: number;
  verify: number;
  workCode: number | null;
  uploaded: boolean;
}

export class ZkPushSimulator {
  target: URL;
  readonly serial: string;
  clockOffsetSec: number;
  tzOffsetMin: number;
  readonly records: SimPushRecord[] = [];
  /** the handshake options last received */
  options: Record<string, string> = {};
  readonly commandsRun: { id: string; command: string; returnCode: number }[] = [];
  /** the terminal's user table, by PIN */
  readonly users = new Map<string, SimPushUser>();
  /** finger templates by `<pin>:<fid>`, base64 as the protocol carries them */
  readonly fingers = new Map<string, SimPushFinger>();
  /** face templates by `<pin>:<index>`, base64 */
  readonly faces: Map<string, SimPushFace>;
  private readonly faceTable: SimFaceTable;
  /** OPERLOG lines waiting for upload (enrolments, query answers) */
  private readonly operlog: string[] = [];
  /** BIODATA lines waiting for upload */
  private readonly biodata: string[] = [];
  /** requests sent (each attempt), by endpoint */
  readonly attempts: Record<string, number> = {};
  /** drop the reply of the next N uploads after sending them (network cut after the gateway committed) */
  dropNextReplies = 0;
  /** called after each upload the gateway answered OK */
  onUploaded?: (lines: number) => void | Promise<void>;
  private readonly halt = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly o: ZkPushSimOptions;

  constructor(options: ZkPushSimOptions) {
    this.o = options;
    this.target = new URL(options.target);
    this.serial = options.serial;
    this.clockOffsetSec = options.clockOffsetSec ?? 0;
    this.tzOffsetMin = zoneOffsetMinutes(options.timeZone ?? 'Asia/Jakarta', Date.now());
    this.faceTable = new SimFaceTable(options.faces);
    this.faces = this.faceTable.faces;
  }

  /** The terminal's wall clock now, `YYYY-MM-DDTHH:mm:ss`. */
  now(): string {
    return formatLocal(Date.now() + this.clockOffsetSec * 1000, this.tzOffsetMin);
  }

  /** Someone punches at the terminal (at its own clock unless `localTime` is given). */
  addPunch(p: { pin: string; state?: number; verify?: number; workCode?: number | null; localTime?: string }): SimPushRecord {
    const record = { pin: p.pin, localTime: p.localTime ?? this.now(), state: p.state ?? 0, verify: p.verify ?? 1, workCode: p.workCode ?? null, uploaded: false };
    this.records.push(record);
    this.o.onEvent?.(`punch pin=${record.pin} time=${record.localTime} state=${record.state} verify=${record.verify}`);
    return record;
  }

  get pendingUploads(): number {
    return this.records.filter((r) => !r.uploaded).length;
  }

  /** GET /iclock/cdata?options=all until the gateway answers; takes clock and zone from the reply. */
  async handshake(): Promise<Record<string, string>> {
    const commKey = this.o.commKey ? `&pushcommkey=${encodeURIComponent(this.o.commKey)}` : '';
    const res = await this.untilOk('cdata-get', () => this.request('GET', `/iclock/cdata?SN=${this.serial}&options=all&pushver=2.4.1&language=73&DeviceType=att${commKey}`), (r) => r.body.startsWith('GET OPTION FROM'));
    this.options = Object.fromEntries(res.body.split(/\r?\n/).slice(1).filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const dateMs = Date.parse(res.headers.date ?? '');
    if (Number.isFinite(dateMs)) this.clockOffsetSec = Math.round((dateMs - Date.now()) / 1000);
    const tz = Number(this.options.TimeZone);
    if (this.options.TimeZone !== undefined && Number.isFinite(tz)) this.tzOffsetMin = Math.round(tz * 60);
    this.o.onEvent?.(`handshake ok: Delay=${this.options.Delay} TimeZone=${this.options.TimeZone}; clock now ${this.now()}`);
    return this.options;
  }

  /** Someone enrols at the terminal: the user (fingers, faces) are stored and uploaded (OPERLOG; faces as the terminal keeps them). */
  enrol(user: SimPushUser, fingers: Omit<SimPushFinger, 'pin'>[] = [], faces: Omit<SimPushFace, 'pin'>[] = []): void {
    this.users.set(user.pin, user);
    this.operlog.push(userLine(user));
    for (const f of fingers) {
      const finger = { ...f, pin: user.pin };
      this.fingers.set(`${user.pin}:${f.fid}`, finger);
      this.operlog.push(fingerLine(finger));
    }
    this.queueUploads(this.faceTable.enrol(user.pin, faces));
  }

  private queueUploads(uploads: readonly { table: 'OPERLOG' | 'BIODATA'; line: string }[]): void {
    for (const u of uploads) (u.table === 'BIODATA' ? this.biodata : this.operlog).push(u.line);
  }

  /** Uploads every record not yet acknowledged, in batches, each retried until `OK`. */
  async upload(): Promise<number> {
    await this.uploadOperlog();
    let sent = 0;
    for (;;) {
      const batch = this.records.filter((r) => !r.uploaded).slice(0, this.o.batchSize ?? 100);
      if (batch.length === 0) return sent;
      const body = batch.map((r) => this.attlogLine(r)).join(this.o.quirks?.crlf === false ? '\n' : '\r\n') + (this.o.quirks?.crlf === false ? '\n' : '\r\n');
      const stamp = this.o.quirks?.stamp9999 ? '9999' : String(Math.floor(Date.now() / 1000));
      await this.untilOk('cdata-post', () => {
        const dropReply = this.dropNextReplies > 0;
        if (dropReply) this.dropNextReplies -= 1;
        return this.request('POST', `/iclock/cdata?SN=${this.serial}&table=ATTLOG&Stamp=${stamp}`, body, dropReply);
      }, (r) => /^OK/.test(r.body));
      for (const r of batch) r.uploaded = true;
      sent += batch.length;
      await this.onUploaded?.(batch.length);
    }
  }

  /** One getrequest; runs the commands it brings and reports them on devicecmd. Returns how many. */
  async poll(): Promise<number> {
    const info = `&INFO=${encodeURIComponent(`${this.o.firmware ?? 'Ver 6.60 Sep 27 2019'},10,10,${this.records.length},127.0.0.1`)}`;
    const res = await this.untilOk('getrequest', () => this.request('GET', `/iclock/getrequest?SN=${this.serial}${info}`), () => true);
    const commands = res.body.split(/\r?\n/).map((l) => /^C:([^:]+):(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    if (commands.length === 0) return 0;
    const results: string[] = [];
    for (const [, id = '', command = ''] of commands) results.push(await this.execute(id, command));
    await this.untilOk('devicecmd', () => this.request('POST', `/iclock/devicecmd?SN=${this.serial}`, `${results.join('\n')}\n`), () => true);
    return commands.length;
  }

  /** Runs like a terminal: handshake, then upload and poll every Delay, until `stop()`. */
  start(): void {
    if (this.loop) return;
    this.loop = (async () => {
      try {
        await this.handshake();
        while (!this.halt.signal.aborted) {
          await this.upload();
          await this.poll();
          await this.sleep(this.o.pollMs ?? Number(this.options.Delay ?? 30) * 1000);
        }
      } catch (error) {
        if (!this.halt.signal.aborted) this.o.onEvent?.(`simulator stopped: ${(error as Error).message}`);
      }
    })();
  }

  async stop(): Promise<void> {
    this.halt.abort();
    await this.loop;
  }

  private attlogLine(r: SimPushRecord): string {
    const fields = [r.pin, r.localTime.replace('T', ' '), String(r.state), String(r.verify), r.workCode === null ? '' : String(r.workCode), '0', '0'];
    if (this.o.quirks?.extendedFields) fields.push('0', '36.5', '97.7', '0', '');
    return fields.join('\t') + (this.o.quirks?.trailingTab === false ? '' : '\t');
  }

  /** OPERLOG, then BIODATA lines waiting, in batches, each retried until `OK`. */
  private async uploadOperlog(): Promise<void> {
    for (const [table, lines] of [['OPERLOG', this.operlog], ['BIODATA', this.biodata]] as const) {
      while (lines.length > 0) {
        const batch = lines.slice(0, this.o.batchSize ?? 100);
        const eol = this.o.quirks?.crlf === false ? '\n' : '\r\n';
        await this.untilOk('cdata-post', () => this.request('POST', `/iclock/cdata?SN=${this.serial}&table=${table}&Stamp=${Math.floor(Date.now() / 1000)}`, batch.join(eol) + eol), (r) => /^OK/.test(r.body));
        lines.splice(0, batch.length);
      }
    }
  }

  /** DATA UPDATE|DELETE|QUERY USERINFO|FINGERTMP; undefined when it is no such command. */
  private executeUsers(command: string): number | undefined {
    const m = /^DATA (UPDATE|DELETE|QUERY) (USERINFO|FINGERTMP)(?: (.*))?$/.exec(command);
    if (!m) return undefined;
    const [, action, table] = m;
    const f: Record<string, string> = {};
    for (const part of (m[3] ?? '').split('\t')) {
      const eq = part.indexOf('=');
      if (eq > 0) f[part.slice(0, eq)] = part.slice(eq + 1);
    }
    const pin = f.PIN;
    if (action === 'UPDATE' && table === 'USERINFO') {
      if (!pin) return -1;
      if (!this.users.has(pin) && this.users.size >= (this.o.maxUsers ?? Infinity)) return -5;
      this.users.set(pin, { pin, name: f.Name ?? '', privilege: Number(f.Pri ?? 0), password: f.Passwd ?? '', card: f.Card ?? '', group: Number(f.Grp ?? 1) });
      return 0;
    }
    if (action === 'UPDATE') {
      const fid = Number(f.FID);
      const tmp = f.TMP ?? '';
      if (!pin || !Number.isInteger(fid) || fid < 0 || fid > 9 || tmp === '') return -1;
      if (!this.users.has(pin)) return -10;
      if (Number(f.Size) !== tmp.length) return -9;
      this.fingers.set(`${pin}:${fid}`, { pin, fid, valid: f.Valid !== '0', tmp });
      return 0;
    }
    if (action === 'DELETE' && table === 'USERINFO') {
      if (!pin) return -1;
      if (!this.users.delete(pin)) return -10;
      for (const key of [...this.fingers.keys()]) if (key.startsWith(`${pin}:`)) this.fingers.delete(key);
      this.faceTable.dropUser(pin);
      return 0;
    }
    if (action === 'DELETE') {
      return pin && this.fingers.delete(`${pin}:${f.FID}`) ? 0 : -10;
    }
    // QUERY: the answer is OPERLOG lines, uploaded before the result
    const lines = table === 'USERINFO'
      ? [...this.users.values()].filter((u) => !pin || u.pin === pin).map(userLine)
      : [...this.fingers.values()].filter((x) => (!pin || x.pin === pin) && (f.FID === undefined || String(x.fid) === f.FID)).map(fingerLine);
    this.operlog.push(...lines);
    return lines.length === 0 ? -4 : 0;
  }

  private async execute(id: string, command: string): Promise<string> {
    let returnCode = 0;
    let extra = '';
    const query = /^DATA QUERY ATTLOG StartTime=([\d-]+ [\d:]+)\tEndTime=([\d-]+ [\d:]+)/.exec(command);
    const faces = this.faceTable.execute(command, (pin) => this.users.has(pin));
    if (faces) this.queueUploads(faces.uploads);
    const users = faces ? faces.returnCode : this.executeUsers(command);
    if (users !== undefined) {
      returnCode = users;
      await this.uploadOperlog();
    } else if (query) {
      const [from, to] = [query[1]!.replace(' ', 'T'), query[2]!.replace(' ', 'T')];
      for (const r of this.records) if (r.localTime >= from && r.localTime <= to) r.uploaded = false;
    } else if (command === 'INFO') {
      extra = `\n~DeviceName=${this.o.model ?? 'SIM-PUSH'}\nFWVersion=${this.o.firmware ?? 'Ver 6.60 Sep 27 2019'}\nUserCount=${this.users.size}\nFPCount=${this.fingers.size}\n~ZKFPVersion=${this.o.fingerVersion ?? '10'}\n${this.faceTable.infoLines().join('\n')}\nTransactionCount=${this.records.length}\nDateTime=${this.now().replace('T', ' ')}`;
    } else if (command === 'REBOOT') {
      setImmediate(() => void this.handshake().catch(() => undefined));
    } else if (command !== 'CHECK') {
      returnCode = -1002;
    }
    // template text stays out of the event log (and of what a test prints)
    const shown = command.replace(/\t(TMP)=.*$/i, '\t$1=…');
    this.commandsRun.push({ id, command: shown, returnCode });
    this.o.onEvent?.(`command ${id}: ${shown} → ${returnCode}`);
    if (query) await this.upload();
    return `ID=${id}&Return=${returnCode}&CMD=${command.split(' ')[0]}${extra}`;
  }

  /** What the terminal holds, for a test to compare. */
  userTable(): { users: SimPushUser[]; fingers: SimPushFinger[]; faces: SimPushFace[] } {
    return { users: [...this.users.values()], fingers: [...this.fingers.values()], faces: [...this.faces.values()] };
  }

  private request(method: 'GET' | 'POST', pathAndQuery: string, body?: string, dropReply = false): Promise<SimResponse> {
    const key = pathAndQuery.split('?')[0]!.replace('/iclock/', '') + (method === 'POST' && pathAndQuery.includes('cdata') ? '-post' : '');
    this.attempts[key] = (this.attempts[key] ?? 0) + 1;
    return simRequest({
      target: this.target, method, pathAndQuery, signal: this.halt.signal, dropReply,
      ...(body !== undefined ? { body } : {}), ...(this.o.quirks?.gzip ? { gzip: true } : {}), ...(this.o.quirks?.http10 ? { http10: true } : {}),
    });
  }

  /** Sends until `accept` holds for a 200 reply; waits `retryMs` after each failure (connection refused, 5xx, …). */
  private async untilOk(what: string, send: () => Promise<SimResponse>, accept: (r: SimResponse) => boolean): Promise<SimResponse> {
    for (;;) {
      if (this.halt.signal.aborted) throw new Error('simulator stopped');
      try {
        const res = await send();
        if (res.status === 200 && accept(res)) return res;
        this.o.onEvent?.(`${what}: HTTP ${res.status} ${res.body.slice(0, 60)}; retrying`);
      } catch (error) {
        this.o.onEvent?.(`${what}: ${(error as Error).message}; retrying`);
      }
      await this.sleep(this.o.retryMs ?? Number(this.options.ErrorDelay ?? 30) * 1000);
    }
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.halt.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      // the listener goes when the wait ends, or every wait of a long run would leave one behind
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function userLine(u: SimPushUser): string {
  return `USER PIN=${u.pin}\tName=${u.name}\tPri=${u.privilege}\tPasswd=${u.password}\tCard=${u.card}\tGrp=${u.group}`;
}

function fingerLine(f: SimPushFinger): string {
  return `FP PIN=${f.pin}\tFID=${f.fid}\tSize=${f.tmp.length}\tValid=${f.valid ? 1 : 0}\tTMP=${f.tmp}`;
}
