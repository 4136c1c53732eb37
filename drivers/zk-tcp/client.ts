// A session with one ZK terminal: connect/auth, one request in flight, replies matched by reply id,
// realtime events routed apart, buffered reads one chunk at a time.
// Invariants:
// - At most one request is in flight (requests queue on `exclusive`); a reply is accepted only when
//   its reply id is the in-flight one and its command is a reply code (zk-standalone.md §3.2).
// - CMD_REG_EVENT packets never touch the request state: they go to `onRealtime` and are
//   acknowledged at once with ACK_OK, our session id, reply id 0 (§3.4).
// - Checksum mismatches are logged (GW_ERR_CHECKSUM) and counted, never dropped (§2). Session ids
//   are not validated on replies: chunk bursts carry a fragment counter there (§3.3).
// - `readDataset` returns the whole dataset or throws; it never returns a partial one (§6).
// - `streamDataset` hands the chunks to its sink in dataset order, each once, and reads chunk k+1
//   while the sink works on chunk k (its request goes out before the sink is called): at most two
//   chunks are held (one on the wire, one sinking).
//   A chunk goes to the sink only once the previous sink call resolved. It resolves once every
//   chunk has been received and sunk; when it throws, the chunks already sunk stay sunk (the
//   caller decides what they mean) and no sink call is still running.
// - Sizes the terminal announces are checked before memory is reserved (limits.ts): a data-stat
//   over the read's ceiling, or a chunk burst carrying more bytes than were asked for, is refused
//   with a ZkRefusal (GW_ERR_DEVICE_PROTOCOL) at once, not retried; a dataset grows as chunks arrive.
import type { Logger } from 'pino';
import { GatewayError, codeOf, errorMessage } from '../../src/util/errors.js';
import {
  decodeDataStat, decodeOptionReply, decodePacket, decodeRealtimeEvents, encodePacket, encodeReadRequest,
  encodeTwoU32, encodeU32, makeCommKey, type DecodedPacket, type ZkRecord,
} from './codec.js';
import { DatasetBytes, maxDatasetBytes } from './limits.js';
import { CHUNK_BYTES_TCP, CHUNK_BYTES_UDP, CMD, CMD_NAMES, COMMKEY_TICKS, EF, REPLY_CODES } from './tables.js';
import { openTransport, type TransportKind, type ZkTransport } from './transport.js';

export interface ZkClientOptions {
  host: string;
  port: number;
  transport: TransportKind;
  commKey: number;
  /** per request; for chunk bursts, the longest silence between two packets */
  timeoutMs: number;
  log: Logger;
  /** bytes per CMD_DATA_RDY request; defaults per transport (§6.4) */
  chunkBytes?: number;
  /** attempts per chunk (pyzk: 3) */
  chunkAttempts?: number;
  /** send `SDKBuild=1` after connecting (§8) */
  sdkBuild?: boolean;
  /** realtime EF_ATTLOG events, decoded */
  onRealtime?: (events: ZkRecord[], packet: DecodedPacket) => void;
  /** a realtime packet that did not decode */
  onRealtimeError?: (error: Error, packet: DecodedPacket) => void;
  /** the connection ended without `close()` */
  onDisconnect?: (error: Error) => void;
}

export interface ClientStats {
  checksumMismatches: number;
  stalePackets: number;
  realtimePackets: number;
  chunkRetries: number;
}

interface Pending {
  replyId: number;
  command: number;
  onPacket(packet: DecodedPacket): void;
  fail(error: Error): void;
  touch(): void;
}

/** The terminal sent something the gateway refuses to hold; `rejection` is the reason counted (status.rejected). */
export class ZkRefusal extends GatewayError {
  constructor(readonly rejection: 'zk-dataset-too-large' | 'zk-chunk-overrun', message: string) {
    super('GW_ERR_DEVICE_PROTOCOL', message);
    this.name = 'ZkRefusal';
  }
}

export type ProgressFn = (receivedBytes: number, totalBytes: number) => void;

/** Takes one piece of a dataset: `bytes` starts at `offset` of a dataset of `totalBytes`. */
export type ChunkSink = (bytes: Buffer, offset: number, totalBytes: number) => Promise<void>;

const NUL = Buffer.from([0]);

export class ZkClient {
  readonly stats: ClientStats = { checksumMismatches: 0, stalePackets: 0, realtimePackets: 0, chunkRetries: 0 };
  sessionId = 0;
  private replyId = 0;
  private transport: ZkTransport | undefined;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;

  constructor(private readonly options: ZkClientOptions) {}

  get connected(): boolean {
    return this.transport !== undefined;
  }

  get kind(): TransportKind {
    return this.options.transport;
  }

  get skippedBytes(): number {
    return this.transport?.skippedBytes ?? 0;
  }

  /** Opens the socket, CONNECT, and CMD_AUTH when the terminal asks for the comm key (§3.1, §5). */
  async connect(signal?: AbortSignal): Promise<void> {
    const { host, port, transport: kind, timeoutMs } = this.options;
    this.closing = false;
    this.transport = await openTransport({ kind, host, port, timeoutMs, signal }, {
      onPacket: (bytes) => this.onPacket(bytes),
      onClose: (error) => this.onTransportClose(error ?? new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'connection lost')),
    });
    try {
      this.replyId = 0xfffe; // so the CONNECT goes out with reply id 0, as pyzk does
      this.sessionId = 0;
      const reply = await this.request(CMD.CONNECT);
      this.sessionId = reply.sessionId;
      if (reply.command === CMD.ACK_UNAUTH) await this.authenticate();
      else this.expect(reply, 'CMD_CONNECT');
      if (this.options.sdkBuild ?? true) await this.request(CMD.OPTIONS_WRQ, Buffer.from('SDKBuild=1\0', 'latin1'));
    } catch (error) {
      await this.destroy();
      throw error;
    }
  }

  private async authenticate(): Promise<void> {
    const key = this.options.commKey;
    const reply = await this.request(CMD.AUTH, makeCommKey(key, this.sessionId, COMMKEY_TICKS));
    if (reply.command === CMD.ACK_OK) return;
    const message =
      key === 0
        ? 'the terminal requires a comm key; set commKey for this device'
        : 'the terminal refused the comm key; check commKey against the terminal (Comm. settings)';
    throw new GatewayError('GW_ERR_DEVICE_AUTH', message);
  }

  /** Sends one command and resolves with its reply (any reply code; see `expect`). */
  request(command: number, data: Uint8Array = Buffer.alloc(0), timeoutMs = this.options.timeoutMs): Promise<DecodedPacket> {
    return this.exclusive(() =>
      this.send(command, data, timeoutMs, (packet, done) => done(packet)),
    );
  }

  /** Throws unless the reply is ACK_OK (or CMD_DATA). */
  expect(reply: DecodedPacket, what: string): DecodedPacket {
    if (reply.command === CMD.ACK_OK || reply.command === CMD.DATA) return reply;
    const name = CMD_NAMES.get(reply.command) ?? String(reply.command);
    const code = reply.command === CMD.ACK_UNAUTH ? 'GW_ERR_DEVICE_AUTH' : 'GW_ERR_DEVICE_PROTOCOL';
    throw new GatewayError(code, `${what}: the terminal answered ${name}`);
  }

  /** `request` + `expect`. */
  async command(command: number, data?: Uint8Array, what = CMD_NAMES.get(command) ?? String(command)): Promise<DecodedPacket> {
    return this.expect(await this.request(command, data), what);
  }

  /** Reads the option `name` (§8); undefined when the terminal does not know it. */
  async readOption(name: string): Promise<string | undefined> {
    const reply = await this.request(CMD.OPTIONS_RRQ, Buffer.concat([Buffer.from(name, 'latin1'), NUL]));
    return reply.command === CMD.ACK_OK ? decodeOptionReply(reply.data, name) : undefined;
  }

  /** Registers for realtime events (§3.4); flags 0 unregisters. */
  async registerEvents(flags = EF.ATTLOG): Promise<void> {
    await this.command(CMD.REG_EVENT, encodeU32(flags), 'CMD_REG_EVENT');
  }

  /**
   * Reads a whole dataset with CMD_DATA_WRRQ (§6.3–6.5): either one CMD_DATA reply, or a data-stat
   * followed by one CMD_DATA_RDY chunk at a time with retries. Frees the device buffer afterwards.
   */
  async readDataset(readCommand: number, fct = 0, onProgress?: ProgressFn): Promise<Buffer> {
    let dataset: DatasetBytes | undefined;
    await this.streamDataset(readCommand, fct, (bytes, _offset, total) => {
      dataset ??= new DatasetBytes(total);
      dataset.append(bytes);
      return Promise.resolve();
    }, onProgress);
    return dataset?.take() ?? Buffer.alloc(0);
  }

  /**
   * Reads a dataset like `readDataset` but hands it to `sink` chunk by chunk as it arrives, the next
   * chunk on the wire while the sink works on the last one (see the invariants). A dataset answered
   * with one CMD_DATA is one sink call.
   */
  async streamDataset(readCommand: number, fct: number, sink: ChunkSink, onProgress?: ProgressFn): Promise<number> {
    await this.request(CMD.FREE_DATA);
    try {
      const first = await this.request(CMD.DATA_WRRQ, encodeReadRequest(readCommand, fct, 0));
      if (first.command === CMD.DATA) {
        const bytes = Buffer.from(first.data);
        onProgress?.(bytes.length, bytes.length);
        await sink(bytes, 0, bytes.length);
        return bytes.length;
      }
      this.expect(first, 'CMD_DATA_WRRQ');
      const size = decodeDataStat(first.data);
      const ceiling = maxDatasetBytes(readCommand);
      if (size > ceiling) {
        const name = CMD_NAMES.get(readCommand) ?? String(readCommand);
        throw new ZkRefusal('zk-dataset-too-large', `${name}: the terminal announces a ${size}-byte dataset, more than any terminal holds (${ceiling} bytes); nothing read`);
      }
      await this.streamChunks(size, sink, onProgress);
      return size;
    } finally {
      if (this.connected) await this.request(CMD.FREE_DATA).catch(() => undefined);
    }
  }

  private async streamChunks(size: number, sink: ChunkSink, onProgress?: ProgressFn): Promise<void> {
    const chunkBytes = this.options.chunkBytes ?? (this.kind === 'tcp' ? CHUNK_BYTES_TCP : CHUNK_BYTES_UDP);
    onProgress?.(0, size);
    const read = (offset: number): Promise<Buffer> => {
      const reading = this.readChunkWithRetries(offset, Math.min(chunkBytes, size - offset));
      reading.catch(() => undefined); // awaited in the loop, or settled in `finally`
      return reading;
    };
    let sinking: Promise<void> | undefined;
    let next: Promise<Buffer> | undefined = read(0);
    try {
      for (let offset = 0; offset < size; offset += chunkBytes) {
        const chunk = await (next as Promise<Buffer>);
        next = undefined;
        if (sinking) await sinking;
        onProgress?.(offset + chunk.length, size);
        // ask for the next chunk before sinking this one: the sink's synchronous part (decoding a
        // whole chunk) would otherwise delay every request by its own duration
        if (offset + chunkBytes < size) next = read(offset + chunkBytes);
        sinking = sink(chunk, offset, size);
        sinking.catch(() => undefined); // awaited below or before the next chunk; a read failure must not leave it unhandled
      }
      await sinking;
    } finally {
      // never return while the sink still works or a chunk request is still on the wire
      await Promise.allSettled([sinking, next]);
    }
  }

  private async readChunkWithRetries(offset: number, length: number): Promise<Buffer> {
    const attempts = this.options.chunkAttempts ?? 3;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await this.readChunk(offset, length);
      } catch (error) {
        if (error instanceof ZkRefusal) throw error;
        lastError = error;
        if (!this.connected) break;
        this.stats.chunkRetries++;
        this.options.log.warn({ code: codeOf(error, 'GW_ERR_DOWNLOAD_INCOMPLETE'), offset, length, attempt, err: errorMessage(error) }, 'zk chunk read failed; retrying');
      }
    }
    throw new GatewayError('GW_ERR_DOWNLOAD_INCOMPLETE', `chunk at ${offset} (+${length}) failed: ${errorMessage(lastError)}`, { cause: lastError });
  }

  /** One CMD_DATA_RDY: PREPARE_DATA, CMD_DATA…, ACK_OK, all with our reply id (§6.4). */
  private readChunk(offset: number, length: number): Promise<Buffer> {
    return this.exclusive(() => {
      const parts: Buffer[] = [];
      let received = 0;
      let prepared = false;
      return this.send(CMD.DATA_RDY, encodeTwoU32(offset, length), this.options.timeoutMs, (packet, done, fail) => {
        if (packet.command === CMD.PREPARE_DATA) {
          prepared = true;
        } else if (packet.command === CMD.DATA) {
          // PREPARE_DATA's announced length is never trusted: the bound is what was asked for
          if (received + packet.data.length > length) {
            fail(new ZkRefusal('zk-chunk-overrun', `chunk at ${offset}: the terminal sent more than the ${length} bytes asked for; download refused`));
            return;
          }
          parts.push(Buffer.from(packet.data));
          received += packet.data.length;
          if (!prepared && received === length) done(Buffer.concat(parts)); // a chunk answered with one CMD_DATA
        } else if (packet.command === CMD.ACK_OK) {
          if (received === length) done(Buffer.concat(parts, received));
          else fail(new GatewayError('GW_ERR_DOWNLOAD_INCOMPLETE', `chunk ended after ${received} of ${length} bytes`));
        } else {
          fail(new GatewayError('GW_ERR_DEVICE_PROTOCOL', `chunk read answered ${CMD_NAMES.get(packet.command) ?? packet.command}`));
        }
      });
    });
  }

  /** CMD_EXIT, then close the socket (§3.7). Never throws. */
  async close(): Promise<void> {
    if (!this.transport || this.closing) return;
    this.closing = true;
    try {
      await this.request(CMD.EXIT, undefined, Math.min(this.options.timeoutMs, 2000));
    } catch {
      // the terminal may already be gone
    }
    await this.destroy();
  }

  /** Closes the socket without CMD_EXIT. */
  async destroy(): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    this.pending?.fail(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'connection closed'));
    if (transport) await transport.close();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private send<T>(
    command: number,
    data: Uint8Array,
    timeoutMs: number,
    handle: (packet: DecodedPacket, done: (value: T) => void, fail: (error: Error) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const transport = this.transport;
      if (!transport) {
        reject(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'not connected'));
        return;
      }
      this.replyId = (this.replyId + 1) % 0xffff;
      const replyId = this.replyId;
      const name = CMD_NAMES.get(command) ?? String(command);
      let timer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        clearTimeout(timer);
        if (this.pending === pending) this.pending = undefined;
      };
      const fail = (error: Error): void => {
        settle();
        reject(error);
      };
      const done = (value: T): void => {
        settle();
        resolve(value);
      };
      const touch = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(new GatewayError('GW_ERR_DEVICE_TIMEOUT', `${name}: no reply within ${timeoutMs} ms`)), timeoutMs);
      };
      const pending: Pending = { replyId, command, fail, touch, onPacket: (packet) => handle(packet, done, fail) };
      this.pending = pending;
      touch();
      transport.send(encodePacket({ command, sessionId: this.sessionId, replyId, data }));
    });
  }

  private onPacket(bytes: Buffer): void {
    let packet: DecodedPacket;
    try {
      packet = decodePacket(bytes);
    } catch (error) {
      this.options.log.warn({ code: codeOf(error, 'GW_ERR_DECODE'), bytes: bytes.toString('hex').slice(0, 64), err: errorMessage(error) }, 'zk packet too short; ignored');
      this.stats.stalePackets++;
      return;
    }
    if (!packet.checksumOk) {
      this.stats.checksumMismatches++;
      this.options.log.warn(
        { code: 'GW_ERR_CHECKSUM', command: packet.command, replyId: packet.replyId, checksum: packet.checksum, head: bytes.subarray(0, 32).toString('hex') },
        'zk checksum mismatch; packet kept',
      );
    }
    if (packet.command === CMD.REG_EVENT) {
      this.onRealtimePacket(packet);
      return;
    }
    const pending = this.pending;
    if (pending && packet.replyId === pending.replyId && REPLY_CODES.has(packet.command)) {
      pending.touch();
      pending.onPacket(packet);
      return;
    }
    this.stats.stalePackets++;
    this.options.log.debug({ command: packet.command, replyId: packet.replyId, expected: pending?.replyId }, 'zk packet matches no request; ignored');
  }

  private onRealtimePacket(packet: DecodedPacket): void {
    this.stats.realtimePackets++;
    this.transport?.send(encodePacket({ command: CMD.ACK_OK, sessionId: this.sessionId, replyId: 0, data: Buffer.alloc(0) }));
    if (packet.sessionId !== EF.ATTLOG) return; // other events (finger, alarm…) are acknowledged and ignored
    try {
      const events = decodeRealtimeEvents(packet.data);
      this.options.onRealtime?.(events, packet);
    } catch (error) {
      this.options.onRealtimeError?.(error as Error, packet);
    }
  }

  private onTransportClose(error: Error): void {
    const wasOpen = this.transport !== undefined;
    this.transport = undefined;
    this.pending?.fail(error);
    if (wasOpen && !this.closing) this.options.onDisconnect?.(error);
  }
}

