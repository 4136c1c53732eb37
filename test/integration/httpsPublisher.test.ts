// HttpsPublisher against a real HTTPS receiver on 127.0.0.1 (test/helpers/httpsReceiver.ts), with a
// throwaway CA made by openssl (test/helpers/tls.ts). No mocks of http/net; no timing assertions:
// deadlines are only there so a broken implementation fails instead of hanging.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpsPublisher, idempotencyKey, PUNCH_BATCH_SCHEMA, type HttpsPublisherOptions } from '../../src/publish/httpsPublisher.js';
import type { SendResult } from '../../src/publish/publisher.js';
import { punchId, punchSchema, type Punch } from '../../src/punch/punch.js';
import type { OutgoingPunch } from '../../src/buffer/punchBuffer.js';
import { parsedBatch, toOutgoing } from '../helpers/punches.js';
import { createLogger } from '../../src/util/logger.js';
import { startHttpsReceiver, type HttpsReceiver, type ReceivedRequest, type ReceiverOptions } from '../helpers/httpsReceiver.js';
import { tlsFixture } from '../helpers/tls.js';

const TOKEN = 'tok-3f9a1c7e-SECRET-b2d4';

function makePunch(n: number, overrides: Partial<Punch> = {}): Punch {
  const localTime = `2026-01-19T07:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}`;
  const identity = { serial: 'CQZ7232260123', pin: String(1000 + n), localTime, state: 'check-in', verify: 'fingerprint' } as const;
  return punchSchema.parse({
    schema: 'punch/v1',
    id: punchId(identity),
    gateway: 'oki-bkpp-01',
    site: 'BKPP',
    device: { id: 'lobby-1', serial: identity.serial, protocol: 'zk-tcp', model: 'SpeedFace-V5L' },
    pin: identity.pin,
    time: `${localTime}+07:00`,
    utc: `${localTime.replace('T07:', 'T00:')}Z`,
    verify: identity.verify,
    state: identity.state,
    workCode: null,
    receivedAt: '2026-01-19T00:31:06.000Z',
    seq: n + 1,
    clockSkewSec: null,
    raw: { userSn: n },
    ...overrides,
  });
}

function makeBatch(count: number, from = 0): OutgoingPunch[] {
  return Array.from({ length: count }, (_, i) => toOutgoing(makePunch(from + i)));
}

const ids = (batch: OutgoingPunch[]): string[] => batch.map((p) => p.id);

/** A pino logger (with the project's redaction) writing into memory. */
function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { log: createLogger({ level: 'debug', destination: stream }), text: () => lines.join(''), lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(options: ReceiverOptions = {}): Promise<HttpsReceiver> {
  const r = await startHttpsReceiver(options);
  cleanups.push(() => r.close());
  return r;
}

function publisher(url: string, options: Partial<HttpsPublisherOptions> = {}) {
  const logs = memoryLogger();
  const p = new HttpsPublisher({ url, gateway: 'oki-bkpp-01', site: 'BKPP', log: logs.log, ca: tlsFixture().ca.cert, token: TOKEN, ...options });
  cleanups.push(() => p.stop());
  return { p, logs };
}

const signal = (): AbortSignal => new AbortController().signal;

describe('HttpsPublisher: request shape', () => {
  it('POSTs a punch-batch/v1 with the contract headers and acks every punch on 2xx', async () => {
    const r = await receiver();
    const { p } = publisher(r.url);
    await p.start();
    const batch = makeBatch(3);
    const result = await p.send(batch, signal());
    expect(result).toEqual({ acked: ids(batch), rejected: [] });
    const [req] = r.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/api/punches');
    expect(req?.json).toEqual({ schema: PUNCH_BATCH_SCHEMA, gateway: 'oki-bkpp-01', site: 'BKPP', punches: parsedBatch(batch) });
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['idempotency-key']).toBe(idempotencyKey(ids(batch)));
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req?.headers['user-agent']).toMatch(/^absensi-gateway\/\d+\.\d+\.\d+/);
    expect(req?.headers['content-encoding']).toBeUndefined();
    expect(r.receivedIds).toEqual(ids(batch));
    const health = p.health();
    expect(health).toMatchObject({ sink: 'https', connected: true, halted: null, lastError: null });
    expect(health.lastSuccessAt).not.toBeNull();
    expect(p.concurrency).toBe(1);
  });

  it('puts the checkpoint covering the batch\'s highest seq in the body; a batch sent again carries the same one, byte for byte', async () => {
    const r = await receiver({ respond: [{ status: 503 }] });
    const asked: number[] = [];
    let signed = 0;
    const { p } = publisher(r.url, { gzip: true, checkpointFor: (seq) => (asked.push(seq), `note ${++signed} covering ${seq}\n`) });
    const batch = makeBatch(4, 10);
    expect((await p.send(batch, signal())).acked).toEqual([]);
    expect((await p.send(batch, signal())).acked).toEqual(ids(batch));
    expect(asked).toEqual([14]);
    const [first, second] = r.requests;
    expect(first?.json).toEqual({ schema: PUNCH_BATCH_SCHEMA, gateway: 'oki-bkpp-01', site: 'BKPP', punches: parsedBatch(batch), checkpoint: 'note 1 covering 14\n' });
    expect(second?.bodyText).toBe(first?.bodyText);
    await p.send(makeBatch(2, 14), signal());
    expect(asked).toEqual([14, 16]);
    expect((r.requests[2]?.json as { checkpoint: string }).checkpoint).toBe('note 2 covering 16\n');
  });

  it('sends no Authorization header without a token, and passes extra headers through', async () => {
    const r = await receiver();
    const { p } = publisher(r.url, { token: undefined, headers: { 'X-Tenant': 'oki', 'Content-Type': 'text/plain' } });
    await p.send(makeBatch(1), signal());
    const headers = r.requests[0]?.headers;
    expect(headers?.authorization).toBeUndefined();
    expect(headers?.['x-tenant']).toBe('oki');
    expect(headers?.['content-type']).toBe('application/json');
  });

  it('uses the same Idempotency-Key for the same batch and another for a different batch', async () => {
    const r = await receiver({ respond: [{ status: 503 }, { status: 200 }, { status: 200 }] });
    const { p } = publisher(r.url);
    const batch = makeBatch(4);
    await p.send(batch, signal());
    await p.send(batch, signal());
    await p.send(makeBatch(4, 1), signal());
    const keys = r.requests.map((req) => req.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(idempotencyKey(ids(batch))).toBe(keys[0]);
  });

  it('gzips the body when asked, and it arrives intact', async () => {
    const r = await receiver();
    const { p } = publisher(r.url, { gzip: true });
    const batch = makeBatch(50);
    const result = await p.send(batch, signal());
    expect(result.acked).toEqual(ids(batch));
    const req = r.requests[0];
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.decodeError).toBeUndefined();
    expect(req?.rawBody.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(req?.json).toEqual({ schema: PUNCH_BATCH_SCHEMA, gateway: 'oki-bkpp-01', site: 'BKPP', punches: parsedBatch(batch) });
  });

  it('reuses the kept-alive connection and survives the server closing it between batches', async () => {
    const r = await receiver({ respond: [{ status: 200, closeAfter: true }] });
    const { p } = publisher(r.url);
    expect((await p.send(makeBatch(2), signal())).acked).toHaveLength(2);
    expect((await p.send(makeBatch(2, 2), signal())).acked).toHaveLength(2);
    expect(r.receivedIds).toEqual(ids(makeBatch(4)));
  });

  it('re-sends at once, same key, when a kept-alive connection dies under the request', async () => {
    // the reset lands on the connection kept alive by the first answer: a stale-socket race, made certain
    const r = await receiver({ respond: [{ status: 200 }, { reset: true }, { status: 200 }] });
    const { p, logs } = publisher(r.url);
    expect((await p.send(makeBatch(1), signal())).acked).toHaveLength(1);
    const batch = makeBatch(2, 1);
    expect(await p.send(batch, signal())).toEqual({ acked: ids(batch), rejected: [] });
    expect(r.requests).toHaveLength(3);
    expect(r.requests[2]?.headers['idempotency-key']).toBe(r.requests[1]?.headers['idempotency-key']);
    expect(logs.text()).toContain('sending again on a new one');
  });

  it('speaks plain http:// too, with a warning', async () => {
    const r = await receiver({ tls: false });
    const { p, logs } = publisher(r.url);
    expect((await p.send(makeBatch(2), signal())).acked).toHaveLength(2);
    expect(logs.text()).toContain('plain http://');
  });
});

describe('HttpsPublisher: 2xx replies', () => {
  it('acks all but the punches the body lists as rejected, and ignores unknown ids', async () => {
    const batch = makeBatch(4);
    const stranger = 'f'.repeat(32);
    const r = await receiver({
      respond: [{ status: 200, body: { rejected: [{ id: batch[1]?.id, reason: 'unknown pin' }, { id: stranger, reason: 'x' }, { nope: 1 }] } }],
    });
    const { p, logs } = publisher(r.url);
    const result = await p.send(batch, signal());
    expect(result.acked).toEqual([batch[0]?.id, batch[2]?.id, batch[3]?.id]);
    expect(result.rejected).toEqual([{ id: batch[1]?.id, reason: 'http 200: unknown pin' }]);
    expect(logs.text()).toContain(stranger);
    expect(logs.text()).toContain('not in the batch');
    expect(logs.text()).toContain('malformed');
  });

  it.each([
    ['an empty body', { status: 204 }],
    ['a non-JSON body', { status: 200, body: 'OK thanks' }],
    ['JSON without a list', { status: 201, body: { accepted: 3 } }],
    ['a rejected list that is not a list', { status: 200, body: { rejected: 'none' } }],
    ['a body larger than the publisher reads', { status: 200, body: 'x'.repeat(5 * 1024 * 1024) }],
  ])('acks everything for %s', async (_name, reply) => {
    const r = await receiver({ respond: [reply] });
    const { p } = publisher(r.url);
    const batch = makeBatch(3);
    expect(await p.send(batch, signal())).toEqual({ acked: ids(batch), rejected: [] });
  });
});

describe('HttpsPublisher: retryable failures', () => {
  async function sendOnce(reply: { status: number; headers?: Record<string, string>; body?: unknown }): Promise<SendResult> {
    const r = await receiver({ respond: [reply] });
    const { p } = publisher(r.url);
    return p.send(makeBatch(3), signal());
  }

  it.each([500, 502, 408, 409])('%i: nothing acked or rejected, an error text, no Retry-After', async (status) => {
    const result = await sendOnce({ status, body: 'try later' });
    expect(result.acked).toEqual([]);
    expect(result.rejected).toEqual([]);
    expect(result.halt).toBeUndefined();
    expect(result.retryAfterMs).toBeUndefined();
    expect(result.error).toBe(`http ${status}: try later`);
  });

  it('503 with Retry-After in seconds', async () => {
    const result = await sendOnce({ status: 503, headers: { 'Retry-After': '7' } });
    expect(result).toMatchObject({ acked: [], rejected: [], retryAfterMs: 7000 });
    expect(result.error).toMatch(/^http 503/);
  });

  it('429 with Retry-After as an HTTP-date', async () => {
    const at = new Date(Date.now() + 120_000).toUTCString();
    const result = await sendOnce({ status: 429, headers: { 'Retry-After': at } });
    expect(result.acked).toEqual([]);
    expect(result.rejected).toEqual([]);
    expect(result.retryAfterMs).toBeGreaterThan(60_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('caps an absurd Retry-After at one hour', async () => {
    const result = await sendOnce({ status: 503, headers: { 'Retry-After': '999999999' } });
    expect(result.retryAfterMs).toBe(3_600_000);
  });

  it('a redirect is not followed and not dead-lettered', async () => {
    const result = await sendOnce({ status: 301, headers: { location: 'https://elsewhere.example/api' } });
    expect(result).toMatchObject({ acked: [], rejected: [] });
    expect(result.error).toContain('redirect to https://elsewhere.example/api not followed');
  });

  it('a connection reset without an answer is a network error', async () => {
    const r = await receiver({ respond: [{ reset: true }] });
    const { p } = publisher(r.url);
    const result = await p.send(makeBatch(2), signal());
    expect(result).toMatchObject({ acked: [], rejected: [] });
    expect(result.error).toBeTruthy();
    expect(p.health().connected).toBe(false);
  });

  it('connection refused is a network error, not a throw', async () => {
    const r = await startHttpsReceiver();
    const url = r.url;
    await r.close();
    const { p } = publisher(url);
    const result = await p.send(makeBatch(2), signal());
    expect(result).toMatchObject({ acked: [], rejected: [] });
    expect(result.error).toContain('ECONNREFUSED');
    expect(p.health()).toMatchObject({ connected: false, lastError: result.error });
  });
});

describe('HttpsPublisher: 401/403 and other 4xx', () => {
  it.each([401, 403])('%i halts with nothing acked or rejected, until a later answer clears it', async (status) => {
    const r = await receiver({ respond: [{ status, body: { error: 'bad token' } }, { status: 200 }] });
    const { p } = publisher(r.url);
    const batch = makeBatch(2);
    const result = await p.send(batch, signal());
    expect(result).toMatchObject({ acked: [], rejected: [], halt: 'auth' });
    expect(p.health()).toMatchObject({ connected: true, halted: 'auth' });
    expect((await p.send(batch, signal())).acked).toEqual(ids(batch));
    expect(p.health().halted).toBeNull();
  });

  it.each([400, 404, 413, 422])('%i dead-letters the whole batch with the response as reason', async (status) => {
    // every request gets the same answer: a 413 batch is split, and each punch alone is refused too
    const r = await receiver({ respond: () => ({ status, body: `nope\n${'z'.repeat(1000)}` }) });
    const { p } = publisher(r.url);
    const batch = makeBatch(3);
    const result = await p.send(batch, signal());
    expect(result.acked).toEqual([]);
    expect(result.rejected.map((x) => x.id)).toEqual(ids(batch));
    for (const { reason } of result.rejected) {
      expect(reason.startsWith(`http ${status}: nope z`)).toBe(true);
      expect(reason.length).toBe(`http ${status}: `.length + 500);
    }
    expect(result.halt).toBeUndefined();
  });

  it('an empty 4xx body gives the status line as reason', async () => {
    const r = await receiver({ respond: [{ status: 404 }] });
    const { p } = publisher(r.url);
    const result = await p.send(makeBatch(1), signal());
    expect(result.rejected[0]?.reason).toBe('http 404 Not Found (empty body)');
  });

  it('422 with a rejected list: listed punches get their own reason, the rest the response', async () => {
    const batch = makeBatch(3);
    const body = { error: 'invalid batch', rejected: [{ id: batch[2]?.id, reason: 'time in the future' }] };
    const r = await receiver({ respond: [{ status: 422, body }] });
    const { p } = publisher(r.url);
    const result = await p.send(batch, signal());
    expect(result.acked).toEqual([]);
    expect(result.rejected).toEqual([
      { id: batch[0]?.id, reason: `http 422: ${JSON.stringify(body)}` },
      { id: batch[1]?.id, reason: `http 422: ${JSON.stringify(body)}` },
      { id: batch[2]?.id, reason: 'http 422: time in the future' },
    ]);
  });
});

describe('HttpsPublisher: 413 splits the batch until the offender is alone', () => {
  /** makeBatch with punch `at` blown up to ~`bytes` (written as a stored punch would be, after normalize) */
  function batchWithOversize(count: number, at: number, bytes: number): OutgoingPunch[] {
    return makeBatch(count).map((p, i) => (i === at ? { ...p, json: JSON.stringify({ ...JSON.parse(p.json), raw: { blob: 'B'.repeat(bytes) } }) } : p));
  }
  const over = (limit: number) => (req: ReceivedRequest) => (req.rawBody.length > limit ? { status: 413, body: 'Request Entity Too Large' } : { status: 200 });

  it('acks every other punch and rejects only the one that alone is refused, with the response', async () => {
    const r = await receiver({ respond: over(8000) });
    const { p, logs } = publisher(r.url);
    const batch = batchWithOversize(9, 5, 10_000);
    const result = await p.send(batch, signal());
    expect(result.acked).toEqual(ids(batch).filter((_, i) => i !== 5));
    expect(result.rejected).toEqual([{ id: batch[5]!.id, reason: 'http 413: Request Entity Too Large', tooLarge: true }]);
    expect(result.error).toBeUndefined();
    // halves in order; each request's key is its own content's
    for (const req of r.requests) expect(req.headers['idempotency-key']).toBe(idempotencyKey(req.punchIds));
    expect(r.requests.filter((req) => req.punchIds.length === 1 && req.punchIds[0] === batch[5]!.id)).toHaveLength(1);
    expect(r.acceptedIds).toEqual(result.acked);
    const line = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.code === 'GW_ERR_SINK_REJECTED');
    expect(line).toMatchObject({ status: 413, punchId: batch[5]!.id, deviceId: 'lobby-1' });
    expect(line?.bodyBytes).toBeGreaterThan(8000);
  });

  it('sends the same halves again, under the same keys, when the batch is retried', async () => {
    const r = await receiver({ respond: over(8000) });
    const { p } = publisher(r.url);
    const batch = batchWithOversize(6, 1, 10_000);
    await p.send(batch, signal());
    const first = r.requests.splice(0).map((req) => req.headers['idempotency-key']);
    const { p: again } = publisher(r.url);
    await again.send(batch, signal());
    expect(r.requests.map((req) => req.headers['idempotency-key'])).toEqual(first);
  });

  it('a part that gets a retryable answer stops the split: what was answered stays, the rest is retried', async () => {
    const batch = batchWithOversize(8, 6, 10_000);
    let calls = 0;
    const r = await receiver({
      respond: (req) => {
        calls += 1;
        if (req.rawBody.length > 8000) return { status: 413 };
        // the first half is taken, the second half's first part meets an overloaded server
        return calls === 2 ? { status: 200 } : { status: 503, headers: { 'retry-after': '3' } };
      },
    });
    const { p } = publisher(r.url);
    const result = await p.send(batch, signal());
    expect(result.acked).toEqual(ids(batch).slice(0, 4));
    expect(result.rejected).toEqual([]);
    expect(result.retryAfterMs).toBe(3000);
    expect(result.error).toMatch(/^http 503/);
    // whole (413), first half (200), second half (413), its first quarter (503): nothing after that
    expect(r.requests.map((req) => req.punchIds)).toEqual([ids(batch), ids(batch).slice(0, 4), ids(batch).slice(4), ids(batch).slice(4, 6)]);
  });

  it('once a body that large was refused, splits a batch of that size before sending it', async () => {
    const r = await receiver({ respond: over(8000) });
    const { p } = publisher(r.url);
    await p.send(batchWithOversize(4, 0, 10_000), signal());
    r.requests.splice(0);
    const next = batchWithOversize(4, 3, 10_000).map((x, i) => (i < 3 ? makeBatch(1, 100 + i)[0]! : x));
    const result = await p.send(next, signal());
    expect(result.acked).toEqual(ids(next).slice(0, 3));
    expect(result.rejected.map((x) => x.id)).toEqual([next[3]!.id]);
    // no request carried the offender together with others
    expect(r.requests.every((req) => req.punchIds.length === 1 || !req.punchIds.includes(next[3]!.id))).toBe(true);
  });

  it('413 for a single punch is dead-lettered like before', async () => {
    const r = await receiver({ respond: [{ status: 413, body: 'too big' }] });
    const { p } = publisher(r.url);
    const batch = makeBatch(1);
    expect(await p.send(batch, signal())).toMatchObject({ acked: [], rejected: [{ id: batch[0]!.id, reason: 'http 413: too big', tooLarge: true }] });
  });
});

describe('HttpsPublisher: TLS', () => {
  it('mutual TLS: required and provided works', async () => {
    const pki = tlsFixture();
    const r = await receiver({ requireClientCert: true });
    const { p } = publisher(r.url, { cert: pki.client.cert, key: pki.client.key });
    expect((await p.send(makeBatch(2), signal())).acked).toHaveLength(2);
    expect(r.requests[0]?.clientCertCn).toBe('absensi-test-client');
  });

  it.each([
    ['missing', {}],
    ['signed by another CA', { cert: tlsFixture().strangerClient.cert, key: tlsFixture().strangerClient.key }],
  ])('mutual TLS: required and %s is an error result, not a throw', async (_name, clientCert) => {
    const r = await receiver({ requireClientCert: true });
    const { p } = publisher(r.url, clientCert);
    const result = await p.send(makeBatch(2), signal());
    expect(result).toMatchObject({ acked: [], rejected: [] });
    expect(result.error).toBeTruthy();
    expect(result.halt).toBeUndefined();
    expect(r.requests).toHaveLength(0);
    expect(r.tlsErrors.length).toBeGreaterThan(0);
    expect(p.health().connected).toBe(false);
  });

  it('a server certificate from a CA we do not trust is an error result', async () => {
    const r = await receiver();
    const { p } = publisher(r.url, { ca: tlsFixture().otherCa.cert });
    const result = await p.send(makeBatch(2), signal());
    expect(result).toMatchObject({ acked: [], rejected: [] });
    expect(result.error).toMatch(/^[A-Z_]+: [^:]*certificate/);
    expect(r.requests).toHaveLength(0);
  });

  it('rejectUnauthorized: false accepts that certificate anyway', async () => {
    const r = await receiver();
    const { p } = publisher(r.url, { ca: tlsFixture().otherCa.cert, rejectUnauthorized: false });
    expect((await p.send(makeBatch(2), signal())).acked).toHaveLength(2);
  });
});

describe('HttpsPublisher: deadlines and aborts', () => {
  it('a server that never answers yields a timeout result, not a hang', async () => {
    const r = await receiver({ respond: () => ({ hang: true }) });
    const { p } = publisher(r.url, { timeoutMs: 300 });
    const result = await p.send(makeBatch(2), signal());
    expect(result).toMatchObject({ acked: [], rejected: [] });
    expect(result.error).toContain('timeout');
    expect(r.requests).toHaveLength(1);
  });

  it('aborting rejects the send with the abort reason while the request is open', async () => {
    const r = await receiver({ respond: () => ({ hang: true }) });
    const { p } = publisher(r.url, { timeoutMs: 600_000 });
    const controller = new AbortController();
    const sending = p.send(makeBatch(2), controller.signal);
    await r.waitForRequests(1);
    controller.abort();
    await expect(sending).rejects.toMatchObject({ name: 'AbortError' });
  }, 20_000);

  it('an already aborted signal rejects without a request', async () => {
    const r = await receiver();
    const { p } = publisher(r.url);
    await expect(p.send(makeBatch(1), AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(r.requests).toHaveLength(0);
  });

  it('stop() waits for the request in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const r = await receiver({ respond: async () => (await gate, { status: 200 }) });
    const { p } = publisher(r.url);
    const sending = p.send(makeBatch(2), signal());
    await r.waitForRequests(1);
    let stopped = false;
    const stopping = p.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    expect((await sending).acked).toHaveLength(2);
    await stopping;
  });
});

describe('HttpsPublisher: secrets', () => {
  it('never writes the token to a log line, an error text or a reason, even when the server echoes it', async () => {
    const echo = (req: ReceivedRequest): string => `you sent ${String(req.headers.authorization)}`;
    const r = await receiver();
    const { p, logs } = publisher(r.url);
    r.setResponder((req) => ({ status: 500, body: echo(req) }));
    const results = [await p.send(makeBatch(1), signal())];
    r.setResponder((req) => ({ status: 422, body: echo(req) }));
    results.push(await p.send(makeBatch(1, 1), signal()));
    r.setResponder([{ status: 401, body: 'bad token' }, { status: 200, body: { rejected: [{ id: makePunch(3).id, reason: `saw ${TOKEN}` }] } }]);
    results.push(await p.send(makeBatch(1, 2), signal()), await p.send(makeBatch(2, 2), signal()));
    r.setResponder([{ reset: true }]);
    results.push(await p.send(makeBatch(1, 4), signal()));
    expect(r.requests.every((req) => req.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(logs.lines.length).toBeGreaterThan(4);
    expect(logs.text()).not.toContain(TOKEN);
    expect(JSON.stringify(results)).not.toContain(TOKEN);
    expect(JSON.stringify(results)).toContain('[redacted]');
    expect(JSON.stringify(p.health())).not.toContain(TOKEN);
  });

  it('never shows a password in the URL (one with an @ in it, too), in logs, errors or health', async () => {
    const r = await receiver();
    const url = r.url.replace('https://', 'https://gw:S3cr@t-Xq9@');
    const { p, logs } = publisher(url);
    await p.start();
    r.setResponder((req) => ({ status: 500, body: `you came for ${req.path} as gw:S3cr@t-Xq9` }));
    const result = await p.send(makeBatch(1), signal());
    const ready = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'https sink ready');
    expect(ready?.url).toBe(`https://***@127.0.0.1:${r.port}/api/punches`);
    for (const text of [logs.text(), JSON.stringify(result), JSON.stringify(p.health())]) {
      expect(text).not.toContain('S3cr');
      expect(text).not.toContain('t-Xq9');
    }
  });

  it('refuses a token or header that would split the request, without echoing it', () => {
    const { log } = memoryLogger();
    const base = { url: 'https://127.0.0.1:9/x', gateway: 'g', site: 's', log };
    expect(() => new HttpsPublisher({ ...base, token: 'abc\r\nX-Evil: 1' })).toThrow(/publish\.https\.token/);
    expect(() => new HttpsPublisher({ ...base, token: 'abc\r\nX-Evil: 1' })).not.toThrow(/abc/);
    expect(() => new HttpsPublisher({ ...base, headers: { 'X-Key': 'a\nb' } })).toThrow(/publish\.https\.headers\.X-Key/);
    expect(() => new HttpsPublisher({ ...base, url: 'ftp://127.0.0.1/x' })).toThrow(/publish\.https\.url/);
  });
});
