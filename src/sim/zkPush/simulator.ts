// A simulated ZKTeco PUSH (ADMS) terminal: it calls a gateway the way real terminals do, for demos,
// training and tests (`absensi-gateway simulate zk-push`). Behaviour from zk-push.md.
// Invariants:
// - A punch is recorded once in the terminal log and marked uploaded only when the gateway
//   answered `OK` to the body carrying it; until then it is sent again after `retryMs`.
// - The terminal clock is real time + clockOffsetSec in the terminal's zone; a handshake reply's
//   Date header and TimeZone option set both (zk-push.md "Other response details").
// - Commands from getrequest are executed and answered on devicecmd: INFO, DATA QUERY ATTLOG
//   (marks the range for upload again), CHECK, REBOOT (handshake again); others Return=-1002.
// - `stop()` ends the loop and any request or wait in flight.
import { formatLocal, zoneOffsetMinutes } from '../../punch/time.js';
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
  onEvent?: (line: string) => void;
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

  /** Uploads every record not yet acknowledged, in batches, each retried until `OK`. */
  async upload(): Promise<number> {
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

  private async execute(id: string, command: string): Promise<string> {
    let returnCode = 0;
    let extra = '';
    const query = /^DATA QUERY ATTLOG StartTime=([\d-]+ [\d:]+)\tEndTime=([\d-]+ [\d:]+)/.exec(command);
    if (query) {
      const [from, to] = [query[1]!.replace(' ', 'T'), query[2]!.replace(' ', 'T')];
      for (const r of this.records) if (r.localTime >= from && r.localTime <= to) r.uploaded = false;
    } else if (command === 'INFO') {
      extra = `\n~DeviceName=${this.o.model ?? 'SIM-PUSH'}\nFWVersion=${this.o.firmware ?? 'Ver 6.60 Sep 27 2019'}\nUserCount=10\nTransactionCount=${this.records.length}\nDateTime=${this.now().replace('T', ' ')}`;
    } else if (command === 'REBOOT') {
      setImmediate(() => void this.handshake().catch(() => undefined));
    } else if (command !== 'CHECK') {
      returnCode = -1002;
    }
    this.commandsRun.push({ id, command, returnCode });
    this.o.onEvent?.(`command ${id}: ${command} → ${returnCode}`);
    if (query) await this.upload();
    return `ID=${id}&Return=${returnCode}&CMD=${command.split(' ')[0]}${extra}`;
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
