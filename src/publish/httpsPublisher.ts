// HTTPS sink (DESIGN.md "HTTPS (contract)"): one punch-batch/v1 POST per batch.
// Invariants:
// - Concurrency 1: the dispatcher sends the next batch only after this one settled, so the
//   server sees punches in commit order.
// - The Idempotency-Key depends only on the batch's punch ids, in order: a retried batch carries
//   the same key, a different batch a different one. Retrying is therefore always safe, which is
//   why a request that died on a stale kept-alive socket is re-sent once at once.
// - `send` never throws for delivery failures; it rejects only with the abort signal's reason.
//   Outcome rules live in httpsOutcome.ts (2xx acks, 401/403 halt, other 4xx dead-letter, the rest
//   retried with Retry-After).
// - A 413 for several punches is no verdict on any one of them: the batch is split in halves, sent
//   in order, until the offender is alone; only a punch that alone gets 413 is dead-lettered (with
//   the response), every other one is acked or retried as usual. A part that gets anything but an
//   answer for each of its punches stops the rest (not sent: retried in commit order). Once a body
//   of N bytes got 413, bodies of several punches that large are split before sending; a single
//   punch is always tried, and a 2xx for one that large forgets the bound.
// - The bearer token never reaches a log line, an error text or a dead-letter reason: headers are
//   never logged, and server text is scrubbed of the token (and of the URL's password) before it
//   is used. The URL is shown only through redactUrl.
// - `connected` means the last request got an HTTP answer (any status); it is false before the
//   first request, because nothing is known yet.
// - `available` is false from a request that got no HTTP answer (network error, TLS, timeout)
//   until the endpoint is seen again: the sink then probes it in the background, a connection and
//   TLS handshake with no request sent (httpsTransport.ts `connectProbe`), backing off from
//   probeMinMs to probeMaxMs. A probe that gets through, or any request that gets an HTTP answer,
//   makes it available and tells the `onAvailable` listeners. Only an HTTP answer resets the
//   probe backoff: a server that takes connections but never answers is probed less and less often.
//   Before the first request it is available: nothing says otherwise, and the first batch is the
//   first probe.
// - With `checkpointFor`, every body carries `"checkpoint"`: a signed checkpoint of the punch log
//   whose size covers the batch's highest seq. A batch sent again carries the checkpoint of its
//   first attempt, so that its body is byte for byte the same (an Idempotency-Key server may
//   refuse a key reused with another body).
import { createHash } from 'node:crypto';
import http, { type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Logger } from 'pino';
import type { OutgoingPunch } from '../buffer/punchBuffer.js';
import { backoffDelayMs } from '../util/backoff.js';
import type { ErrorCode } from '../util/catalogue.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { LogLimiter } from '../util/logLimiter.js';
import { hideUrlSecrets, redactUrl } from '../util/redactUrl.js';
import { parseRetryAfter } from '../util/retryAfter.js';
import { VERSION } from '../version.js';
import { classifyReply, excerpt, type Outcome } from './httpsOutcome.js';
import { connectProbe, post, TransportError, type PostReply } from './httpsTransport.js';
import { photoHeaders, photoOutcomeOf, photosBaseUrl, photoUrl } from './httpsPhotos.js';
import { PhotoForwarder, type OutgoingPhoto, type PhotoOutcome, type PhotoSource } from './photos.js';
import { AvailabilityListeners, type Publisher, type SendResult, type SinkHealth } from './publisher.js';

export { parseRetryAfter } from '../util/retryAfter.js';

export const PUNCH_BATCH_SCHEMA = 'punch-batch/v1';

export interface HttpsPublisherOptions {
  /** sink name (buffer cursor, dead-letter rows); default 'https' */
  sink?: string;
  /** https:// endpoint; http:// is allowed (loopback tests) with a warning */
  url: string;
  /** sent as `Authorization: Bearer <token>`; surrounding white space is ignored */
  token?: string;
  /** PEM contents: CA bundle to trust, client certificate and key for mutual TLS */
  ca?: string;
  cert?: string;
  key?: string;
  /** verify the server certificate; default true */
  rejectUnauthorized?: boolean;
  /** gzip the request body (Content-Encoding: gzip); default false */
  gzip?: boolean;
  /** punches per POST; default 500 */
  batchSize?: number;
  /** how long a partial batch waits for more punches; default 1000 */
  maxWaitMs?: number;
  /** deadline for one whole request (connect, upload, response body), and for one probe; default 30000 */
  timeoutMs?: number;
  /** while the endpoint is unreachable, probe it after this long at first; default 1000 */
  probeMinMs?: number;
  /** … doubling (with jitter) up to this; default 30000 */
  probeMaxMs?: number;
  gateway: string;
  site: string;
  log: Logger;
  /** extra request headers; they cannot replace the ones the contract defines */
  headers?: Record<string, string>;
  /** for User-Agent; default the package version */
  version?: string;
  /** a signed checkpoint note whose tree size is at least `highestSeq` (the punch log's); undefined: none in the body */
  checkpointFor?: (highestSeq: number) => string | undefined;
  /** with publish.photos: where kiosk photos are read, each PUT before its punch's batch */
  photos?: PhotoSource;
  /** where photos are PUT as <photosUrl>/<sha256>; default <url>/photos */
  photosUrl?: string;
}

/** A server's Retry-After is honoured up to this; beyond it the sink would look dead for hours. */
export const MAX_RETRY_AFTER_MS = 3_600_000;
/** Response bodies are read up to this many bytes (a rejected list for 10,000 punches fits). */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Headers owned by the contract or by HTTP framing: `headers` may not set them. */
const RESERVED_HEADERS = new Set([
  'content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'connection',
  'idempotency-key', 'user-agent', 'accept', 'accept-encoding', 'host', 'keep-alive', 'te', 'upgrade',
]);
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);
const gzip = promisify(zlib.gzip);

/** Stable per batch content: SHA-256 (hex) over the punch ids in batch order, one per line. */
export function idempotencyKey(ids: readonly string[]): string {
  return createHash('sha256').update(ids.join('\n'), 'utf8').digest('hex');
}

export class HttpsPublisher implements Publisher {
  readonly sink: string;
  readonly batchSize: number;
  readonly concurrency = 1;
  readonly maxWaitMs: number;
  private readonly options: HttpsPublisherOptions;
  private readonly url: URL;
  private readonly log: Logger;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly token: string | undefined;
  private inFlight: Promise<SendResult> | undefined;
  private connected = false;
  private halted: 'auth' | null = null;
  private lastError: string | null = null;
  private lastErrorCode: ErrorCode | null = null;
  private lastSuccessAt: string | null = null;
  /** the smallest body answered 413 (bodies of several punches this large are split unsent) */
  private smallestRefusedBytes = Number.POSITIVE_INFINITY;
  private readonly refusalLog: LogLimiter;
  /** the checkpoint the last batch went with, by its Idempotency-Key: a retry carries it again */
  private attached: { key: string; note: string } | undefined;
  /** the last request got no HTTP answer, and no probe got through since */
  private unreachable = false;
  private probeAttempt = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly stopped = new AbortController();
  private readonly availability = new AvailabilityListeners();
  private readonly photos: { forwarder: PhotoForwarder; base: URL } | undefined;

  constructor(options: HttpsPublisherOptions) {
    this.options = options;
    this.sink = options.sink ?? 'https';
    this.batchSize = options.batchSize ?? 500;
    this.maxWaitMs = options.maxWaitMs ?? 1000;
    this.url = parseUrl(options.url);
    this.log = options.log.child({ sink: this.sink });
    this.refusalLog = new LogLimiter(this.log);
    this.token = options.token?.trim() || undefined;
    this.headers = buildHeaders(options, this.token, (ignored) =>
      this.log.warn({ code: 'GW_ERR_CONFIG_WARNING', ignored }, 'publish.https.headers: these headers are set by the gateway; the configured values are ignored'),
    );
    this.agent = this.createAgent();
    this.photos = options.photos ? { forwarder: new PhotoForwarder(options.photos, { sink: this.sink, log: this.log }), base: photosBaseUrl(options.url, options.photosUrl) } : undefined;
    if (this.url.protocol === 'http:') {
      this.log.warn({ code: 'GW_ERR_CONFIG_WARNING', url: redactUrl(this.url.href) }, 'publish.https.url is plain http://: punches and the token travel unencrypted');
    }
  }

  private createAgent(): http.Agent {
    if (this.url.protocol === 'http:') return new http.Agent({ keepAlive: true, maxFreeSockets: 1 });
    const o = this.options;
    return new https.Agent({
      keepAlive: true,
      maxFreeSockets: 1,
      rejectUnauthorized: o.rejectUnauthorized ?? true,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.cert ? { cert: o.cert } : {}),
      ...(o.key ? { key: o.key } : {}),
    });
  }

  async start(): Promise<void> {
    this.log.info({ url: redactUrl(this.url.href), gzip: this.options.gzip ?? false, batchSize: this.batchSize }, 'https sink ready');
  }

  get available(): boolean {
    return !this.unreachable;
  }

  onAvailable(listener: () => void): () => void {
    return this.availability.add(listener);
  }

  /** Waits for the request in flight (until `signal` fires), then closes kept-alive sockets. */
  async stop(signal?: AbortSignal): Promise<void> {
    this.stopped.abort();
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    const inFlight = this.inFlight;
    if (inFlight && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done, { once: true });
        inFlight.then(done, done);
      });
    }
    this.agent.destroy();
    this.refusalLog.flush();
  }

  health(): SinkHealth {
    return { sink: this.sink, connected: this.connected, halted: this.halted, lastError: this.lastError, lastErrorCode: this.lastError === null ? null : this.lastErrorCode, lastSuccessAt: this.lastSuccessAt };
  }

  async send(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult> {
    signal.throwIfAborted();
    if (batch.length === 0) return { acked: [], rejected: [] };
    const photos = this.photos;
    const task = photos
      ? photos.forwarder.send(batch, signal, { sendPunches: (b, s) => this.deliver(b, s), sendPhoto: (p, s) => this.sendPhoto(photos.base, p, s) })
      : this.deliver(batch, signal);
    this.inFlight = task;
    try {
      return await task;
    } finally {
      if (this.inFlight === task) this.inFlight = undefined;
    }
  }

  private async deliver(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult> {
    const ids = batch.map((punch) => punch.id);
    const key = idempotencyKey(ids);
    const body = await this.encode(batch, this.checkpointOf(batch, key));
    signal.throwIfAborted();
    if (batch.length > 1 && body.byteLength >= this.smallestRefusedBytes) return this.deliverHalves(batch, signal);
    const headers: OutgoingHttpHeaders = { ...this.headers, 'content-length': String(body.byteLength), 'idempotency-key': key };
    let reply: PostReply;
    try {
      reply = await this.postWithStaleRetry(body, headers, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      return this.onTransportError(error, ids.length, key);
    }
    if (reply.status === 413) this.smallestRefusedBytes = Math.min(this.smallestRefusedBytes, body.byteLength);
    else if (batch.length === 1 && reply.status >= 200 && reply.status < 300 && body.byteLength >= this.smallestRefusedBytes) this.smallestRefusedBytes = Number.POSITIVE_INFINITY;
    if (reply.status === 413 && batch.length > 1) {
      this.log.debug({ status: 413, count: batch.length, bodyBytes: body.byteLength, idempotencyKey: key }, 'server refused the batch as too large; sending it in halves to find the punch it refuses');
      return this.deliverHalves(batch, signal);
    }
    const result = this.onReply(reply, ids, key);
    if (reply.status === 413) return this.tooLargeAlone(batch[0] as OutgoingPunch, body.byteLength, result);
    return result;
  }

  private async sendPhoto(base: URL, photo: OutgoingPhoto, signal: AbortSignal): Promise<PhotoOutcome> {
    const headers = photoHeaders(this.headers, { punchId: photo.punchId, deviceId: photo.deviceId, bytes: photo.jpeg.byteLength });
    let reply: PostReply;
    try {
      reply = await post({ method: 'PUT', url: photoUrl(base, photo.sha256), agent: this.agent, headers, body: photo.jpeg, signal, timeoutMs: this.options.timeoutMs ?? 30_000, maxBodyBytes: 64 * 1024 });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      return { kind: 'failed', error: this.onTransportError(error, 1, `photo:${photo.sha256}`).error ?? 'not sent' };
    }
    this.connected = true;
    this.markReachable();
    const retryAfterMs = parseRetryAfter(headerText(reply.headers['retry-after']), Date.now());
    const outcome = photoOutcomeOf(reply.status, retryAfterMs === undefined ? undefined : Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
    if (outcome.kind === 'failed') {
      this.lastError = outcome.error;
      this.lastErrorCode = outcome.halt ? 'GW_ERR_SINK_AUTH' : 'GW_ERR_SINK_UNREACHABLE';
      if (outcome.halt) this.halted = 'auth';
      this.log.warn({ code: this.lastErrorCode, status: reply.status, punchId: photo.punchId, body: excerpt(this.scrub(reply.body), 200) }, 'kiosk photo not taken by the server; its punch waits with it');
    }
    return outcome;
  }

  /** The halves in order; a half that leaves punches unanswered stops the rest (retried in order). */
  private async deliverHalves(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult> {
    const middle = Math.ceil(batch.length / 2);
    const merged: SendResult = { acked: [], rejected: [] };
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      const part = await this.deliver(half, signal);
      merged.acked.push(...part.acked);
      merged.rejected.push(...part.rejected);
      if (part.acked.length + part.rejected.length === half.length) continue;
      for (const field of ['error', 'halt', 'retryAfterMs'] as const) {
        if (part[field] !== undefined) Object.assign(merged, { [field]: part[field] });
      }
      return merged;
    }
    return merged;
  }

  /** One punch alone answered 413: it is the offender; say so in a line an operator can act on. */
  private tooLargeAlone(punch: OutgoingPunch, bodyBytes: number, result: SendResult): SendResult {
    this.refusalLog.error(`too-large:${punch.deviceId}`, { code: 'GW_ERR_SINK_REJECTED', status: 413, punchId: punch.id, deviceId: punch.deviceId, bodyBytes, punchBytes: Buffer.byteLength(punch.json, 'utf8') }, 'server refuses this punch as too large even alone; dead-lettered alone, the other punches keep flowing');
    return { ...result, rejected: result.rejected.map((r) => ({ ...r, tooLarge: true })) };
  }

  private async encode(batch: OutgoingPunch[], checkpoint: string | undefined): Promise<Uint8Array> {
    // the committed punch/v1 JSON goes out as stored: the envelope is built around it
    const head = JSON.stringify({ schema: PUNCH_BATCH_SCHEMA, gateway: this.options.gateway, site: this.options.site, punches: [] }).slice(0, -3);
    const tail = checkpoint === undefined ? '' : `,"checkpoint":${JSON.stringify(checkpoint)}`;
    const json = Buffer.from(`${head}[${batch.map((p) => p.json).join(',')}]${tail}}`, 'utf8');
    return this.options.gzip ? gzip(json) : json;
  }

  private checkpointOf(batch: OutgoingPunch[], key: string): string | undefined {
    const { checkpointFor } = this.options;
    if (!checkpointFor) return undefined;
    if (this.attached?.key === key) return this.attached.note;
    const note = checkpointFor(batch.reduce((max, p) => Math.max(max, p.seq), 0));
    this.attached = note === undefined ? undefined : { key, note };
    return note;
  }

  /** A kept-alive socket the server closed meanwhile fails at once; one immediate re-send is safe. */
  private async postWithStaleRetry(body: Uint8Array, headers: OutgoingHttpHeaders, signal: AbortSignal): Promise<PostReply> {
    const request = { url: this.url, agent: this.agent, headers, body, signal, timeoutMs: this.options.timeoutMs ?? 30_000, maxBodyBytes: MAX_RESPONSE_BYTES };
    try {
      return await post(request);
    } catch (error) {
      if (!(error instanceof TransportError) || !error.reusedSocket || !STALE_SOCKET_CODES.has(error.code ?? '') || signal.aborted) throw error;
      this.log.debug({ error: error.message }, 'kept-alive connection was closed by the server; sending again on a new one');
      return await post(request);
    }
  }

  private onTransportError(error: unknown, count: number, key: string): SendResult {
    const message = this.scrub(errorMessage(error));
    this.connected = false;
    this.lastError = message;
    this.lastErrorCode = 'GW_ERR_SINK_UNREACHABLE';
    this.markUnreachable();
    this.log.warn({ code: 'GW_ERR_SINK_UNREACHABLE', error: message, count, idempotencyKey: key }, 'https request failed; batch kept for retry');
    return { acked: [], rejected: [], error: message };
  }

  private onReply(reply: PostReply, ids: string[], key: string): SendResult {
    const retryAfterMs = parseRetryAfter(headerText(reply.headers['retry-after']), Date.now());
    const outcome = classifyReply(
      {
        status: reply.status,
        statusMessage: reply.statusMessage,
        body: this.scrub(reply.body),
        truncated: reply.truncated,
        ...(retryAfterMs !== undefined ? { retryAfterMs: Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) } : {}),
        ...(reply.headers.location ? { location: reply.headers.location } : {}),
      },
      ids,
    );
    this.connected = true;
    this.probeAttempt = 0;
    this.markReachable();
    this.halted = outcome.kind === 'auth' ? 'auth' : null;
    if (outcome.kind === 'delivered') {
      this.lastError = null;
      this.lastSuccessAt = new Date().toISOString();
    } else {
      this.lastError = outcome.result.error ?? `http ${reply.status}`;
      this.lastErrorCode = outcome.kind === 'auth' ? 'GW_ERR_SINK_AUTH' : outcome.kind === 'refused' ? 'GW_ERR_SINK_REJECTED' : 'GW_ERR_SINK_UNREACHABLE';
    }
    this.logOutcome(outcome, { status: reply.status, body: excerpt(this.scrub(reply.body), 200), count: ids.length, idempotencyKey: key });
    return outcome.result;
  }

  private logOutcome(outcome: Outcome, fields: { status: number; body: string; count: number; idempotencyKey: string }): void {
    const { result, notes } = outcome;
    if (notes.unknownIds.length > 0) {
      this.log.warn({ ...fields, code: 'GW_ERR_SINK_PROTOCOL', unknownIds: notes.unknownIds.slice(0, 10), unknownCount: notes.unknownIds.length }, 'server rejected ids that are not in the batch; ignored');
    }
    if (notes.malformedRejected) this.log.warn({ ...fields, code: 'GW_ERR_SINK_PROTOCOL' }, 'server reply has a malformed "rejected" list; unreadable entries ignored');
    switch (outcome.kind) {
      case 'delivered':
        if (result.rejected.length > 0) {
          this.log.warn({ ...fields, code: 'GW_ERR_SINK_REJECTED', rejectedCount: result.rejected.length, rejected: result.rejected.slice(0, 5) }, 'server accepted the batch but rejected some punches');
        } else {
          this.log.debug({ status: fields.status, count: fields.count }, 'batch delivered');
        }
        return;
      case 'auth':
        this.log.warn({ ...fields, code: 'GW_ERR_SINK_AUTH' }, 'server refused the credentials; sending stops, every punch is kept');
        return;
      case 'refused':
        // a lone punch answered 413 is logged by tooLargeAlone, rate-limited: a flood of them is a few lines
        if (fields.status !== 413) this.log.warn({ ...fields, code: 'GW_ERR_SINK_REJECTED' }, 'server refused the batch; its punches go to the dead-letter table');
        return;
      case 'retry':
        this.log.warn({ ...fields, code: 'GW_ERR_SINK_UNREACHABLE', retryAfterMs: result.retryAfterMs }, 'server could not take the batch now; it will be retried');
        return;
    }
  }

  private markUnreachable(): void {
    if (this.unreachable) return;
    this.unreachable = true;
    this.scheduleProbe();
  }

  /** Seen again (a probe got through, or a request got an answer): tell the listeners once. */
  private markReachable(): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (!this.unreachable) return;
    this.unreachable = false;
    this.availability.notify((err) => this.log.error({ code: 'GW_ERR_INTERNAL', err }, 'a listener of the https sink failed'));
  }

  private scheduleProbe(): void {
    if (this.stopped.signal.aborted || this.probeTimer) return;
    const delayMs = backoffDelayMs(this.probeAttempt, { baseMs: this.options.probeMinMs ?? 1000, maxMs: this.options.probeMaxMs ?? 30_000 });
    this.probeAttempt += 1;
    this.probeTimer = setTimeout(() => void this.probe(), delayMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    const o = this.options;
    const trust = { rejectUnauthorized: o.rejectUnauthorized ?? true, ...(o.ca ? { ca: o.ca } : {}), ...(o.cert ? { cert: o.cert } : {}), ...(o.key ? { key: o.key } : {}) };
    try {
      await connectProbe({ url: this.url, tls: trust, timeoutMs: o.timeoutMs ?? 30_000, signal: this.stopped.signal });
    } catch (error) {
      this.probeTimer = undefined;
      if (this.stopped.signal.aborted || !this.unreachable) return;
      this.lastError = this.scrub(errorMessage(error));
      this.lastErrorCode = 'GW_ERR_SINK_UNREACHABLE';
      this.log.debug({ error: this.lastError, attempt: this.probeAttempt }, 'https endpoint still unreachable');
      this.scheduleProbe();
      return;
    }
    this.probeTimer = undefined;
    if (this.stopped.signal.aborted || !this.unreachable) return;
    this.log.info({ url: redactUrl(this.url.href) }, 'https endpoint reachable again; sending resumes');
    this.markReachable();
  }

  /** Servers sometimes echo request headers in error bodies: never let the token through. */
  private scrub(text: string): string {
    // the URL may carry credentials too (https://user:pass@host/…), and error texts may quote it
    return hideUrlSecrets(text, this.options.url, [this.token]);
  }
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', 'publish.https.url: expected an absolute https:// URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `publish.https.url: expected https:// (or http://), got ${url.protocol}//`);
  }
  return url;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function buildHeaders(options: HttpsPublisherOptions, token: string | undefined, onIgnored: (names: string[]) => void): Record<string, string> {
  const headers: Record<string, string> = {};
  const ignored: string[] = [];
  for (const [rawName, value] of Object.entries(options.headers ?? {})) {
    const name = rawName.toLowerCase();
    if (RESERVED_HEADERS.has(name)) {
      ignored.push(name);
      continue;
    }
    checkHeader(name, value, `publish.https.headers.${rawName}`);
    headers[name] = value;
  }
  if (ignored.length > 0) onIgnored(ignored);
  if (token !== undefined) {
    checkHeader('authorization', `Bearer ${token}`, 'publish.https.token');
    headers.authorization = `Bearer ${token}`;
  }
  headers['content-type'] = 'application/json';
  headers.accept = 'application/json';
  headers['accept-encoding'] = 'identity';
  headers['user-agent'] = `absensi-gateway/${options.version ?? VERSION}`;
  if (options.gzip) headers['content-encoding'] = 'gzip';
  return headers;
}

/** Node throws on CR/LF and other bytes not allowed in headers; say so at construction instead. */
function checkHeader(name: string, value: string, where: string): void {
  try {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
  } catch {
    // the value is not quoted: it may be a secret
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `${where}: contains characters not allowed in an HTTP header`);
  }
}
