// A ZK standalone terminal simulator speaking the port-4370 protocol over real TCP and UDP sockets.
// Ships with the product (`absensi-gateway simulate zk`) and backs the zk-tcp tests.
// Invariants:
// - Wire behaviour follows zk-standalone.md: session id in the CONNECT reply, reply id echoed,
//   ACK_UNAUTH until CMD_AUTH carries the right comm key, chunk bursts PREPARE_DATA / CMD_DATA… /
//   ACK_OK with the request's reply id and a fragment counter in the session field (§3.3).
// - Requests of one connection are answered strictly in order (a queue per session), so clients
//   that fire many requests at once (node-zklib) get well-formed, non-interleaved replies.
// - A read works on a snapshot taken at CMD_DATA_WRRQ; punches added meanwhile appear in the next read.
// - Binds only the host it is given (127.0.0.1 by default).
// - Users and templates live in `enrolment` (enrolment.ts) and change only by the protocol's
//   writes: CMD_USER_WRQ, an upload (CMD_PREPARE_DATA, CMD_DATA…, `_CMD_SAVE_USERTEMPS`) and the
//   deletes; an upload is applied only when saved and whole. `~ZKFPVersion` is `fingerVersion`.
// - Every answer is true to the log unless `lies` is set: a hostile terminal for the gateway's
//   bounds tests (a data-stat announcing more than the dataset holds, chunk bursts carrying more
//   bytes than asked). Lies change sizes only; the bytes sent are always the log's own.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import {
  decodeCString, decodePacket, decodeReadRequest, decodeTime, decodeTwoU32, decodeU32, encodeDataStat, encodeFreeSizes,
  encodePacket, encodeTime, encodeTwoU32, encodeU32, formatWallTime, makeCommKey, type DecodedPacket, type WallTime,
} from '../../../drivers/zk-tcp/codec.js';
import { wallFromSeconds, wallSeconds, wallTimeIn } from '../../punch/time.js';
import { TcpDeframer } from '../../../drivers/zk-tcp/streamReader.js';
import { CMD, CMD_NAMES, DATA_PACKET_BYTES, EF } from '../../../drivers/zk-tcp/tables.js';
import { FCT } from '../../../drivers/zk-tcp/tables.js';
import { SimEnrolment } from './enrolment.js';
import { EnrolmentWire, type UploadState } from './enrolmentWire.js';
import { SimLog, type SimPunch, type SimUser } from './log.js';
import { PacketOutput, seededRandom, tcpSink, udpSink, type OutputStats, type Pacing, type ZkSimFaults } from './output.js';

export interface ZkSimulatorOptions {
  host?: string;
  /** 0 picks a free port; TCP and UDP share it */
  port?: number;
  tcp?: boolean;
  udp?: boolean;
  serial?: string;
  model?: string;
  platform?: string;
  firmware?: string;
  users?: number | SimUser[];
  /** seeded fingerprint templates per user, [least, most]; default none */
  fingersPerUser?: [number, number];
  /** users the terminal can hold (default 10,000); writes beyond are refused */
  userCapacity?: number;
  /** the `~ZKFPVersion` answer (fingerprint algorithm); null: the terminal does not know the option */
  fingerVersion?: string | null;
  /** generated attendance records, up to 1,000,000 */
  records?: number;
  recordSize?: 8 | 16 | 40 | 49;
  userSize?: 28 | 72;
  realtimeSize?: 10 | 12 | 14 | 32 | 36 | 37 | 52;
  commKey?: number;
  /** device clock minus real time, seconds */
  clockOffsetSec?: number;
  /** zone of the device clock */
  timeZone?: string;
  firstRecordAt?: string;
  recordStepSec?: number;
  /** datasets up to this size are answered with one CMD_DATA (§6.3 reply A) */
  directDataMax?: number;
  faults?: ZkSimFaults;
  lies?: ZkSimLies;
  pacing?: Pacing;
  /** with `pacing: 'terminal'`, ms between two packets of a reply (default 2) */
  packetGapMs?: number;
  seed?: number;
}

/** A hostile terminal's lies (synthetic: no real terminal is known to send these). */
export interface ZkSimLies {
  /** every buffered read's data-stat announces this many bytes; chunks still carry the real dataset */
  datasetBytes?: number;
  /** each chunk burst sends its CMD_DATA packets this many extra times before the closing ACK_OK */
  chunkRepeats?: number;
}

export interface SimStats extends OutputStats {
  connections: number;
  refusedConnections: number;
  drops: number;
  /** chunk bursts answered (CMD_DATA_RDY), whole or dropped */
  chunks: number;
  /** users written (CMD_USER_WRQ, uploads) since start */
  usersWritten: number;
  commands: Record<string, number>;
}

interface Session {
  id: number;
  kind: 'tcp' | 'udp';
  authed: boolean;
  events: number;
  prepared?: Buffer;
  /** an upload under way (enrolmentWire.ts) */
  upload?: UploadState;
  output: PacketOutput;
  queue: Promise<void>;
  close(): void;
}

const MAX_RECORDS = 1_000_000;

export class ZkTcpSimulator {
  readonly log: SimLog;
  readonly stats: SimStats = { connections: 0, refusedConnections: 0, drops: 0, chunks: 0, usersWritten: 0, commands: {}, packetsSent: 0, badChecksums: 0 };
  readonly options: Required<Omit<ZkSimulatorOptions, 'users' | 'faults' | 'lies' | 'packetGapMs' | 'fingersPerUser'>> & { packetGapMs?: number } & { faults: ZkSimFaults; lies: ZkSimLies };
  readonly enrolment: SimEnrolment;
  private readonly enrolmentWire: EnrolmentWire;
  disabled = false;
  private tcpServer: Server | undefined;
  private udpSocket: UdpSocket | undefined;
  private readonly sessions = new Set<Session>();
  private readonly udpSessions = new Map<string, Session>();
  private readonly heldPunches: SimPunch[] = [];
  private readonly random: () => number;
  private boundPort = 0;
  private disableTimer: NodeJS.Timeout | undefined;
  private clockOffsetSec: number;
  private nextSessionId: number;
  /**
   * A hung terminal (frozen firmware): its connections stay open and new ones are accepted, but
   * nothing is answered until this is false again.
   */
  hung = false;

  constructor(options: ZkSimulatorOptions = {}) {
    this.options = {
      host: '127.0.0.1', port: 0, tcp: true, udp: true, serial: 'SIM0000000001', model: 'SIM-F22', platform: 'ZMM220_TFT',
      firmware: 'Ver 6.60 Apr 28 2020', records: 0, recordSize: 40, userSize: 72, realtimeSize: 36, commKey: 0,
      clockOffsetSec: 0, timeZone: 'Asia/Jakarta', firstRecordAt: '2026-01-05T07:00:00', recordStepSec: 37,
      directDataMax: 1024, pacing: 'burst', seed: 1, fingerVersion: '10', userCapacity: 10_000, ...options, faults: { ...options.faults }, lies: { ...options.lies },
    };
    if (this.options.records > MAX_RECORDS) throw new RangeError(`records: at most ${MAX_RECORDS}`);
    this.log = new SimLog({ ...this.options, users: options.users ?? 20 });
    this.enrolment = new SimEnrolment({ users: this.log.users, userSize: this.options.userSize, fingersPerUser: options.fingersPerUser, seed: this.options.seed, userCapacity: this.options.userCapacity, fingerVersion: this.options.fingerVersion });
    this.enrolmentWire = new EnrolmentWire(this.enrolment, this.options.faults, this.stats);
    this.clockOffsetSec = this.options.clockOffsetSec;
    this.random = seededRandom(this.options.seed);
    this.nextSessionId = 0x4000 + Math.floor(this.random() * 0x3000);
  }

  get address(): { host: string; port: number } {
    return { host: this.options.host, port: this.boundPort };
  }

  /** Device clock now (wall time in the device zone plus the offset). */
  deviceNow(nowMs = Date.now()): WallTime {
    return wallFromSeconds(wallSeconds(wallTimeIn(this.options.timeZone, nowMs)) + this.clockOffsetSec);
  }

  get clockOffset(): number {
    return this.clockOffsetSec;
  }

  /** Someone sets the terminal clock by hand (or its battery died): device clock minus real time. */
  set clockOffset(seconds: number) {
    this.clockOffsetSec = seconds;
  }

  async start(): Promise<{ host: string; port: number }> {
    const fixed = this.boundPort || this.options.port;
    // A real terminal answers TCP and UDP on one port. With port 0 the TCP port is the kernel's
    // pick, and its UDP twin may already be some other socket's: pick again.
    for (let attempt = 1; ; attempt += 1) {
      try {
        this.boundPort = await this.bind(fixed);
        return this.address;
      } catch (error) {
        await this.stop();
        if (fixed !== 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
      }
    }
  }

  private async bind(requested: number): Promise<number> {
    const { host } = this.options;
    let port = requested;
    if (this.options.tcp) {
      const server = createServer((socket) => this.onTcpConnection(socket));
      this.tcpServer = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject).listen(port, host, () => resolve());
      });
      const addr = server.address();
      if (addr && typeof addr === 'object') port = addr.port;
    }
    if (this.options.udp) {
      const udp = createSocket('udp4');
      this.udpSocket = udp;
      udp.on('message', (msg, rinfo) => this.onUdpMessage(udp, msg, rinfo.address, rinfo.port));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => resolve());
      });
      port = udp.address().port;
    }
    return port;
  }

  async stop(): Promise<void> {
    clearTimeout(this.disableTimer);
    for (const s of this.sessions) s.close();
    this.sessions.clear();
    this.udpSessions.clear();
    const server = this.tcpServer;
    this.tcpServer = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const udp = this.udpSocket;
    this.udpSocket = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  /** A terminal reboot: every connection drops; it comes back on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * A punch at the terminal now: appended to the log and pushed to registered clients
   * (`realtime: false` plays an event lost on the way).
   */
  addPunch(punch: Partial<SimPunch> & { pin: string }, options: { realtime?: boolean } = {}): SimPunch {
    const user = this.enrolment.byPin(punch.pin);
    const full: SimPunch = {
      uid: user?.uid ?? 0, localTime: punch.localTime ?? formatWallTime(this.deviceNow()),
      verify: 1, state: 0, workCode: 0, ...punch,
    };
    if (this.disabled) {
      this.heldPunches.push(full); // a disabled terminal takes no punches; the person tries again later
      return full;
    }
    this.log.append(full);
    if (options.realtime === false) return full;
    for (const s of this.sessions) {
      if (s.events & EF.ATTLOG) {
        const packet = encodePacket({ command: CMD.REG_EVENT, sessionId: EF.ATTLOG, replyId: 0, data: this.log.realtimeEvent(full) });
        s.queue = s.queue.then(() => s.output.send([packet]));
      }
    }
    return full;
  }

  private onTcpConnection(socket: Socket): void {
    socket.setNoDelay(true);
    if ([...this.sessions].some((s) => s.kind === 'tcp')) {
      this.stats.refusedConnections++; // one TCP client at a time (zk-standalone.md §3.7)
      socket.destroy();
      return;
    }
    this.stats.connections++;
    const session = this.newSession('tcp', new PacketOutput(tcpSink(socket), this.outputOptions('tcp')), () => socket.destroy());
    const deframer = new TcpDeframer();
    socket.on('data', (chunk) => {
      for (const frame of deframer.push(chunk)) this.enqueue(session, frame);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sessions.delete(session));
  }

  private onUdpMessage(udp: UdpSocket, msg: Buffer, address: string, port: number): void {
    const key = `${address}:${port}`;
    let session = this.udpSessions.get(key);
    if (!session) {
      const output = new PacketOutput(udpSink(udp, port, address, () => this.udpSocket === udp), this.outputOptions('udp'));
      session = this.newSession('udp', output, () => {
        this.udpSessions.delete(key);
        output.destroy();
      });
      this.udpSessions.set(key, session);
    }
    this.enqueue(session, msg);
  }

  private outputOptions(kind: 'tcp' | 'udp') {
    return { faults: this.options.faults, pacing: this.options.pacing, packetGapMs: this.options.packetGapMs, kind, random: this.random, stats: this.stats };
  }

  private newSession(kind: 'tcp' | 'udp', output: PacketOutput, close: () => void): Session {
    const session: Session = {
      id: 0, kind, authed: this.options.commKey === 0, events: 0, output, queue: Promise.resolve(),
      close: () => {
        this.sessions.delete(session);
        close();
      },
    };
    this.sessions.add(session);
    return session;
  }

  private enqueue(session: Session, bytes: Buffer): void {
    let packet: DecodedPacket;
    try {
      packet = decodePacket(bytes);
    } catch {
      return; // too short to answer
    }
    session.queue = session.queue.then(() => this.answer(session, packet)).catch(() => undefined);
  }

  private async answer(s: Session, p: DecodedPacket): Promise<void> {
    const name = CMD_NAMES.get(p.command) ?? String(p.command);
    this.stats.commands[name] = (this.stats.commands[name] ?? 0) + 1;
    if (p.command === CMD.ACK_OK) return; // a client acknowledging a realtime event
    if (this.hung) return;
    if (!s.authed && p.command !== CMD.CONNECT && p.command !== CMD.AUTH && p.command !== CMD.EXIT) {
      await this.reply(s, p, CMD.ACK_UNAUTH);
      return;
    }
    const enrolment = this.enrolmentWire.answer(s, p.command, p.data);
    if (enrolment === 'dropped') return;
    if (enrolment !== undefined) return this.reply(s, p, enrolment);
    switch (p.command) {
      case CMD.CONNECT: return this.onConnect(s, p);
      case CMD.AUTH: return this.onAuth(s, p);
      case CMD.EXIT: await this.reply(s, p, CMD.ACK_OK); s.close(); return;
      case CMD.DATA_WRRQ: return this.onReadRequest(s, p);
      case CMD.DATA_RDY: return this.onChunk(s, p);
      case CMD.FREE_DATA: s.prepared = undefined; s.upload = undefined; return this.reply(s, p, CMD.ACK_OK);
      case CMD.GET_FREE_SIZES: return this.reply(s, p, CMD.ACK_OK, this.freeSizes());
      case CMD.GET_TIME: return this.reply(s, p, CMD.ACK_OK, encodeU32(encodeTime(this.deviceNow())));
      case CMD.SET_TIME: return this.onSetTime(s, p);
      case CMD.GET_VERSION: return this.reply(s, p, CMD.ACK_OK, Buffer.from(`${this.options.firmware}\0`, 'latin1'));
      case CMD.OPTIONS_RRQ: return this.onOption(s, p);
      case CMD.REG_EVENT: s.events = p.data.length >= 4 ? decodeU32(p.data) : 0; return this.reply(s, p, CMD.ACK_OK);
      case CMD.DISABLEDEVICE: this.disable(p.data.length >= 4 ? decodeU32(p.data) : 0); return this.reply(s, p, CMD.ACK_OK);
      case CMD.ENABLEDEVICE: this.enable(); return this.reply(s, p, CMD.ACK_OK);
      case CMD.CLEAR_ATTLOG: this.log.clear(); return this.reply(s, p, CMD.ACK_OK);
      case CMD.OPTIONS_WRQ: case CMD.REFRESHDATA: return this.reply(s, p, CMD.ACK_OK);
      case CMD.STATE_RRQ: return this.reply(s, p, CMD.ACK_OK, Buffer.alloc(0), 0);
      default: return this.reply(s, p, CMD.ACK_UNKNOWN);
    }
  }

  private reply(s: Session, p: DecodedPacket, command: number, data: Uint8Array = Buffer.alloc(0), sessionId = s.id): Promise<void> {
    return s.output.send([encodePacket({ command, sessionId, replyId: p.replyId, data })]);
  }

  private async onConnect(s: Session, p: DecodedPacket): Promise<void> {
    if (s.id === 0) {
      s.id = this.nextSessionId;
      this.nextSessionId = ((this.nextSessionId + 0x1f3) % 0xfff0) + 1;
    }
    await this.reply(s, p, s.authed ? CMD.ACK_OK : CMD.ACK_UNAUTH);
  }

  private async onAuth(s: Session, p: DecodedPacket): Promise<void> {
    const ticks = p.data[2] ?? 0;
    const want = makeCommKey(this.options.commKey, s.id, ticks);
    s.authed = p.data.length >= 4 && want.equals(p.data.subarray(0, 4));
    await this.reply(s, p, s.authed ? CMD.ACK_OK : CMD.ACK_UNAUTH);
  }

  private async onReadRequest(s: Session, p: DecodedPacket): Promise<void> {
    const { command, fct } = decodeReadRequest(p.data);
    const dataset = command === CMD.ATTLOG_RRQ ? this.log.attendanceDataset()
      : command === CMD.USERTEMP_RRQ ? this.enrolment.usersDataset()
        : command === CMD.DB_RRQ && fct === FCT.FINGERTMP ? this.enrolment.templatesDataset() : undefined;
    if (!dataset) return this.reply(s, p, CMD.ACK_ERROR);
    s.prepared = dataset;
    const announced = this.options.lies.datasetBytes ?? dataset.length;
    if (announced <= this.options.directDataMax) return this.reply(s, p, CMD.DATA, dataset);
    return this.reply(s, p, CMD.ACK_OK, encodeDataStat(announced, dataset.length * 31));
  }

  /** PREPARE_DATA, CMD_DATA × n (session field = fragment counter), ACK_OK (§6.4, pyzk captures). */
  private async onChunk(s: Session, p: DecodedPacket): Promise<void> {
    if (!s.prepared) return this.reply(s, p, CMD.ACK_ERROR);
    const [offset, length] = decodeTwoU32(p.data);
    const slice = s.prepared.subarray(offset, offset + length);
    const burst = [encodePacket({ command: CMD.PREPARE_DATA, sessionId: s.id, replyId: p.replyId, data: encodeTwoU32(slice.length, DATA_PACKET_BYTES) })];
    let fragment = 0;
    for (let pass = 0; pass <= (this.options.lies.chunkRepeats ?? 0); pass++) {
      for (let at = 0; at < slice.length; at += DATA_PACKET_BYTES, fragment++) {
        burst.push(encodePacket({ command: CMD.DATA, sessionId: fragment, replyId: p.replyId, data: slice.subarray(at, at + DATA_PACKET_BYTES) }));
      }
    }
    burst.push(encodePacket({ command: CMD.ACK_OK, sessionId: Math.max(0, fragment - 1), replyId: p.replyId, data: Buffer.alloc(0) }));
    const drops = this.options.faults.dropMidChunk ?? 0;
    const served = this.stats.chunks++;
    if (this.stats.drops < drops && fragment >= 2 && served >= (this.options.faults.dropAfterChunks ?? 0)) {
      this.stats.drops++;
      await s.output.send(burst.slice(0, 1 + Math.ceil(fragment / 2)));
      if (s.kind === 'tcp') s.close(); // the connection drops mid-chunk
      return; // UDP: the rest of the burst is lost
    }
    await s.output.send(burst);
  }

  private async onSetTime(s: Session, p: DecodedPacket): Promise<void> {
    const wanted = decodeTime(decodeU32(p.data));
    this.clockOffsetSec = wallSeconds(wanted) - wallSeconds(wallTimeIn(this.options.timeZone, Date.now()));
    await this.reply(s, p, CMD.ACK_OK);
  }

  private async onOption(s: Session, p: DecodedPacket): Promise<void> {
    const name = decodeCString(p.data);
    const values: Record<string, string> = {
      '~SerialNumber': this.options.serial, '~DeviceName': this.options.model, '~Platform': this.options.platform,
      '~OEMVendor': 'absensi-gateway simulator', MAC: '00:17:61:00:00:01', WorkCode: '0',
      ...(this.options.fingerVersion === null ? {} : { '~ZKFPVersion': this.options.fingerVersion }),
      '~PIN2Width': '9', '~OS': '1', '~SSR': '1', FaceFunOn: '0', '~ProductTime': '2020-04-28 10:00:00',
    };
    const value = values[name];
    if (value === undefined) return this.reply(s, p, CMD.ACK_ERROR);
    return this.reply(s, p, CMD.ACK_OK, Buffer.from(`${name}=${value}\0`, 'latin1'));
  }

  private freeSizes(): Buffer {
    const users = this.enrolment.userCount;
    const fingers = this.enrolment.templateCount;
    const records = this.log.count;
    return encodeFreeSizes({
      users, fingers, records, admins: 1, fingerCapacity: 3000, userCapacity: this.options.userCapacity, recordCapacity: MAX_RECORDS,
      fingersRemaining: 3000 - fingers, usersRemaining: this.options.userCapacity - users, recordsRemaining: MAX_RECORDS - records,
    });
  }

  /** CMD_DISABLEDEVICE; with a u32 of seconds the terminal re-enables itself (timeout variant, §6.1). */
  private disable(seconds: number): void {
    this.disabled = true;
    clearTimeout(this.disableTimer);
    if (seconds > 0) this.disableTimer = setTimeout(() => this.enable(), seconds * 1000).unref();
  }

  private enable(): void {
    clearTimeout(this.disableTimer);
    this.disabled = false;
    for (const punch of this.heldPunches.splice(0)) this.addPunch(punch);
  }
}
