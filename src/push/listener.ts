// One HTTP server on pushListener.listen for terminals that call the gateway (ZK ADMS / iclock,
// Hikvision HTTP host notifications), separate from the local API. Started by the Gateway only
// when a push device is configured. It implements the driver seam's PushRegistrar
// (src/devices/push.ts, which owns the types); beside it in src/push are its parts: address
// lists (addresses.ts) and the connection gate; what authenticates a push device is the family's
// definition (push.authenticatedBy, src/devices/definition.ts pushTrustOf).
// Invariants:
// - A request is routed by its SN query parameter (/iclock) or by the device id in its path
//   (/hikvision/<deviceId>) to a terminal registered on that route only: `SN=hikvision/<id>`
//   reaches no Hikvision terminal. Whether the sender may speak for the terminal (allowFrom,
//   comm-key pin, MAC) is the terminal's decision; it reports a refusal through `refused`.
// - A request a terminal refused for its source is counted in
//   gateway_push_refused_total{device,reason} and logged with its address (GW_ERR_PUSH_REFUSED),
//   rate-limited: a forger's flood writes a few lines and a count, not a line per request.
// - Unknown serials are logged (once per serial and minute, and at most a few lines a minute in
//   all, LogLimiter), counted in gateway_rejected_total{device="(unknown)",reason="unknown-serial"},
//   listed by `unknown()` (at most UNKNOWN_KEPT), and answered 503 with Retry-After so the
//   terminal keeps its data and calls again later.
// - Bodies larger than maxBodyBytes are refused (413, counted) before they are read whole; gzip
//   bodies are inflated with the same limit on the output, and a bigger output is a 413 too.
// - A request must arrive whole within requestTimeoutMs (answered 408, closed and counted as
//   request-timeout), a silent connection is closed after idleTimeoutMs, one address holds at most
//   maxConnectionsPerAddress connections and strangers at most maxConnections in all, while
//   addresses a terminal is configured or pinned to always find room (connectionGate.ts): slow or
//   idle sockets (slowloris) from any number of hosts cannot keep a configured terminal out.
// - Every reply carries a Date header (Node sends one): the terminal takes its clock from it.
// - `close` stops accepting, lets in-flight requests finish, and then drops idle connections.
import { STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import Fastify, { type ConnectionError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { pathTerminalKey, type PushRegistrar, type PushRefusal, type PushReply, type PushRequest, type PushRoute, type PushTerminal } from '../devices/push.js';
import { PUSH_REFUSAL_REASONS, rejectionCode, type RejectionReason } from '../util/catalogue.js';
import { LogLimiter } from '../util/logLimiter.js';
import type { Metrics } from '../util/metrics.js';
import { normalizeAddress } from './addresses.js';
import { ConnectionGate, type ConnectionRefusal } from './connectionGate.js';

/** Connection limits against slow and idle clients (pushListener config). */
export interface PushListenerLimits {
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** open connections of addresses no terminal is known by, in all */
  maxConnections: number;
  /** open connections of any one address */
  maxConnectionsPerAddress: number;
}

export const DEFAULT_PUSH_LIMITS: PushListenerLimits = { requestTimeoutMs: 30_000, idleTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, maxConnections: 1_024, maxConnectionsPerAddress: 16 };

export interface PushListenerOptions {
  log: Logger;
  metrics?: Metrics;
  maxBodyBytes: number;
  limits?: PushListenerLimits;
  /** seconds an unknown terminal is told to wait (Retry-After) */
  unknownRetrySec?: number;
}

/** A serial that called but is not configured, for /api/devices and the status page. */
export interface UnknownTerminal {
  serial: string;
  remoteAddress: string;
  firstSeen: string;
  lastSeen: string;
  requests: number;
}

const UNKNOWN_LOG_INTERVAL_MS = 60_000;
const UNKNOWN_KEPT = 100;

export class PushListener implements PushRegistrar {
  readonly app: FastifyInstance;
  private readonly routes: Record<PushRoute, Map<string, PushTerminal>> = { iclock: new Map(), hikvision: new Map() };
  private readonly unknownBySerial = new Map<string, UnknownTerminal & { loggedAtMs: number }>();
  private readonly log: Logger;
  /** warnings that hostile traffic can trigger at will: a few lines and a count per minute */
  private readonly warnings: LogLimiter;
  readonly connections: ConnectionGate;

  constructor(private readonly options: PushListenerOptions) {
    this.log = options.log.child({ component: 'push-listener' });
    this.warnings = new LogLimiter(this.log);
    const limits = options.limits ?? DEFAULT_PUSH_LIMITS;
    this.connections = new ConnectionGate({
      maxConnections: limits.maxConnections,
      maxPerAddress: limits.maxConnectionsPerAddress,
      isKnown: (address) => this.isTerminalAddress(address),
      onRefused: (address, reason) => this.noteConnectionRefused(address, reason),
    });
    this.app = buildApp(this, options.maxBodyBytes, limits);
  }

  register(terminal: PushTerminal): () => void {
    const terminals = this.routes[terminal.route];
    const current = terminals.get(terminal.serial);
    if (current && current !== terminal) this.log.warn({ code: 'GW_ERR_CONFIG_WARNING', serial: terminal.serial }, 'push terminal registered twice; the newer driver wins');
    terminals.set(terminal.serial, terminal);
    this.unknownBySerial.delete(terminal.serial);
    return () => {
      if (terminals.get(terminal.serial) === terminal) terminals.delete(terminal.serial);
    };
  }

  /** Is `address` one a registered terminal is configured or pinned to? */
  isTerminalAddress(address: string): boolean {
    for (const terminals of Object.values(this.routes)) {
      for (const terminal of terminals.values()) if (terminal.knowsAddress(address)) return true;
    }
    return false;
  }

  /** Terminals that called with a serial no device entry has, most recent first. */
  unknown(): UnknownTerminal[] {
    return [...this.unknownBySerial.values()]
      .map(({ loggedAtMs: _, ...t }) => t)
      .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
  }

  async listen(address: { host: string; port: number }): Promise<{ host: string; port: number; url: string }> {
    await this.app.listen({ host: address.host, port: address.port });
    const bound = this.app.server.address() as AddressInfo;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    this.log.info({ host: bound.address, port: bound.port }, 'push listener listening');
    return { host: bound.address, port: bound.port, url: `http://${host}:${bound.port}` };
  }

  async close(): Promise<void> {
    await this.app.close();
    this.warnings.flush();
  }

  /**
   * Routes one decoded request: on `route` by `key` (default: the iclock route by its SN).
   * Exported for the Fastify handler and for tests.
   */
  async dispatch(request: PushRequest, target?: { route: PushRoute; key: string }): Promise<PushReply & { retryAfterSec?: number }> {
    const route = target?.route ?? 'iclock';
    const serial = target?.key ?? request.query.SN ?? '';
    const terminal = this.routes[route].get(serial);
    if (!terminal) {
      this.noteUnknown(serial, request.remoteAddress);
      return { status: 503, body: 'UNKNOWN DEVICE', retryAfterSec: this.options.unknownRetrySec ?? 300 };
    }
    return terminal.handle(request);
  }

  refused(device: string, reason: PushRefusal, request: PushRequest): void {
    this.options.metrics?.pushRefused.inc({ device, reason });
    const fields = { device, reason, remoteAddress: request.remoteAddress, method: request.method, endpoint: request.endpoint.slice(0, 32) };
    this.warnings.warn(`refused|${device}|${reason}`, { code: PUSH_REFUSAL_REASONS[reason].code, ...fields }, 'push request refused for its source; nothing of it was taken');
  }

  private noteConnectionRefused(address: string, reason: ConnectionRefusal): void {
    this.options.metrics?.pushRefused.inc({ device: '(push)', reason });
    this.warnings.warn(`connection|${reason}`, { code: PUSH_REFUSAL_REASONS[reason].code, reason, remoteAddress: address }, 'push connection closed at once: too many open connections');
  }

  /**
   * A connection cut before it made a request (timed out, malformed, oversized headers): counted,
   * logged at debug only, since a slowloris flood would otherwise flood the journal too.
   */
  noteClientError(remoteAddress: string | undefined, reason: Extract<RejectionReason, 'request-timeout' | 'bad-request'>): void {
    this.options.metrics?.rejected.inc({ device: '(push)', reason });
    this.log.debug({ reason, remoteAddress }, 'push connection closed before a whole request');
  }

  /** A body refused before any terminal saw it (too large, bad gzip): counted and logged. */
  noteBadBody(remoteAddress: string, reason: Extract<RejectionReason, 'body-too-large' | 'bad-gzip'>): void {
    this.options.metrics?.rejected.inc({ device: '(push)', reason });
    this.warnings.warn(`body|${reason}`, { code: rejectionCode(reason), reason, remoteAddress: normalizeAddress(remoteAddress) }, 'push request body refused');
  }

  private noteUnknown(serial: string, remoteAddress: string): void {
    const now = new Date();
    const shown = serial.slice(0, 64) || '(none)';
    this.options.metrics?.rejected.inc({ device: '(unknown)', reason: 'unknown-serial' satisfies RejectionReason });
    let entry = this.unknownBySerial.get(shown);
    if (!entry) {
      if (this.unknownBySerial.size >= UNKNOWN_KEPT) {
        const oldest = [...this.unknownBySerial.values()].sort((a, b) => a.lastSeen.localeCompare(b.lastSeen))[0];
        if (oldest) this.unknownBySerial.delete(oldest.serial);
      }
      entry = { serial: shown, remoteAddress, firstSeen: now.toISOString(), lastSeen: now.toISOString(), requests: 0, loggedAtMs: 0 };
      this.unknownBySerial.set(shown, entry);
    }
    entry.requests += 1;
    entry.lastSeen = now.toISOString();
    entry.remoteAddress = remoteAddress;
    if (now.getTime() - entry.loggedAtMs >= UNKNOWN_LOG_INTERVAL_MS) {
      entry.loggedAtMs = now.getTime();
      this.warnings.warn('unknown-serial', { code: rejectionCode('unknown-serial'), serial: shown, remoteAddress }, 'unknown terminal asks to connect; add it to devices to accept it');
    }
  }
}

class InflatedTooLarge extends Error {}

function bodyText(request: FastifyRequest, maxBodyBytes: number): string {
  const bytes = request.body;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return '';
  const encoding = String(request.headers['content-encoding'] ?? '').toLowerCase();
  const gzipped = encoding.includes('gzip') || (bytes[0] === 0x1f && bytes[1] === 0x8b);
  const plain = gzipped ? inflate(bytes, maxBodyBytes) : bytes;
  return Buffer.from(plain.buffer, plain.byteOffset, plain.length).toString('utf8');
}

function inflate(bytes: Uint8Array, maxBodyBytes: number): Uint8Array {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBodyBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new InflatedTooLarge('inflated body over maxBodyBytes');
    throw error;
  }
}

function firstValues(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

/** Fastify's default client-error reply (as Node sends it), plus counting what was cut. */
function onClientError(listener: PushListener, error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  listener.noteClientError(socket.remoteAddress, timedOut ? 'request-timeout' : 'bad-request');
  const status = timedOut ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  socket.destroy();
}

function buildApp(listener: PushListener, maxBodyBytes: number, limits: PushListenerLimits): FastifyInstance {
  // HTTP/1.0 and `Connection: close` are Node's own business; keep-alive is not required of terminals
  const app = Fastify({
    logger: false,
    bodyLimit: maxBodyBytes,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks request and header deadlines every connectionsCheckingInterval (30 s by default)
    http: { headersTimeout: limits.requestTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(limits.requestTimeoutMs / 4))) },
    clientErrorHandler: (error, socket) => onClientError(listener, error, socket),
  });
  // before Node's HTTP parser sees the socket: a refused connection costs no parser and no timer
  app.server.prependListener('connection', (socket: Socket) => listener.connections.admit(socket));
  // terminals send text/plain, application/octet-stream or nothing: every body is bytes to us
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.route({
    method: ['GET', 'POST'],
    url: '/iclock/:endpoint',
    handler: async (request, reply) => {
      let text: string;
      try {
        text = bodyText(request, maxBodyBytes);
      } catch (error) {
        if (error instanceof InflatedTooLarge) {
          listener.noteBadBody(request.ip, 'body-too-large');
          return reply.code(413).type('text/plain').send('ERROR: body too large');
        }
        listener.noteBadBody(request.ip, 'bad-gzip');
        return reply.code(400).type('text/plain').send('ERROR: body cannot be inflated');
      }
      const endpoint = (request.params as { endpoint: string }).endpoint.replace(/\.aspx$/i, '');
      const out = await listener.dispatch({ method: request.method, endpoint, query: firstValues(request.query), body: text, remoteAddress: normalizeAddress(request.ip) });
      if (out.retryAfterSec !== undefined) void reply.header('retry-after', String(out.retryAfterSec));
      return reply.code(out.status).type('text/plain').send(out.body);
    },
  });
  // Hikvision HTTP host notification (httpHosts URL /hikvision/<deviceId>): JSON or multipart bytes
  // go to the driver as received; it answers 200 only after the commit
  app.post('/hikvision/:deviceId', async (request, reply) => {
    const bytes = request.body instanceof Uint8Array ? request.body : new Uint8Array();
    const { deviceId } = request.params as { deviceId: string };
    const pushRequest: PushRequest = { method: 'POST', endpoint: 'hikvision', query: firstValues(request.query), body: '', bytes, contentType: String(request.headers['content-type'] ?? ''), remoteAddress: normalizeAddress(request.ip) };
    const out = await listener.dispatch(pushRequest, { route: 'hikvision', key: pathTerminalKey('hikvision', deviceId) });
    if (out.retryAfterSec !== undefined) void reply.header('retry-after', String(out.retryAfterSec));
    return reply.code(out.status).type('text/plain').send(out.body);
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('NOT FOUND'));
  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    if (error.statusCode === 413) listener.noteBadBody(request.ip, 'body-too-large');
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).type('text/plain').send(`ERROR: ${status === 413 ? 'body too large' : 'request refused'}`);
  });
  return app;
}
