// A simulated EasyLink bridge (FService.exe) with one or more terminals behind it, over a real HTTP
// socket. It speaks what the public samples show (zamzamzhafry/easylink-frontend, the EasyLink SDK
// User Guide): form POSTs with sn=<SN> (the query string is read too, as FService does for curl
// users), JSON replies with the Revo key order, `{"Result":false,"message_code":0,"message":"No data"}`
// when /scanlog/new has nothing.
// Invariants:
// - /scanlog/new is a single-consumer cursor per terminal: rows it returned are never returned again.
// - /scanlog/all/paging is a session per terminal: each call returns the next `limit` rows (default
//   100) with IsSession true while more follow; the last page has IsSession false and ends the
//   session, the next call starts over. An abandoned session is resumed by the next caller, whoever
//   it is (the hazard the driver guards against by counting rows).
// - Unknown sn: `{"Result":false}` (a guess: the guide documents only that shape for failures).
// - from/to/page on the paging endpoint: the connection is dropped without a reply (FService crashed
//   on them: docs/response_testing.md).
// - Users and templates per terminal live in userTable.ts (/user/all/paging, /user/set, /user/del);
//   `dropAfterUserSets: n` answers n more /user/set calls, then applies the next one and drops its
//   connection without a reply, once (a bridge that went away after the terminal took the user).
// - DEVINFO says `Algoritma` only with `statesAlgorithm` (the guide's older sample does, a Revo does not).
// - Pacing (`packetBytes`, `packetGapMs`): a JSON answer goes out in packets of that size with that
//   gap between them, each after the last one was taken by the socket, like the bridge relaying a
//   terminal's slow replies; without it the answer is written at once.
// - Binds 127.0.0.1 unless told otherwise; `stop()` closes every socket.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { formatWallTime, wallTimeIn } from '../../punch/time.js';
import { EasyLinkUserTable, type EasyLinkUserTableOptions } from './userTable.js';

export interface SimScan {
  pin: string;
  /** `YYYY-MM-DD HH:mm:ss`, terminal wall time */
  scanDate: string;
  verifyMode: number;
  ioMode: number;
  workCode: number;
}

export interface FingerspotFaults {
  /** delay every reply by this much */
  slowMs?: number;
  /** answer the next n requests with HTTP 500 */
  http500?: number;
  /** answer the next n requests with a body that is not JSON */
  garbage?: number;
  /** answer the next n requests `{"Result":false,"message":…}` */
  resultFalse?: number;
  resultFalseMessage?: string;
  /** the next n /scanlog/new calls consume their rows, then drop the connection without a reply */
  dropAfterConsume?: number;
  /** the next paging call that would return rows from this index answers HTTP 500 (once; the session stays open) */
  failPagingAt?: number;
  dropAfterUserSets?: number;
}

export interface FingerspotSimOptions {
  host?: string;
  port?: number;
  /** terminals behind the bridge, by serial; the first is the default */
  serials?: string[];
  timeZone?: string;
  /** terminal clock minus real time, seconds */
  clockOffsetSec?: number;
  /** DEVINFO without `Jam`, as the guide's older firmware sample: the terminal tells no clock */
  noClock?: boolean;
  /** users and templates of every terminal behind the bridge */
  userTable?: EasyLinkUserTableOptions;
  /** DEVINFO carries `Algoritma` (the terminal's alg_ver) */
  statesAlgorithm?: boolean;
  faults?: FingerspotFaults;
  /** write each JSON answer in packets of this many bytes (0 or unset: at once) */
  packetBytes?: number;
  /** gap between two packets of an answer, ms (with packetBytes) */
  packetGapMs?: number;
}

interface Terminal {
  serial: string;
  log: SimScan[];
  /** rows [0, newCursor) were returned by /scanlog/new */
  newCursor: number;
  /** next row of the paging session; undefined when no session is open */
  pagingCursor: number | undefined;
  clockOffsetSec: number;
  users: EasyLinkUserTable;
}

export interface FingerspotSimStats {
  requests: Record<string, number>;
  consumedByNew: number;
  dropped: number;
}

export class FingerspotSimulator {
  readonly faults: FingerspotFaults;
  readonly stats: FingerspotSimStats = { requests: {}, consumedByNew: 0, dropped: 0 };
  private readonly terminals = new Map<string, Terminal>();
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly zone: string;

  constructor(private readonly o: FingerspotSimOptions = {}) {
    this.faults = { ...o.faults };
    this.zone = o.timeZone ?? 'Asia/Jakarta';
    for (const serial of o.serials ?? ['SIMFS0000001']) {
      this.terminals.set(serial.toUpperCase(), { serial, log: [], newCursor: 0, pagingCursor: undefined, clockOffsetSec: o.clockOffsetSec ?? 0, users: new EasyLinkUserTable(o.userTable) });
    }
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  terminal(serial?: string): Terminal {
    const t = serial ? this.terminals.get(serial.toUpperCase()) : this.terminals.values().next().value;
    if (!t) throw new Error(`no simulated terminal ${serial ?? ''}`);
    return t;
  }

  /** The terminal clock now, `YYYY-MM-DD HH:mm:ss`. */
  clock(serial?: string): string {
    return formatWallTime(wallTimeIn(this.zone, Date.now() + this.terminal(serial).clockOffsetSec * 1000)).replace('T', ' ');
  }

  /** A punch at the terminal (now on its clock unless given). */
  addPunch(p: Partial<SimScan> & { pin: string }, serial?: string): SimScan {
    const scan: SimScan = { scanDate: p.scanDate ?? this.clock(serial), verifyMode: p.verifyMode ?? 1, ioMode: p.ioMode ?? 1, workCode: p.workCode ?? 0, pin: p.pin };
    this.terminal(serial).log.push(scan);
    return scan;
  }

  /** `count` punches one minute apart from `start` (`YYYY-MM-DD HH:mm:ss`), PINs cycling 1..users. */
  fill(count: number, start = '2026-03-02 07:00:00', users = 20, serial?: string): void {
    const t0 = Date.parse(`${start.replace(' ', 'T')}Z`);
    for (let i = 0; i < count; i++) {
      const scanDate = new Date(t0 + i * 60_000).toISOString().slice(0, 19).replace('T', ' ');
      this.addPunch({ pin: String(1 + (i % users)), scanDate, verifyMode: [1, 20, 30][i % 3], ioMode: 1 + (i % 2) }, serial);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const path = new URL(req.url ?? '/', 'http://bridge').pathname;
    this.stats.requests[path] = (this.stats.requests[path] ?? 0) + 1;
    if (this.faults.slowMs) await new Promise((resolve) => setTimeout(resolve, this.faults.slowMs));
    if (takeFault(this.faults, 'http500')) return send(res, 500, 'Internal Server Error');
    if (takeFault(this.faults, 'garbage')) return send(res, 200, '<html><body>Error reading mm_user.Lines.Strings</body></html>');
    if (takeFault(this.faults, 'resultFalse')) return this.json(res, { Result: false, message: this.faults.resultFalseMessage ?? 'Device not connected' });
    const terminal = this.terminals.get((form.get('sn') ?? '').toUpperCase());
    if (!terminal) return this.json(res, { Result: false });
    switch (path) {
      case '/dev/info':
        return this.json(res, { Result: true, DEVINFO: this.devInfo(terminal) });
      case '/dev/settime':
        terminal.clockOffsetSec = 0;
        return this.json(res, { Result: true });
      case '/scanlog/new':
        return this.scanlogNew(terminal, res);
      case '/scanlog/all/paging':
        if (['from', 'to', 'page'].some((k) => form.has(k))) {
          this.stats.dropped++;
          res.socket?.destroy();
          return;
        }
        return this.page(terminal, Number(form.get('limit') ?? 100) || 100, res);
      case '/user/all/paging':
        if (['from', 'to', 'page'].some((k) => form.has(k))) {
          this.stats.dropped++;
          res.socket?.destroy();
          return;
        }
        return this.json(res, terminal.users.page(Number(form.get('limit') ?? 100) || 100));
      case '/user/set': {
        const reply = terminal.users.set(form);
        if (this.faults.dropAfterUserSets !== undefined && this.faults.dropAfterUserSets-- <= 0) {
          delete this.faults.dropAfterUserSets;
          this.stats.dropped++;
          res.socket?.destroy();
          return;
        }
        return this.json(res, reply);
      }
      case '/user/del':
        return this.json(res, terminal.users.del(form));
      default:
        return this.json(res, { Result: false });
    }
  }

  private devInfo(t: Terminal): Record<string, string> {
    const pins = new Set(t.log.map((s) => s.pin));
    const [date, time] = this.clock(t.serial).split(' ') as [string, string];
    const [y, m, d] = date.split('-');
    return {
      ...(this.o.noClock ? {} : { Jam: `${d}/${m}/${y} ${time}` }), ...(this.o.statesAlgorithm ? { Algoritma: t.users.algVer } : {}), Admin: '1', User: String(pins.size), FP: String(pins.size), Face: '0', Vein: '0', CARD: '0', PWD: '0',
      'All Operasional': '0', 'All Presensi': String(t.log.length), 'New Operasional': '0', 'New Presensi': String(t.log.length - t.newCursor),
    };
  }

  /** A JSON answer, written at once or paced in packets (packetBytes, packetGapMs). */
  private async json(res: ServerResponse, value: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(value), 'utf8');
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, Connection: 'close' });
    const size = this.o.packetBytes ?? 0;
    if (size <= 0) {
      res.end(body);
      return;
    }
    for (let at = 0; at < body.length && !res.destroyed; at += size) {
      if (!res.write(body.subarray(at, at + size))) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
      if ((this.o.packetGapMs ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, this.o.packetGapMs));
    }
    res.end();
  }

  private scanlogNew(t: Terminal, res: ServerResponse): Promise<void> | void {
    const rows = t.log.slice(t.newCursor);
    t.newCursor = t.log.length;
    this.stats.consumedByNew += rows.length;
    if (rows.length > 0 && takeFault(this.faults, 'dropAfterConsume')) {
      this.stats.dropped++;
      res.socket?.destroy();
      return;
    }
    if (rows.length === 0) return this.json(res, { Result: false, message_code: 0, message: 'No data' });
    return this.json(res, { Result: true, Data: rows.map((s) => rowOf(t.serial, s)) });
  }

  private page(t: Terminal, limit: number, res: ServerResponse): Promise<void> | void {
    const from = t.pagingCursor ?? 0;
    if (this.faults.failPagingAt === from) {
      delete this.faults.failPagingAt;
      return send(res, 500, 'Internal Server Error');
    }
    const rows = t.log.slice(from, from + limit);
    const more = from + rows.length < t.log.length;
    t.pagingCursor = more ? from + rows.length : undefined;
    return this.json(res, { IsSession: more, Result: true, Data: rows.map((s) => rowOf(t.serial, s)) });
  }
}

/** A row with the key order of the Revo replies in "sdk response.txt". */
function rowOf(serial: string, s: SimScan): Record<string, unknown> {
  return { PIN: s.pin, WorkCode: s.workCode, SN: serial, VerifyMode: s.verifyMode, ScanDate: s.scanDate, IOMode: s.ioMode };
}

function takeFault(faults: FingerspotFaults, key: 'http500' | 'garbage' | 'resultFalse' | 'dropAfterConsume'): boolean {
  const n = faults[key] ?? 0;
  if (n <= 0) return false;
  faults[key] = n - 1;
  return true;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(new URL(req.url ?? '/', 'http://bridge').search);
  for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) form.set(k, v);
  return form;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}
