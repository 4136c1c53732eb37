// One HTTP(S) POST with a whole-exchange deadline and an abort signal, for the HTTPS sink.
// Invariants:
// - The promise settles exactly once: with the reply (status, headers, decoded body text), with a
//   TransportError (network, TLS, deadline, body cut off), or with `signal.reason` when aborted.
//   Whatever settles it first also destroys the request, so no socket or timer outlives it.
// - `timeoutMs` bounds connect + upload + the whole response body, not just socket idleness
//   (`req.setTimeout` would let a server that trickles a byte per minute hold the sink forever).
// - At most `maxBodyBytes` of the response are kept (after decompression); a longer body is cut,
//   flagged `truncated`, and its socket dropped. Hostile servers cannot exhaust memory.
// - A reply counts only when its body arrived completely (or was truncated by us): a connection
//   that dies mid-body is a network error, and the batch is retried under the same Idempotency-Key.
// - `connectProbe` sends nothing: it opens a connection (and, for https:, completes the TLS
//   handshake with the sink's own trust settings), closes it, and settles once like `post`.
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export interface PostOptions {
  /** default POST */
  method?: 'POST' | 'PUT';
  url: URL;
  agent: http.Agent;
  headers: OutgoingHttpHeaders;
  body: Uint8Array;
  timeoutMs: number;
  signal: AbortSignal;
  maxBodyBytes: number;
}

export interface PostReply {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: string;
  truncated: boolean;
}

export class TransportError extends Error {
  readonly kind: 'network' | 'timeout';
  readonly code: string | undefined;
  /** the request went out on a kept-alive socket that the server may have closed meanwhile */
  readonly reusedSocket: boolean;
  constructor(kind: 'network' | 'timeout', message: string, options: { code?: string; reusedSocket?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TransportError';
    this.kind = kind;
    this.code = options.code;
    this.reusedSocket = options.reusedSocket ?? false;
  }
}

export interface ConnectProbeOptions {
  url: URL;
  /** for https: the agent's CA, client certificate and key, rejectUnauthorized */
  tls: tls.ConnectionOptions;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Resolves when the URL's server accepts a connection (TLS handshake included); no request is sent. */
export function connectProbe(o: ConnectProbeOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const host = o.url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = o.url.protocol === 'https:';
    const port = Number(o.url.port || (secure ? 443 : 80));
    const socket = secure
      ? tls.connect({ ...o.tls, host, port, ...(net.isIP(host) ? {} : { servername: host }) })
      : net.connect({ host, port });
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void => finish(o.signal.reason);
    const timer = setTimeout(() => finish(new TransportError('timeout', `timeout: no connection within ${o.timeoutMs} ms`)), o.timeoutMs);
    o.signal.addEventListener('abort', onAbort, { once: true });
    socket.once(secure ? 'secureConnect' : 'connect', () => finish());
    socket.once('error', (error) => finish(networkError(error, false)));
    if (o.signal.aborted) onAbort();
  });
}

export function post(o: PostOptions): Promise<PostReply> {
  return new Promise<PostReply>((resolve, reject) => {
    const client = o.url.protocol === 'https:' ? https : http;
    const req = client.request(o.url, { method: o.method ?? 'POST', agent: o.agent, headers: o.headers });
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      return true;
    };
    const fail = (error: unknown): void => {
      if (!settle()) return;
      req.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(o.signal.reason);
    const timer = setTimeout(() => fail(new TransportError('timeout', `timeout: no complete response within ${o.timeoutMs} ms`)), o.timeoutMs);
    o.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => fail(networkError(error, req.reusedSocket)));
    req.on('response', (res) => {
      readReply(res, o.maxBodyBytes).then(
        (reply) => {
          if (settle()) resolve(reply);
        },
        (error: unknown) => fail(networkError(error, req.reusedSocket)),
      );
    });
    if (o.signal.aborted) onAbort();
    else req.end(o.body);
  });
}

async function readReply(res: IncomingMessage, maxBodyBytes: number): Promise<PostReply> {
  const raw = await readBody(res, maxBodyBytes);
  const decoded = await decodeBody(raw.bytes, res.headers['content-encoding'], maxBodyBytes);
  return {
    status: res.statusCode ?? 0,
    statusMessage: res.statusMessage ?? '',
    headers: res.headers,
    body: decoded.bytes.toString('utf8'),
    truncated: raw.truncated || decoded.truncated,
  };
}

interface Bytes {
  bytes: Buffer;
  truncated: boolean;
}

function readBody(res: IncomingMessage, maxBodyBytes: number): Promise<Bytes> {
  return new Promise<Bytes>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    res.on('data', (chunk: Buffer) => {
      if (done) return;
      const room = maxBodyBytes - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (chunk.length <= room) return;
      done = true;
      res.destroy();
      resolve({ bytes: Buffer.concat(chunks), truncated: true });
    });
    res.on('end', () => {
      if (done) return;
      done = true;
      resolve({ bytes: Buffer.concat(chunks), truncated: false });
    });
    res.on('error', (error) => {
      if (done) return;
      done = true;
      reject(error);
    });
    res.on('close', () => {
      if (done) return;
      done = true;
      reject(new TransportError('network', 'connection closed before the response body was complete', { code: 'ECONNRESET' }));
    });
  });
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotli = promisify(zlib.brotliDecompress);

/** Servers should not compress (we send Accept-Encoding: identity), but some do anyway. */
async function decodeBody(raw: Buffer, encoding: string | undefined, maxBodyBytes: number): Promise<Bytes> {
  const name = (encoding ?? '').trim().toLowerCase();
  const decode = name === 'gzip' || name === 'x-gzip' ? gunzip : name === 'deflate' ? inflate : name === 'br' ? brotli : undefined;
  if (!decode) return { bytes: raw, truncated: false };
  try {
    return { bytes: await decode(raw, { maxOutputLength: maxBodyBytes }), truncated: false };
  } catch {
    // cut off by us, over the limit, or not really compressed: an unreadable body, not an error
    return { bytes: Buffer.alloc(0), truncated: true };
  }
}

/** A readable one-line message from Node's socket, DNS and TLS errors (including AggregateError). */
function networkError(error: unknown, reusedSocket: boolean): TransportError {
  if (error instanceof TransportError) return error;
  const err = error as NodeJS.ErrnoException & { errors?: unknown[] };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  let message = err instanceof Error ? err.message : String(error);
  if (message === '' && Array.isArray(err?.errors)) {
    message = err.errors.map((inner) => (inner instanceof Error ? inner.message : String(inner))).join('; ');
  }
  // OpenSSL's "80BC…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert …:file.c:1601:…" → its reason
  const openssl = /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  if (openssl?.[1]) message = openssl[1];
  if (code && !message.includes(code)) message = `${code}: ${message}`;
  return new TransportError('network', message || 'network error', { code, reusedSocket, cause: error });
}
