// A Hikvision ISAPI face-terminal simulator over a real HTTP socket, for tests, demos and training.
// Invariants:
// - Binds 127.0.0.1 unless told otherwise; speaks ISAPI as terminals do: every request needs HTTP
//   Digest (MD5 or SHA-256, qop=auth); an answer with an expired nonce gets 401 stale=true, a
//   wrong password a plain 401.
// - /ISAPI/System/deviceInfo and /ISAPI/System/time answer XML; AcsEvent answers JSON pages of at
//   most `pageCap` records, MORE while more remain, OK on the last page, NO MATCH when none, and
//   (with `shuffle`) each page's InfoList out of serialNo order, as real terminals do.
// - Pacing (`packetBytes`, `packetGapMs`): an AcsEvent answer goes out in packets of that size with
//   that gap between them, each after the last one was taken by the socket, like a terminal's slow
//   web server; without it (and for every other answer) the answer is written at once.
// - Push mode: `push(url, event)` POSTs one event as the terminal's HTTP host notification,
//   multipart/form-data with an `event_log` JSON field (or plain JSON), and returns the status.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { digestResponse, parseAuthParams, type DigestAlgorithm } from '../../../drivers/hikvision-isapi/digest.js';
import { formatLocal, formatOffset } from '../../punch/time.js';

export interface SimEvent {
  serialNo: number;
  major: number;
  minor: number;
  /** ISO 8601 with the terminal's offset */
  time: string;
  employeeNoString?: string;
  name?: string;
  currentVerifyMode?: string;
  attendanceStatus?: string;
}

export interface HikSimOptions {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  algorithm?: DigestAlgorithm;
  serial?: string;
  model?: string;
  firmware?: string;
  macAddress?: string;
  /** the terminal's UTC offset, minutes (default 420, WIB) */
  offsetMinutes?: number;
  /** terminal clock minus real time, seconds */
  clockOffsetSec?: number;
  /** generated attendance history: this many punches (plus a door event every fifth) */
  records?: number;
  /** first generated punch, epoch ms (default: two days ago) */
  firstPunchMs?: number;
  /** records per page at most, whatever maxResults asks (default 30) */
  pageCap?: number;
  shuffle?: boolean;
  /** nonces expire after this many uses (stale=true challenge); 0 never */
  nonceUses?: number;
  /** answer AcsEvent with this text instead of JSON (garbage tests) */
  acsEventBody?: string;
  /** write each AcsEvent answer in packets of this many bytes (0: at once) */
  packetBytes?: number;
  /** gap between two packets of an AcsEvent answer, ms (with packetBytes) */
  packetGapMs?: number;
}

const ATTENDANCE = [
  { minor: 75, currentVerifyMode: 'cardOrFaceOrFp' },
  { minor: 38, currentVerifyMode: 'cardOrFaceOrFp' },
  { minor: 1, currentVerifyMode: 'cardOrFaceOrFp' },
];
const STATUSES = ['checkIn', 'checkOut', 'breakOut', 'breakIn', 'overtimeIn', 'overtimeOut'];

export class HikvisionSimulator {
  readonly events: SimEvent[] = [];
  readonly stats = { requests: {} as Record<string, number>, unauthorized: 0, stale: 0, pushes: 0 };
  private server: Server | undefined;
  private nonce = randomBytes(12).toString('hex');
  private nonceUses = 0;
  private readonly o: Required<Omit<HikSimOptions, 'acsEventBody' | 'firstPunchMs'>> & Pick<HikSimOptions, 'acsEventBody' | 'firstPunchMs'>;

  constructor(options: HikSimOptions = {}) {
    this.o = {
      host: '127.0.0.1', port: 0, username: 'admin', password: 'Admin12345', algorithm: 'MD5', serial: 'DS-K1T341AM20220101V030230ENG12345678',
      model: 'DS-K1T341AM', firmware: 'V3.2.30', macAddress: '24:32:ae:55:c9:c0', offsetMinutes: 420, clockOffsetSec: 0, records: 0,
      pageCap: 30, shuffle: true, nonceUses: 0, packetBytes: 0, packetGapMs: 0, ...options,
    };
    const first = this.o.firstPunchMs ?? Date.now() - 2 * 86_400_000;
    for (let i = 0; i < this.o.records; i++) {
      const at = first + i * 60_000;
      if (i % 5 === 4) this.addEvent({ major: 5, minor: 22, time: at });
      const kind = ATTENDANCE[i % ATTENDANCE.length]!;
      this.addEvent({ ...kind, major: 5, time: at, employeeNoString: String(1 + (i % 20)), attendanceStatus: STATUSES[i % 2] });
    }
  }

  get address(): { host: string; port: number; url: string } {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('simulator not started');
    return { host: a.address, port: a.port, url: `http://${a.address}:${a.port}` };
  }

  /** ISO 8601 with the terminal's offset, for an instant. */
  timeOf(epochMs: number): string {
    return `${formatLocal(epochMs + this.o.clockOffsetSec * 1000, this.o.offsetMinutes)}${formatOffset(this.o.offsetMinutes)}`;
  }

  addEvent(e: Omit<SimEvent, 'serialNo' | 'time'> & { time?: number | string }): SimEvent {
    const time = typeof e.time === 'string' ? e.time : this.timeOf(e.time ?? Date.now());
    const event: SimEvent = { ...e, time, serialNo: (this.events.at(-1)?.serialNo ?? 0) + 1 };
    this.events.push(event);
    return event;
  }

  /** A face punch by `pin` now (or at `time`). */
  addPunch(pin: string, options: { time?: number | string; minor?: number; attendanceStatus?: string } = {}): SimEvent {
    return this.addEvent({ major: 5, minor: options.minor ?? 75, employeeNoString: pin, currentVerifyMode: 'cardOrFaceOrFp', attendanceStatus: options.attendanceStatus ?? 'checkIn', ...(options.time !== undefined ? { time: options.time } : {}) });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.o.port, this.o.host, resolve));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The push body of an event as the terminal's HTTP host notification sends it. */
  pushBody(event: SimEvent, format: 'multipart' | 'json' = 'multipart'): { body: Buffer; contentType: string } {
    const json = JSON.stringify({
      ipAddress: this.o.host, portNo: 80, protocol: 'HTTP', macAddress: this.o.macAddress, channelID: 1, dateTime: event.time, activePostCount: 1,
      eventType: 'AccessControllerEvent', eventState: 'active', eventDescription: 'Access Controller Event',
      AccessControllerEvent: { deviceName: 'Access Controller', majorEventType: event.major, subEventType: event.minor, name: event.name, employeeNoString: event.employeeNoString, serialNo: event.serialNo, frontSerialNo: event.serialNo - 1, userType: 'normal', currentVerifyMode: event.currentVerifyMode, attendanceStatus: event.attendanceStatus, currentEvent: true, mask: 'no' },
    });
    if (format === 'json') return { body: Buffer.from(json), contentType: 'application/json; charset="UTF-8"' };
    const boundary = 'MIME_boundary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="event_log"\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0xff, 0xd9]),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return { body, contentType: `multipart/form-data; boundary=${boundary}` };
  }

  /** POST one event to the gateway's push URL, as the terminal does; resolves with the HTTP status. */
  async push(url: string, event: SimEvent, format: 'multipart' | 'json' = 'multipart'): Promise<number> {
    const { body, contentType } = this.pushBody(event, format);
    this.stats.pushes += 1;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
    await res.arrayBuffer();
    return res.status;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    this.stats.requests[path.split('?')[0]!] = (this.stats.requests[path.split('?')[0]!] ?? 0) + 1;
    if (!this.authorized(req, res)) return;
    const route = `${req.method} ${path.split('?')[0]}`;
    if (route === 'GET /ISAPI/System/deviceInfo') return this.reply(res, 200, 'application/xml', this.deviceInfoXml());
    if (route === 'GET /ISAPI/System/time') return this.reply(res, 200, 'application/xml', this.timeXml());
    if (route === 'POST /ISAPI/AccessControl/AcsEvent') return void (await this.acsEvent(body, res));
    this.reply(res, 404, 'application/xml', '<ResponseStatus><statusCode>4</statusCode><subStatusCode>notSupport</subStatusCode></ResponseStatus>');
  }

  private authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const header = req.headers.authorization ?? '';
    const challenge = (stale: boolean): boolean => {
      if (stale) this.stats.stale += 1;
      else this.stats.unauthorized += 1;
      this.nonceUses = 0;
      if (stale) this.nonce = randomBytes(12).toString('hex');
      res.setHeader('www-authenticate', `Digest qop="auth", realm="DS-K1T", nonce="${this.nonce}", algorithm=${this.o.algorithm}, opaque="sim"${stale ? ', stale="TRUE"' : ''}`);
      this.reply(res, 401, 'text/html', '<html>401 Unauthorized</html>');
      return false;
    };
    if (!header.startsWith('Digest ')) return challenge(false);
    const p = parseAuthParams(header.slice(7));
    const expected = digestResponse({
      challenge: { realm: p.realm ?? '', nonce: p.nonce ?? '', algorithm: this.o.algorithm, qop: ['auth'], stale: false },
      method: req.method ?? 'GET', uri: p.uri ?? '', username: this.o.username, password: this.o.password, nc: parseInt(p.nc ?? '0', 16), cnonce: p.cnonce ?? '',
    }).response;
    if (p.username !== this.o.username || p.response !== expected || p.uri !== req.url) return challenge(false);
    if (p.nonce !== this.nonce) return challenge(true);
    this.nonceUses += 1;
    if (this.o.nonceUses > 0 && this.nonceUses > this.o.nonceUses) return challenge(true);
    return true;
  }

  /** the matches of the last search condition, while no event was added since: a search's pages ask the same */
  private lastMatches: { key: string; events: SimEvent[] } | undefined;

  private matching(start: number, end: number, major: number, minor: number): SimEvent[] {
    const key = `${start}|${end}|${major}|${minor}|${this.events.length}`;
    if (this.lastMatches?.key !== key) {
      const events = this.events.filter((e) => (major === 0 || e.major === major) && (minor === 0 || e.minor === minor) && Date.parse(e.time) >= start && Date.parse(e.time) <= end);
      this.lastMatches = { key, events };
    }
    return this.lastMatches.events;
  }

  private acsEvent(body: string, res: ServerResponse): Promise<void> | void {
    if (this.o.acsEventBody !== undefined) return this.reply(res, 200, 'application/json', this.o.acsEventBody);
    let cond: Record<string, unknown>;
    try {
      cond = (JSON.parse(body) as { AcsEventCond: Record<string, unknown> }).AcsEventCond;
    } catch {
      return this.reply(res, 400, 'application/json', JSON.stringify({ statusCode: 6, statusString: 'Invalid Content', subStatusCode: 'badJsonFormat' }));
    }
    const start = Date.parse(String(cond.startTime ?? '1970-01-01T00:00:00Z'));
    const end = Date.parse(String(cond.endTime ?? '2100-01-01T00:00:00Z'));
    const major = Number(cond.major ?? 0);
    const minor = Number(cond.minor ?? 0);
    const matches = this.matching(start, end, major, minor);
    const position = Number(cond.searchResultPosition ?? 0);
    const page = matches.slice(position, position + Math.min(Number(cond.maxResults ?? 10), this.o.pageCap));
    const status = matches.length === 0 ? 'NO MATCH' : position + page.length < matches.length ? 'MORE' : 'OK';
    const list = this.o.shuffle ? shuffled(page) : page;
    const answer = { AcsEvent: { searchID: cond.searchID, responseStatusStrg: status, numOfMatches: page.length, totalMatches: matches.length, ...(page.length ? { InfoList: list.map(infoOf) } : {}) } };
    if (this.o.packetBytes <= 0) return this.reply(res, 200, 'application/json', JSON.stringify(answer));
    return this.pacedReply(res, 'application/json', Buffer.from(JSON.stringify(answer), 'utf8'));
  }

  private async pacedReply(res: ServerResponse, contentType: string, bytes: Buffer): Promise<void> {
    res.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length });
    for (let at = 0; at < bytes.length && !res.destroyed; at += this.o.packetBytes) {
      if (!res.write(bytes.subarray(at, at + this.o.packetBytes))) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
      if (this.o.packetGapMs > 0) await new Promise((resolve) => setTimeout(resolve, this.o.packetGapMs));
    }
    res.end();
  }

  private deviceInfoXml(): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<DeviceInfo version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\n<deviceName>Access Controller</deviceName>\n<deviceID>255</deviceID>\n<model>${this.o.model}</model>\n<serialNumber>${this.o.serial}</serialNumber>\n<macAddress>${this.o.macAddress}</macAddress>\n<firmwareVersion>${this.o.firmware}</firmwareVersion>\n<firmwareReleasedDate>build 220210</firmwareReleasedDate>\n<deviceType>ACS</deviceType>\n<manufacturer>hikvision</manufacturer>\n</DeviceInfo>\n`;
  }

  private timeXml(): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Time version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\n<timeMode>manual</timeMode>\n<localTime>${this.timeOf(Date.now())}</localTime>\n<timeZone>CST-7:00:00</timeZone>\n</Time>\n`;
  }

  private reply(res: ServerResponse, status: number, contentType: string, text: string): void {
    res.writeHead(status, { 'content-type': contentType });
    res.end(text);
  }
}

function infoOf(e: SimEvent): Record<string, unknown> {
  return {
    major: e.major, minor: e.minor, time: e.time, ...(e.employeeNoString ? { cardType: 1, name: e.name ?? `User ${e.employeeNoString}`, cardReaderNo: 1, doorNo: 1, employeeNoString: e.employeeNoString, userType: 'normal', currentVerifyMode: e.currentVerifyMode, mask: 'no' } : { doorNo: 1 }),
    serialNo: e.serialNo, type: 0, ...(e.attendanceStatus ? { attendanceStatus: e.attendanceStatus, statusValue: 0 } : {}),
  };
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  // a fixed reversal of halves: out of order, yet reproducible run to run
  const half = Math.ceil(out.length / 2);
  return [...out.slice(half).reverse(), ...out.slice(0, half)];
}
