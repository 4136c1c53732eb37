// How the simulated terminal puts packets on the wire, with fault injection.
// Invariants:
// - Packets leave in the order they were queued; a packet split into pieces stays contiguous.
// - Faults change only framing, timing and the checksum field, never packet contents, so every
//   fault mode still carries the same data.
// - `paced` (and `split`) yield to the event loop twice between writes, so a client in the same
//   process reads each write separately (one libuv poll phase in between).
// - `terminal` mimics a real terminal's sender: packet k of a reply group leaves `packetGapMs`
//   × k after the group's first, on a deadline (a late timer does not push later packets back).
import type { Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { encodeTcpFrame } from '../../../drivers/zk-tcp/codec.js';

export interface ZkSimFaults {
  /** split each TCP frame at random byte boundaries into separate writes */
  splitReplies?: boolean;
  /** write all packets of one reply (a whole chunk burst) in one socket write */
  mergePackets?: boolean;
  /** close the TCP connection (UDP: lose the rest of the burst) half way through this many chunk bursts */
  dropMidChunk?: number;
  /** chunk bursts answered whole before `dropMidChunk` applies (a download that fails midway) */
  dropAfterChunks?: number;
  /** wait this long before each reply */
  slowReplyMs?: number;
  /** corrupt the checksum field of every n-th packet sent */
  badChecksumEvery?: number;
  /**
   * close the TCP connection, without an answer, right after the n-th user written since start
   * (CMD_USER_WRQ or an upload: the users before it in the upload are kept); once
   */
  dropAfterUsers?: number;
}

/** `burst`: as fast as the socket takes them; `paced`: one event-loop turn apart; `terminal`: a fixed gap per packet */
export type Pacing = 'burst' | 'paced' | 'terminal';

/** the gap between two packets of `terminal` pacing unless told: what a real terminal's LAN stack shows */
export const TERMINAL_PACKET_GAP_MS = 2;

export interface Sink {
  write(packet: Buffer): void;
  /** the whole reply group at once (merge mode) */
  writeMany(packets: Buffer[]): void;
  /** bytes as they are (TCP: part of a frame) */
  writeRaw(bytes: Buffer): void;
  destroy(): void;
  readonly destroyed: boolean;
}

export function tcpSink(socket: Socket): Sink {
  return {
    write: (packet) => void socket.write(encodeTcpFrame(packet)),
    writeMany: (packets) => void socket.write(Buffer.concat(packets.map((p) => encodeTcpFrame(p)))),
    writeRaw: (bytes) => void socket.write(bytes),
    destroy: () => void socket.destroy(),
    get destroyed() {
      return socket.destroyed;
    },
  };
}

export function udpSink(socket: UdpSocket, port: number, address: string, isOpen: () => boolean): Sink {
  let destroyed = false;
  const send = (packet: Buffer): void => {
    if (!destroyed && isOpen()) socket.send(packet, port, address);
  };
  return {
    write: send,
    writeMany: (packets) => packets.forEach(send),
    writeRaw: send,
    destroy: () => {
      destroyed = true;
    },
    get destroyed() {
      return destroyed || !isOpen();
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A tiny seeded PRNG (mulberry32) so fault runs are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface OutputStats {
  packetsSent: number;
  badChecksums: number;
}

/** Writes reply groups for one connection, applying pacing and faults. */
export class PacketOutput {
  private sent = 0;

  constructor(
    private readonly sink: Sink,
    private readonly options: { faults: ZkSimFaults; pacing: Pacing; packetGapMs?: number; kind: 'tcp' | 'udp'; random: () => number; stats: OutputStats },
  ) {}

  /** Sends one reply group (a single reply, or a whole chunk burst). */
  async send(packets: Buffer[]): Promise<void> {
    const { faults, pacing, kind } = this.options;
    if (faults.slowReplyMs) await sleep(faults.slowReplyMs);
    const out = packets.map((p) => this.maybeCorrupt(p));
    if (this.sink.destroyed) return;
    if (faults.mergePackets && kind === 'tcp') {
      this.sink.writeMany(out);
      return;
    }
    const gapMs = pacing === 'terminal' ? (this.options.packetGapMs ?? TERMINAL_PACKET_GAP_MS) : 0;
    const startedMs = performance.now();
    for (const [k, packet] of out.entries()) {
      if (gapMs > 0 && k > 0) await sleep(startedMs + k * gapMs - performance.now());
      if (this.sink.destroyed) return;
      if (faults.splitReplies && kind === 'tcp') await this.writeSplit(packet);
      else this.sink.write(packet);
      if (pacing === 'paced' || faults.splitReplies) await tick();
    }
  }

  destroy(): void {
    this.sink.destroy();
  }

  get destroyed(): boolean {
    return this.sink.destroyed;
  }

  private maybeCorrupt(packet: Buffer): Buffer {
    this.sent++;
    this.options.stats.packetsSent++;
    const every = this.options.faults.badChecksumEvery;
    if (!every || this.sent % every !== 0) return packet;
    this.options.stats.badChecksums++;
    const bad = Buffer.from(packet);
    bad.writeUInt16LE(bad.readUInt16LE(2) ^ 0x5a5a, 2);
    return bad;
  }

  /** TCP frame cut at 1–3 random points, each piece its own write. */
  private async writeSplit(packet: Buffer): Promise<void> {
    const frame = encodeTcpFrame(packet);
    const cuts = new Set<number>();
    const pieces = 1 + Math.floor(this.options.random() * 3);
    for (let i = 0; i < pieces; i++) cuts.add(1 + Math.floor(this.options.random() * (frame.length - 1)));
    let at = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      this.sink.writeRaw(frame.subarray(at, cut));
      at = cut;
      await tick();
      if (this.sink.destroyed) return;
    }
    this.sink.writeRaw(frame.subarray(at));
  }
}
