// The kiosk listener (DESIGN.md "Kiosks and apps", "Listeners"): its own HTTPS server on
// kiosk.listen, never the API's or the push listener's, started by the Gateway only when a kiosk
// entry is configured. It implements the driver seam's KioskRegistrar (src/devices/kiosk.ts).
// Invariants:
// - Mutual TLS only: `requestCert` and `rejectUnauthorized` with the local kiosk CA as the one
//   trust anchor, so a client without a certificate of that CA never completes a handshake. Such
//   handshakes are counted (gateway_rejected_total{device="(kiosk)"}) and logged (rate-limited)
//   with the reason Node's verification gave (none, untrusted, expired).
// - Identity is the client certificate's alone: before a body is read, its CN must name a
//   registered (configured, enabled, running) kiosk, its serial must not be in revoked.json (read
//   again whenever the file changes: `kiosk revoke` needs no restart, and acts on open keep-alive
//   connections too) and its validity must not be over. Anything else is 403, counted, logged,
//   and reaches no kiosk driver.
// - Bodies over MAX_BODY_BYTES are refused (413) before they are read whole.
// - Every refusal answers `{ error, code, reason }` with a catalogue code; no request text is
//   copied into a reply.
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { KioskCertificate, KioskPhotoStore, KioskRegistrar, KioskTerminal } from '../devices/kiosk.js';
import { normalizeAddress } from '../push/addresses.js';
import { rejectionCode, type RejectionReason } from '../util/catalogue.js';
import { LogLimiter } from '../util/logLimiter.js';
import type { Metrics } from '../util/metrics.js';
import { normalSerial } from './ca.js';
import { KIOSK_PAGE_CSP, KIOSK_PAGE_HTML } from './page.js';
import type { RevocationList } from './revocations.js';

/** A punch with a 200 KB photo in base64 (4/3) and its other fields fits well within this. */
export const MAX_BODY_BYTES = 320 * 1024;
const UNAUTHENTICATED = '(kiosk)';

export interface KioskListenerOptions {
  log: Logger;
  metrics: Metrics;
  tls: { key: string; cert: string; ca: string };
  revocations: RevocationList;
  photos: KioskPhotoStore;
  maxSkewMs: number;
}

type TlsRefusal = Extract<RejectionReason, 'kiosk-no-certificate' | 'kiosk-certificate-untrusted' | 'kiosk-certificate-expired' | 'kiosk-tls'>;

/** What Node's verification said about a refused handshake, as a catalogue reason. */
export function tlsRefusalOf(error: { code?: string }, authorizationError: unknown): TlsRefusal {
  if (error.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'kiosk-no-certificate';
  const verify = typeof authorizationError === 'string' ? authorizationError : (authorizationError as { code?: string } | null)?.code;
  if (verify === 'CERT_HAS_EXPIRED' || verify === 'CERT_NOT_YET_VALID') return 'kiosk-certificate-expired';
  if (verify) return 'kiosk-certificate-untrusted';
  return 'kiosk-tls';
}

declare module 'fastify' {
  interface FastifyRequest {
    kiosk?: { terminal: KioskTerminal; certificate: KioskCertificate };
  }
}

export class KioskListener implements KioskRegistrar {
  readonly app: FastifyInstance;
  readonly maxSkewMs: number;
  readonly photos: KioskPhotoStore;
  private readonly terminals = new Map<string, KioskTerminal>();
  private readonly log: Logger;
  private readonly warnings: LogLimiter;

  constructor(private readonly options: KioskListenerOptions) {
    this.log = options.log.child({ component: 'kiosk-listener' });
    this.warnings = new LogLimiter(this.log);
    this.maxSkewMs = options.maxSkewMs;
    this.photos = options.photos;
    this.app = buildApp(this, options);
  }

  register(terminal: KioskTerminal): () => void {
    this.terminals.set(terminal.deviceId, terminal);
    return () => {
      if (this.terminals.get(terminal.deviceId) === terminal) this.terminals.delete(terminal.deviceId);
    };
  }

  async listen(address: { host: string; port: number }): Promise<{ host: string; port: number; url: string }> {
    await this.app.listen({ host: address.host, port: address.port });
    const bound = this.app.server.address() as AddressInfo;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    this.log.info({ host: bound.address, port: bound.port }, 'kiosk listener listening (mutual TLS)');
    return { host: bound.address, port: bound.port, url: `https://${host}:${bound.port}` };
  }

  async close(): Promise<void> {
    await this.app.close();
    this.warnings.flush();
  }

  /** Counted in gateway_rejected_total and logged with the reason's code (a few lines a minute per reason). */
  refuse(device: string, reason: RejectionReason, fields: Record<string, unknown>): void {
    this.options.metrics.rejected.inc({ device, reason });
    this.warnings.warn(`${device}|${reason}`, { code: rejectionCode(reason), reason, device, ...fields }, 'kiosk request refused; nothing of it was taken');
  }

  /** The kiosk a request's client certificate proves, or the refusal. */
  authenticate(socket: TLSSocket, now = Date.now()): { terminal: KioskTerminal; certificate: KioskCertificate } | { reason: RejectionReason; device: string; status: number } {
    const peer = socket.getPeerX509Certificate();
    if (!peer) return { reason: 'kiosk-no-certificate', device: UNAUTHENTICATED, status: 401 };
    const cn = peer.subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3) ?? '';
    const terminal = this.terminals.get(cn);
    const device = terminal ? cn : UNAUTHENTICATED;
    const serial = normalSerial(peer.serialNumber);
    if (this.options.revocations.isRevoked(serial)) return { reason: 'kiosk-revoked', device, status: 403 };
    if (Date.parse(peer.validTo) <= now || Date.parse(peer.validFrom) > now) return { reason: 'kiosk-certificate-expired', device, status: 403 };
    if (!terminal) return { reason: 'kiosk-unknown', device, status: 403 };
    return { terminal, certificate: { serial, notAfter: new Date(peer.validTo).toISOString() } };
  }
}

function refusal(reply: FastifyReply, status: number, reason: RejectionReason, error: string): FastifyReply {
  return reply.code(status).send({ error, code: rejectionCode(reason), reason });
}

const REFUSAL_TEXT: Partial<Record<RejectionReason, string>> = {
  'kiosk-no-certificate': 'a client certificate is required',
  'kiosk-revoked': 'this kiosk certificate is revoked',
  'kiosk-certificate-expired': 'this kiosk certificate is outside its validity',
  'kiosk-unknown': 'this certificate names no kiosk of this gateway',
};

function buildApp(listener: KioskListener, options: KioskListenerOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // slow or silent clients (a TLS slowloris) cannot keep sockets: a handshake, a request and an
    // idle connection each have a bound, as on the push listener
    connectionTimeout: 60_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    https: { key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 },
  });
  app.server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    const reason = tlsRefusalOf(error, socket.authorizationError);
    listener.refuse(UNAUTHENTICATED, reason, { remoteAddress: normalizeAddress(socket.remoteAddress ?? ''), tls: error.code ?? error.message.slice(0, 80) });
  });
  // before the body is read: an unauthenticated request costs no parsing
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const outcome = listener.authenticate(request.raw.socket as TLSSocket);
    if ('reason' in outcome) {
      listener.refuse(outcome.device, outcome.reason, { remoteAddress: normalizeAddress(request.ip), path: request.url.slice(0, 64) });
      return refusal(reply, outcome.status, outcome.reason, REFUSAL_TEXT[outcome.reason] ?? 'refused');
    }
    request.kiosk = outcome;
    return undefined;
  });
  app.post('/kiosk/v1/punch', async (request, reply) => {
    const kiosk = request.kiosk as NonNullable<FastifyRequest['kiosk']>;
    const out = await kiosk.terminal.handle({ body: request.body, certificate: kiosk.certificate, remoteAddress: normalizeAddress(request.ip) });
    if (out.status === 503) void reply.header('retry-after', '5');
    return reply.code(out.status).send(out.body);
  });
  app.get('/kiosk/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', KIOSK_PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(KIOSK_PAGE_HTML),
  );
  // a kiosk app's first call: who the gateway takes it for, and the gateway's clock
  app.get('/kiosk/v1/hello', async (request) => {
    const kiosk = request.kiosk as NonNullable<FastifyRequest['kiosk']>;
    return { device: kiosk.terminal.deviceId, certificate: kiosk.certificate, gatewayTime: new Date().toISOString(), maxSkewSec: Math.round(listener.maxSkewMs / 1000) };
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'no such kiosk route', code: 'GW_ERR_KIOSK_BAD_REQUEST', reason: 'kiosk-body' }));
  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const device = request.kiosk?.terminal.deviceId ?? UNAUTHENTICATED;
    const tooLarge = error.statusCode === 413;
    const reason: RejectionReason = tooLarge ? 'kiosk-body-too-large' : 'kiosk-body';
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      listener.refuse(device, reason, { remoteAddress: normalizeAddress(request.ip), problem: String(error.message ?? '').slice(0, 120) });
      return refusal(reply, tooLarge ? 413 : 400, reason, tooLarge ? 'body too large' : 'the body is not JSON');
    }
    options.log.error({ code: 'GW_ERR_INTERNAL', err: error, device }, 'kiosk request failed');
    return reply.code(500).send({ error: 'internal error', code: 'GW_ERR_INTERNAL' });
  });
  return app;
}
