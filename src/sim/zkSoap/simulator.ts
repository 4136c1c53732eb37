// A ZK SOAP web service terminal over a real TCP socket, for demos and tests: it answers
// `POST /iWsService` the way the Solution vendor samples and tad-php expect (HTTP/1.0, "Server: ZK
// Web Server", no Content-Length, connection closed after the body), with a comm key check.
// Invariants:
// - One request per connection; the answer is written in ISO-8859-1 and the socket is closed.
// - Responses use only shapes quoted from public sources (GetAttLogResponse rows, Result/Information
//   rows, "No data!"); what a real terminal answers to a wrong comm key is not documented publicly:
//   this simulator answers `<Result>0</Result><Information>Fail!</Information>` (tad-php's failure
//   text), labelled synthetic.
// - Faults: `slowMs` pauses before and inside the answer; `truncate` closes the connection halfway
//   through the body; `rejectKey` refuses every comm key; `noClock` answers GetDate as a firmware
//   without it would (a failure row); `dropAfterWrites: n` answers n more writes (SetUserInfo,
//   SetUserTemplate, DeleteUser), then closes the next write's connection unanswered and unapplied,
//   once: a terminal that went away mid-write. `hold` stops every GetAttLog answer halfway through its
//   body until release() (a test sees the gateway commit while the rest is still to come).
// - Pacing (`packetBytes`, `packetGapMs`): the answer goes out in packets of that size with that
//   gap between them, each after the last one was taken by the socket, like a terminal's slow web
//   server; without it the answer is written at once.
// - Users and templates live in userTable.ts (seedable: `users`, `templatesPerUser`, `fingerAlgorithm`).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { wallFromSeconds, wallSeconds, wallTimeIn } from '../../punch/time.js';
import { parseLocalTime } from '../../punch/time.js';
import { SoapUserTable, type Answer, type UserTableOptions } from './userTable.js';

export interface ZkSoapSimFaults {
  slowMs?: number;
  truncate?: boolean;
  rejectKey?: boolean;
  noClock?: boolean;
  dropAfterWrites?: number;
  /** stop each GetAttLog answer halfway through its body until release() */
  hold?: boolean;
}

const WRITE_CALLS = new Set(['SetUserInfo', 'SetUserTemplate', 'DeleteUser']);

export interface ZkSoapSimOptions {
  host?: string;
  port?: number;
  records?: number;
  users?: number;
  commKey?: string;
  /** terminal clock minus real time, seconds */
  clockOffsetSec?: number;
  timeZone?: string;
  serial?: string;
  /** device time of record 0; records follow 37 s apart */
  firstRecordTime?: string;
  /** templates per seeded user: 0 (default), 1, 2, or 'mixed' (1 or 2) */
  templatesPerUser?: UserTableOptions['templatesPerUser'];
  /** what GetOption ~ZKFPVersion answers (default '10'); null: the terminal does not answer it */
  fingerAlgorithm?: string | null;
  /** bytes per packet of an answer when paced (0: written at once) */
  packetBytes?: number;
  /** gap between two packets of an answer, ms (with packetBytes) */
  packetGapMs?: number;
  faults?: ZkSoapSimFaults;
}

export interface SimSoapPunch {
  pin: string;
  localTime: string;
  verified: number;
  status: number;
  workCode: number;
}

const VERIFY_CYCLE = [1, 15, 4, 3, 25];
const HEAD = 'HTTP/1.0 200 OK\r\nServer: ZK Web Server\r\nPragma: no-cache\r\nCache-control: no-cache\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n';
const NOT_FOUND = 'HTTP/1.0 404 Not Found\r\nServer: ZK Web Server\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><body><h1>404 Not Found</h1></body></html>';
const MAX_REQUEST_BYTES = 64 * 1024;

const requestParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, processEntities: true, htmlEntities: false });

export class ZkSoapSimulator {
  readonly log: SimSoapPunch[] = [];
  /** `held`: answers stopped halfway now (faults.hold); `answered`: answers written to their end */
  readonly stats = { connections: 0, calls: {} as Record<string, number>, refused: 0, truncated: 0, dropped: 0, held: 0, answered: 0 };
  private readonly holds: (() => void)[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private clockOffsetSec: number;
  readonly o: Required<Omit<ZkSoapSimOptions, 'faults'>> & { faults: ZkSoapSimFaults };
  /** the terminal's users and templates */
  readonly table: SoapUserTable;

  constructor(options: ZkSoapSimOptions = {}) {
    this.o = {
      host: '127.0.0.1', port: 0, records: 100, users: 20, commKey: '0', clockOffsetSec: 0, timeZone: 'Asia/Jakarta',
      serial: 'SIMSOAP00001', firstRecordTime: '2026-01-05T07:00:00', templatesPerUser: 0, fingerAlgorithm: '10', packetBytes: 0, packetGapMs: 0, ...options, faults: { ...options.faults },
    };
    this.table = new SoapUserTable({ users: this.o.users, templatesPerUser: this.o.templatesPerUser, fingerAlgorithm: this.o.fingerAlgorithm });
    this.clockOffsetSec = this.o.clockOffsetSec;
    const start = wallSeconds(parseLocalTime(this.o.firstRecordTime) ?? wallTimeIn(this.o.timeZone, Date.now()));
    for (let i = 0; i < this.o.records; i++) {
      this.log.push({ pin: String(1 + (i % this.o.users)), localTime: formatWall(start + i * 37), verified: VERIFY_CYCLE[i % VERIFY_CYCLE.length]!, status: i % 2, workCode: 0 });
    }
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address() as AddressInfo | undefined;
    return { host: this.o.host, port: a?.port ?? 0 };
  }

  async start(): Promise<void> {
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** Lets every held answer (faults.hold) go on to its end. */
  release(): void {
    for (const go of this.holds.splice(0)) go();
  }

  /** A punch made now on the terminal (device clock), or at `localTime`. */
  addPunch(p: Partial<SimSoapPunch> & { pin: string }): SimSoapPunch {
    const punch: SimSoapPunch = { localTime: this.deviceNow(), verified: 1, status: 0, workCode: 0, ...p };
    this.log.push(punch);
    return punch;
  }

  /** terminal clock minus real time, seconds; set it to play a clock changed at the terminal */
  get clockOffset(): number {
    return this.clockOffsetSec;
  }

  set clockOffset(seconds: number) {
    this.clockOffsetSec = seconds;
  }

  deviceNow(): string {
    return formatWall(wallSeconds(wallTimeIn(this.o.timeZone, Date.now())) + this.clockOffsetSec);
  }

  private accept(socket: Socket): void {
    this.stats.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const request = completeRequest(received);
      if (request === 'incomplete' && received.length < MAX_REQUEST_BYTES) return;
      socket.off('data', onData);
      void this.answer(socket, request === 'incomplete' ? undefined : request);
    };
    socket.on('data', onData);
  }

  private async answer(socket: Socket, request: { path: string; body: string } | undefined): Promise<void> {
    if (!request || request.path !== '/iWsService') {
      socket.end(Buffer.from(NOT_FOUND, 'latin1'));
      return;
    }
    const answer = this.respond(request.body);
    if (answer === undefined) {
      socket.destroy();
      return;
    }
    const body = Buffer.from(`\r\n${answer}`, 'latin1');
    const { slowMs, truncate, hold } = this.o.faults;
    if (slowMs) await pause(slowMs);
    const half = Math.floor(body.length / 2);
    await this.send(socket, Buffer.concat([Buffer.from(HEAD, 'latin1'), body.subarray(0, half)]));
    if (truncate) {
      this.stats.truncated++;
      socket.end();
      return;
    }
    if (hold && answer.startsWith('<GetAttLogResponse')) {
      this.stats.held++;
      await new Promise<void>((resolve) => this.holds.push(resolve));
      this.stats.held--;
    }
    if (slowMs) await pause(slowMs);
    await this.send(socket, body.subarray(half));
    socket.end();
    this.stats.answered++;
  }

  /** Writes `bytes` at once, or paced in packets (packetBytes, packetGapMs). */
  private async send(socket: Socket, bytes: Buffer): Promise<void> {
    const size = this.o.packetBytes;
    if (size <= 0) {
      socket.write(bytes);
      return;
    }
    for (let at = 0; at < bytes.length && !socket.destroyed; at += size) {
      if (!socket.write(bytes.subarray(at, at + size))) await new Promise<void>((resolve) => socket.once('drain', resolve).once('close', resolve));
      if (this.o.packetGapMs > 0) await pause(this.o.packetGapMs);
    }
  }

  /** The XML answer to one request body; undefined: the connection is dropped unanswered (dropAfterWrites). */
  respond(xml: string): string | undefined {
    let parsed: Record<string, Record<string, unknown>>;
    try {
      parsed = requestParser.parse(xml) as Record<string, Record<string, unknown>>;
    } catch {
      return result('Response', false, 'Fail!');
    }
    const call = Object.keys(parsed)[0] ?? 'Unknown';
    const req = typeof parsed[call] === 'object' && parsed[call] !== null ? parsed[call] : {};
    this.stats.calls[call] = (this.stats.calls[call] ?? 0) + 1;
    const arg = (typeof req.Arg === 'object' && req.Arg !== null ? req.Arg : {}) as Record<string, unknown>;
    if (this.o.faults.rejectKey || String(req.ArgComKey ?? '') !== this.o.commKey) {
      this.stats.refused++;
      return result(`${call}Response`, false, 'Fail!');
    }
    if (WRITE_CALLS.has(call) && this.o.faults.dropAfterWrites !== undefined) {
      if (this.o.faults.dropAfterWrites <= 0) {
        delete this.o.faults.dropAfterWrites;
        this.stats.dropped++;
        return undefined;
      }
      this.o.faults.dropAfterWrites--;
    }
    const users = this.table.handle(call, arg);
    return users ? rowsOf(users.root, users.rows) : this.handle(call, arg);
  }

  private handle(call: string, arg: Record<string, unknown>): string {
    switch (call) {
      case 'GetAttLog': {
        const pin = String(arg.PIN ?? 'All');
        const rows = this.log.filter((p) => pin === 'All' || pin === '' || p.pin === pin);
        if (rows.length === 0) return result('GetAttLogResponse', false, 'No data!');
        return rowsOf('GetAttLogResponse', rows.map((p) => `<Row><PIN>${p.pin}</PIN><DateTime>${p.localTime.replace('T', ' ')}</DateTime><Verified>${p.verified}</Verified><Status>${p.status}</Status><WorkCode>${p.workCode}</WorkCode></Row>`));
      }
      case 'GetDate': {
        if (this.o.faults.noClock) return result('GetDateResponse', false, 'Fail!');
        const [date, time] = this.deviceNow().split('T');
        return rowsOf('GetDateResponse', [`<Row><Date>${date}</Date><Time>${time}</Time></Row>`]);
      }
      case 'SetDate': {
        const wall = parseLocalTime(`${String(arg.Date ?? '')}T${String(arg.Time ?? '')}`);
        if (!wall) return result('SetDateResponse', false, 'Fail!');
        this.clockOffsetSec = wallSeconds(wall) - wallSeconds(wallTimeIn(this.o.timeZone, Date.now()));
        return result('SetDateResponse', true, 'Successfully!');
      }
      case 'ClearData': {
        if (String(arg.Value ?? '') !== '3') return result('ClearDataResponse', false, 'Fail!');
        this.log.length = 0;
        return result('ClearDataResponse', true, 'Successfully!');
      }
      case 'GetOption':
        return String(arg.Name ?? '') === '~SerialNumber'
          ? rowsOf('GetOptionResponse', [`<Row><Value>~SerialNumber=${this.o.serial}</Value></Row>`])
          : result('GetOptionResponse', false, 'Fail!');
      default:
        return result(`${call}Response`, false, 'Fail!');
    }
  }
}

function rowsOf(root: Answer['root'], rows: Answer['rows']): string {
  return `<${root}>\r\n${rows.map((r) => `${r}\r\n`).join('')}</${root}>\r\n`;
}

function result(root: string, ok: boolean, information: string): string {
  return rowsOf(root, [`<Row><Result>${ok ? 1 : 0}</Result><Information>${information}</Information></Row>`]);
}

function formatWall(seconds: number): string {
  const t = wallFromSeconds(seconds);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${t.year}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `{path, body}` once the head and Content-Length bytes of body have arrived. */
function completeRequest(bytes: Buffer): { path: string; body: string } | 'incomplete' {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return 'incomplete';
  const head = bytes.subarray(0, end).toString('latin1');
  const [requestLine = ''] = head.split('\r\n');
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
  if (bytes.length < end + 4 + length) return 'incomplete';
  const path = /^POST (\S+) HTTP\/1\.[01]$/.exec(requestLine)?.[1] ?? '';
  return { path, body: bytes.subarray(end + 4, end + 4 + length).toString('latin1') };
}
