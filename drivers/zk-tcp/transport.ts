// The socket seam under the ZK client: one bare ZK packet in, one out, over TCP or UDP.
// Invariants:
// - TCP reads go through TcpDeframer, so the client above only ever sees whole packets whatever the
//   socket split or merged (zk-standalone.md §1); UDP datagrams are packets as they are.
// - `onClose` fires at most once, when the terminal side ends the connection (never after our own
//   `close()`); after either, `send` is a no-op.
// - Only the host and port given are ever contacted.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { GatewayError } from '../../src/util/errors.js';
import { encodeTcpFrame } from './codec.js';
import { TcpDeframer } from './streamReader.js';

export type TransportKind = 'tcp' | 'udp';

export interface TransportHandlers {
  onPacket(packet: Buffer): void;
  onClose(error?: Error): void;
}

export interface ZkTransport {
  readonly kind: TransportKind;
  send(packet: Buffer): void;
  close(): Promise<void>;
  /** bytes the TCP deframer skipped while resynchronizing */
  readonly skippedBytes: number;
}

export interface TransportOptions {
  kind: TransportKind;
  host: string;
  port: number;
  timeoutMs: number;
  /** aborts the connection attempt (not an open connection) */
  signal?: AbortSignal;
}

export function openTransport(options: TransportOptions, handlers: TransportHandlers): Promise<ZkTransport> {
  return options.kind === 'tcp' ? openTcp(options, handlers) : openUdp(options, handlers);
}

function unreachable(options: TransportOptions, cause: unknown): GatewayError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `${options.kind} ${options.host}:${options.port}: ${reason}`, { cause });
}

function openTcp(options: TransportOptions, handlers: TransportHandlers): Promise<ZkTransport> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const deframer = new TcpDeframer();
    let closed = false;
    let opened = false;
    const timer = setTimeout(() => socket.destroy(new Error(`connect timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = (): void => void socket.destroy(new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of deframer.push(chunk)) handlers.onPacket(frame);
    });
    socket.on('error', (error) => {
      if (!opened) reject(unreachable(options, error));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (closed) return;
      closed = true;
      if (opened) handlers.onClose(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the terminal closed the connection'));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort); // the signal guards the connect only
      opened = true;
      resolve({
        kind: 'tcp',
        get skippedBytes() {
          return deframer.skippedBytes;
        },
        send(packet) {
          if (!closed) socket.write(encodeTcpFrame(packet));
        },
        close() {
          return new Promise<void>((done) => {
            if (closed || socket.destroyed) {
              closed = true;
              done();
              return;
            }
            closed = true;
            socket.once('close', () => done());
            socket.end();
            setTimeout(() => socket.destroy(), 1000).unref();
          });
        },
      });
    });
  });
}

function openUdp(options: TransportOptions, handlers: TransportHandlers): Promise<ZkTransport> {
  return new Promise((resolve, reject) => {
    const socket: UdpSocket = createSocket('udp4');
    let closed = false;
    let opened = false;
    const finish = (error?: Error): void => {
      if (closed) return;
      closed = true;
      options.signal?.removeEventListener('abort', onAbort);
      try {
        socket.close();
      } catch {
        // already closed
      }
      if (opened) handlers.onClose(error);
    };
    const onAbort = (): void => finish(new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('message', (message: Buffer) => handlers.onPacket(message));
    socket.on('error', (error) => {
      if (!opened) {
        closed = true;
        socket.close();
        reject(unreachable(options, error));
      } else {
        // ICMP port unreachable and the like: the terminal is gone for now.
        finish(new GatewayError('GW_ERR_DEVICE_UNREACHABLE', `udp: ${error.message}`, { cause: error }));
      }
    });
    socket.connect(options.port, options.host, () => {
      options.signal?.removeEventListener('abort', onAbort); // the signal guards the connect only
      opened = true;
      resolve({
        kind: 'udp',
        skippedBytes: 0,
        send(packet) {
          if (!closed) socket.send(packet);
        },
        close() {
          finish();
          return Promise.resolve();
        },
      });
    });
  });
}
