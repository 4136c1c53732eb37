// A real punch-batch/v1 receiver for tests: HTTPS (default) or plain HTTP on 127.0.0.1, port 0.
// Invariants:
// - Listens on 127.0.0.1 only, on a port the OS picks (or `port`); `url` names it.
// - Every request that reaches HTTP is recorded, in arrival order, before the responder runs:
//   headers, raw bytes, the body decoded (gunzipped when Content-Encoding says gzip) and parsed.
//   TLS handshakes that fail (e.g. a missing client certificate) never become requests; they are
//   counted in `tlsErrors`.
// - Replies come from a queue (consumed in order), then from a responder function, then the
//   default `200 {"ok":true}`. A reply can also hang (never answer) or reset the connection.
// - `close()` ends hanging requests and kept-alive sockets, so no test waits on them.
import { once } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { tlsFixture } from './tls.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** the body bytes as sent (possibly gzipped) */
  rawBody: Buffer;
  /** the body as text after Content-Encoding was undone */
  bodyText: string;
  /** the parsed JSON body, or undefined when it is not JSON */
  json: unknown;
  /** `punches[].id` of a punch-batch/v1 body, in order */
  punchIds: string[];
  /** subject CN of the client certificate, when one was presented */
  clientCertCn?: string;
  /** why the body could not be decoded, if it could not */
  decodeError?: string;
}

export interface ReceiverReply {
  status?: number;
  headers?: Record<string, string>;
  /** a string or Buffer is sent as is; anything else as JSON */
  body?: unknown;
  /** never answer: the request stays open until the client gives up or `close()` */
  hang?: boolean;
  /** drop the connection without an HTTP answer */
  reset?: boolean;
  /** close the connection right after answering, although the client asked to keep it alive */
  closeAfter?: boolean;
}

export type Responder = (req: ReceivedRequest, body: unknown) => ReceiverReply | Promise<ReceiverReply>;

export interface ReceiverOptions {
  /** HTTPS with the throwaway test CA (default true); false serves plain HTTP */
  tls?: boolean;
  /** mutual TLS: refuse handshakes without a client certificate signed by the test CA */
  requireClientCert?: boolean;
  /** a responder function, or a queue of replies used once each before the default */
  respond?: Responder | ReceiverReply[];
  /** request path in `url`; default /api/punches */
  path?: string;
  /** listen on this port (e.g. a receiver that comes back where a closed one was); default one the OS picks */
  port?: number;
}

export interface HttpsReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** every punch id of every request, in arrival order (retries appear again) */
  receivedIds: string[];
  /** ids of requests answered 2xx, minus ids that reply listed as rejected, in order */
  acceptedIds: string[];
  /** handshakes that failed (missing/untrusted client certificate, client distrusts us) */
  tlsErrors: string[];
  /** replace the responder (a function, or a queue used before the default) */
  setResponder(respond: Responder | ReceiverReply[]): void;
  /** resolves once at least `count` requests were recorded */
  waitForRequests(count: number): Promise<void>;
  /** resolves once at least `count` distinct punch ids were accepted */
  waitForAccepted(count: number): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_REPLY: ReceiverReply = { status: 200, body: { ok: true } };

export async function startHttpsReceiver(options: ReceiverOptions = {}): Promise<HttpsReceiver> {
  const state = new ReceiverState(options.respond);
  const server = createServer(options, (req, res) => void state.handle(req, res));
  server.on('tlsClientError', (error: Error) => state.tlsErrors.push(error.message));
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls === false ? 'http' : 'https';
  return {
    url: `${scheme}://127.0.0.1:${port}${options.path ?? '/api/punches'}`,
    port,
    requests: state.requests,
    receivedIds: state.receivedIds,
    acceptedIds: state.acceptedIds,
    tlsErrors: state.tlsErrors,
    setResponder: (respond) => state.setResponder(respond),
    waitForRequests: (count) => state.waitUntil(() => state.requests.length >= count),
    waitForAccepted: (count) => state.waitUntil(() => new Set(state.acceptedIds).size >= count),
    close: async () => {
      state.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function createServer(options: ReceiverOptions, listener: http.RequestListener): http.Server {
  if (options.tls === false) return http.createServer(listener);
  const pki = tlsFixture();
  const mtls = options.requireClientCert ? { requestCert: true, rejectUnauthorized: true, ca: pki.ca.cert } : {};
  return https.createServer({ key: pki.server.key, cert: pki.server.cert, ...mtls }, listener);
}

class ReceiverState {
  readonly requests: ReceivedRequest[] = [];
  readonly receivedIds: string[] = [];
  readonly acceptedIds: string[] = [];
  readonly tlsErrors: string[] = [];
  closing = false;
  private queue: ReceiverReply[] = [];
  private responder: Responder | undefined;
  private readonly waiters = new Set<{ ready: () => boolean; resolve: () => void }>();

  constructor(respond: Responder | ReceiverReply[] | undefined) {
    if (respond) this.setResponder(respond);
  }

  setResponder(respond: Responder | ReceiverReply[]): void {
    if (Array.isArray(respond)) {
      this.queue = [...respond];
      this.responder = undefined;
    } else {
      this.queue = [];
      this.responder = respond;
    }
  }

  waitUntil(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ ready, resolve }));
  }

  private notify(): void {
    for (const waiter of this.waiters) {
      if (!waiter.ready()) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const received = recordRequest(req, await readAll(req));
    this.requests.push(received);
    this.receivedIds.push(...received.punchIds);
    this.notify();
    let reply: ReceiverReply;
    try {
      reply = this.queue.shift() ?? (await this.responder?.(received, received.json)) ?? DEFAULT_REPLY;
    } catch (error) {
      reply = { status: 500, body: `responder threw: ${String(error)}` };
    }
    if (reply.hang || this.closing) return;
    if (reply.reset) {
      req.socket.destroy();
      return;
    }
    this.answer(res, reply, received);
  }

  private answer(res: ServerResponse, reply: ReceiverReply, received: ReceivedRequest): void {
    const status = reply.status ?? 200;
    if (status >= 200 && status < 300) {
      const rejected = rejectedIds(reply.body);
      this.acceptedIds.push(...received.punchIds.filter((id) => !rejected.has(id)));
      this.notify();
    }
    const payload = encodeBody(reply.body);
    const headers: Record<string, string> = { ...(payload.json ? { 'content-type': 'application/json' } : {}), ...reply.headers };
    if (reply.closeAfter) res.on('finish', () => res.socket?.destroy());
    res.writeHead(status, headers);
    res.end(payload.bytes);
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function recordRequest(req: IncomingMessage, rawBody: Buffer): ReceivedRequest {
  const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, bodyText: '', json: undefined, punchIds: [] };
  let bytes = rawBody;
  if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
    try {
      bytes = gunzipSync(rawBody);
    } catch (error) {
      received.decodeError = `gunzip: ${String(error)}`;
    }
  }
  received.bodyText = bytes.toString('utf8');
  try {
    received.json = JSON.parse(received.bodyText) as unknown;
  } catch (error) {
    received.decodeError ??= `json: ${String(error)}`;
  }
  received.punchIds = punchIdsOf(received.json);
  const peer = (req.socket as Partial<TLSSocket>).getPeerCertificate?.();
  if (peer && typeof peer.subject?.CN === 'string') received.clientCertCn = peer.subject.CN;
  return received;
}

function punchIdsOf(json: unknown): string[] {
  const punches = (json as { punches?: unknown } | undefined)?.punches;
  if (!Array.isArray(punches)) return [];
  return punches.flatMap((p) => (typeof (p as { id?: unknown })?.id === 'string' ? [(p as { id: string }).id] : []));
}

function rejectedIds(body: unknown): Set<string> {
  const list = (body as { rejected?: unknown } | undefined)?.rejected;
  if (!Array.isArray(list)) return new Set();
  return new Set(list.flatMap((r) => (typeof (r as { id?: unknown })?.id === 'string' ? [(r as { id: string }).id] : [])));
}

function encodeBody(body: unknown): { bytes: Buffer; json: boolean } {
  if (body === undefined) return { bytes: Buffer.alloc(0), json: false };
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8'), json: false };
  if (Buffer.isBuffer(body)) return { bytes: body, json: false };
  return { bytes: Buffer.from(JSON.stringify(body), 'utf8'), json: true };
}
