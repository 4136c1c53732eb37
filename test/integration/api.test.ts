// The local API with inject() against a real Gateway (test-feed devices → SQLite → Aedes), and on a
// real socket: every route, the 400s, the token, readiness (sink down, disk full), metrics.
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../../src/api/app.js';
import { bearerToken, tokenMatches } from '../../src/api/auth.js';
import { startApiServer } from '../../src/api/server.js';
import { STATUS_PAGE_TEXTS } from '../../src/api/statusPage/i18n.js';
import { parseConfigText } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/util/logger.js';
import { collect, startAedes, until, type TestBroker } from '../helpers/broker.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { feedDriver } from '../helpers/feedDriver.js';
import { drained, feed, gatewayYaml, startTestGateway, TEST_TOKEN, type GatewaySetup } from '../e2e/fixture.js';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
const gateways: Gateway[] = [];
const apps: FastifyInstance[] = [];

beforeEach(async () => {
  tmp = tempDir();
  broker = await startAedes();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const gw of gateways.splice(0)) await gw.stop();
  await broker.close();
  tmp.cleanup();
});

async function setup(extra: Partial<GatewaySetup> = {}): Promise<{ gateway: Gateway; app: FastifyInstance }> {
  const gateway = await startTestGateway({ dir: tmp.dir, mqttUrl: broker.url, ...extra });
  gateways.push(gateway);
  const app = await buildApiApp({ view: gateway.view, token: gateway.config.api.token, log: silentLogger() });
  apps.push(app);
  return { gateway, app };
}

const mqttUp = (gateway: Gateway): boolean => gateway.publishers.every((p) => p.health().connected);

/**
 * Brings the broker back before the test ends. MqttPublisher.stop() can hang when the broker went
 * away (client.end() after ECONNRESET never calls back; reported to the core), so no test stops a
 * gateway whose broker is down.
 */
async function brokerBack(gateway: Gateway): Promise<void> {
  await broker.restart();
  await until(() => mqttUp(gateway), 10_000, 'mqtt reconnected');
}

describe('health, readiness, metrics', () => {
  it('answers /healthz and /readyz once the sink is connected', async () => {
    const { gateway, app } = await setup();
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    await until(() => mqttUp(gateway), 10_000, 'mqtt connected');
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true, reasons: [], bufferOpen: true, lastCommitError: null, sinks: [{ sink: 'mqtt', connected: true, halted: null }] });
  });

  it('is not ready while no sink is connected, and ready without any sink', async () => {
    const { gateway, app } = await setup();
    await until(() => mqttUp(gateway), 10_000, 'mqtt connected');
    await broker.stop();
    await until(() => !mqttUp(gateway), 10_000, 'mqtt disconnected');
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json().reasons).toEqual([expect.objectContaining({ code: 'GW_ERR_SINK_UNREACHABLE' })]);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    await brokerBack(gateway);

    const bare = await setup({ mqttUrl: undefined, dir: `${tmp.dir}/bare` });
    expect((await bare.app.inject('/readyz')).statusCode).toBe(200);
  });

  it('is not ready after a failed commit (disk full) until a commit succeeds again', async () => {
    // max_page_count is per connection: with the inline writer the test's limit applies to commits
    const { gateway, app } = await setup({ mqttUrl: undefined, bufferWriter: 'inline' });
    const db = gateway.buffer.database;
    await feed().push([rawPunch(1)]);
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const big = Array.from({ length: 400 }, (_, i) => rawPunch(100 + i, { raw: { pad: 'x'.repeat(2000) } }));
    await expect(feed().push(big)).rejects.toThrow(/buffer commit failed/);
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ ready: false, lastCommitError: { message: expect.stringMatching(/full/i) }, reasons: [{ code: 'GW_ERR_BUFFER_UNAVAILABLE' }] });
    db.pragma('max_page_count = 1073741823');
    await feed().push([rawPunch(2)]);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });

  it('is not ready, and buffer routes answer 503, once the buffer is closed', async () => {
    const { gateway, app } = await setup({ mqttUrl: undefined });
    gateway.buffer.close();
    expect((await app.inject('/readyz')).json()).toMatchObject({ ready: false, bufferOpen: false });
    const res = await app.inject('/api/dead-letters');
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('GW_ERR_BUFFER_UNAVAILABLE');
  });

  it('serves Prometheus text with the scrape-time gauges', async () => {
    const { gateway, app } = await setup();
    await feed().push([rawPunch(1), rawPunch(2)]);
    await until(() => drained(gateway), 10_000, 'drain');
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toMatch(/^gateway_queue_depth\{sink="mqtt"\} 0$/m);
    expect(text).toMatch(/^gateway_queue_oldest_unsent_age_seconds\{sink="mqtt"\} 0$/m);
    expect(text).toMatch(/^gateway_dead_letters\{sink="mqtt"\} 0$/m);
    expect(text).toMatch(/^gateway_buffer_file_bytes [1-9]\d*$/m);
    expect(text).toMatch(/^gateway_quarantined_punches 0$/m);
    expect(text).toMatch(/^gateway_device_last_punch_age_seconds\{device="dev-a"\} \d/m);
    expect(text).not.toMatch(/gateway_device_last_punch_age_seconds\{device="dev-b"\}/);
    expect(text).toMatch(/^gateway_device_clock_skew_seconds\{device="dev-a"\} 0$/m);
    expect(text).toMatch(/^gateway_punches_committed_total\{device="dev-a"\} 2$/m);
    expect(text).toMatch(/^gateway_sink_up\{sink="mqtt"\} 1$/m);
  });

  it('counts backlog and its age while the broker is away', async () => {
    const { gateway, app } = await setup();
    await until(() => mqttUp(gateway), 10_000, 'mqtt connected');
    await broker.stop();
    await until(() => !mqttUp(gateway), 10_000, 'mqtt disconnected');
    await feed().push([rawPunch(1), rawPunch(2), rawPunch(3)]);
    const text = (await app.inject('/metrics')).body;
    expect(text).toMatch(/^gateway_queue_depth\{sink="mqtt"\} 3$/m);
    expect(text).toMatch(/^gateway_queue_oldest_unsent_age_seconds\{sink="mqtt"\} [\d.e-]+$/m);
    const queue = (await app.inject('/api/queue')).json();
    expect(queue).toMatchObject({ punches: 3, headSeq: 3, quarantined: 0, sinks: [{ sink: 'mqtt', pending: 3, ackedSeq: 0, connected: false, deadLetters: 0, replayQueued: 0 }] });
    expect(queue.sinks[0].oldestPendingAgeSec).toBeGreaterThanOrEqual(0);
    await brokerBack(gateway);
  });
});

describe('devices, punches, quarantine', () => {
  it('lists configured devices with their driver state and nothing else from the config', async () => {
    const { app } = await setup();
    const body = (await app.inject('/api/devices')).json() as { devices: Record<string, unknown>[] };
    expect(body.devices.map((d) => d.id)).toEqual(['dev-a', 'dev-b', 'dev-off']);
    expect(body.devices[0]).toMatchObject({ driver: 'test-feed', enabled: true, online: true, serial: 'SN-dev-a', model: 'FeedSim', clockSkewSec: 0, timezone: 'Asia/Jakarta' });
    expect(body.devices[1]).toMatchObject({ timezone: 'Asia/Jayapura' });
    expect(body.devices[2]).toMatchObject({ enabled: false, online: false });
    expect(Object.keys(body.devices[0] as object)).not.toContain('failStarts');
  });

  it('says the same startedAt as the retained MQTT gateway status (issue 19, finding 5)', async () => {
    const { gateway, app } = await setup();
    await until(() => mqttUp(gateway), 10_000, 'mqtt connected');
    const status = await collect(broker.url, `absensi/${gateway.config.gateway.site}/gateway/gw-api/status`);
    try {
      await status.waitFor((n) => n >= 1);
      const retained = JSON.parse(status.messages[0]!.payload) as { startedAt: string };
      const api = (await app.inject('/api/gateway')).json() as { startedAt: string };
      expect(api.startedAt).toBe(retained.startedAt);
      expect(api.startedAt).toBe(gateway.startedAt.toISOString());
    } finally {
      await status.close();
    }
  });

  it('searches by pin, device and time, newest first, with the mqtt state acked', async () => {
    const { gateway, app } = await setup();
    await feed('dev-a').push([rawPunch(1, { pin: '00123', localTime: '2026-01-19T07:31:05' }), rawPunch(2, { pin: '00123', localTime: '2026-01-20T16:02:00' }), rawPunch(3, { pin: '777' })]);
    await feed('dev-b').push([rawPunch(4, { pin: '00123', localTime: '2026-01-19T08:00:00' })]);
    await until(() => drained(gateway), 10_000, 'drain');
    gateway.buffer.persistCursors();
    const byPin = (await app.inject('/api/punches?pin=00123')).json();
    expect(byPin).toMatchObject({ returned: 3, more: false, limit: 50 });
    expect(byPin).not.toHaveProperty('count');
    expect(byPin.punches.map((p: { time: string }) => p.time)).toEqual(['2026-01-20T16:02:00+07:00', '2026-01-19T07:31:05+07:00', '2026-01-19T08:00:00+09:00']);
    expect(byPin.punches[0]).toMatchObject({ schema: 'punch/v1', pin: '00123', device: { id: 'dev-a' }, receivedAt: expect.any(String), sinks: { mqtt: { state: 'acked', ackedAt: expect.any(String) } } });
    const day = (await app.inject('/api/punches?pin=00123&since=2026-01-19&until=2026-01-19')).json();
    // the day is the gateway's (WIB): 08:00 WIT on the 19th is 06:00 WIB, inside it
    expect(day.punches.map((p: { time: string }) => p.time)).toEqual(['2026-01-19T07:31:05+07:00', '2026-01-19T08:00:00+09:00']);
    const instant = (await app.inject('/api/punches?since=2026-01-19T00:31:05Z&until=2026-01-20T09:02:00%2B07:00')).json();
    expect(instant.punches.map((p: { utc: string }) => p.utc)).toEqual(['2026-01-19T00:31:05Z']);
    const device = (await app.inject('/api/punches?device=dev-b')).json();
    expect(device.punches).toHaveLength(1);
    const limited = (await app.inject('/api/punches?limit=2')).json();
    // 4 punches match: the page holds 2 and says more match (issue 19, finding 5: `count` was the page size)
    expect(limited).toMatchObject({ returned: 2, more: true, limit: 2 });
    expect(limited.punches).toHaveLength(2);
    expect((await app.inject('/api/punches?limit=4')).json()).toMatchObject({ returned: 4, more: false });
  });

  it('returns every punch/v1 field it buffered, device.address included', async () => {
    const { gateway, app } = await setup();
    await feed('dev-a').push([rawPunch(1, { pin: '4242', address: '192.0.2.17' })]);
    await until(() => gateway.buffer.backlog().sinks.length > 0, 10_000, 'committed');
    const body = (await app.inject('/api/punches?pin=4242')).json();
    expect(body.punches[0]).toMatchObject({ pin: '4242', device: { id: 'dev-a', address: '192.0.2.17' } });
  });

  it('shows a punch as pending while the sink is down', async () => {
    const { gateway, app } = await setup();
    await until(() => mqttUp(gateway), 10_000, 'mqtt connected');
    await broker.stop();
    await until(() => !mqttUp(gateway), 10_000, 'mqtt disconnected');
    await feed().push([rawPunch(1, { pin: '42' })]);
    expect((await app.inject('/api/punches?pin=42')).json().punches[0].sinks).toEqual({ mqtt: { state: 'pending' } });
    await brokerBack(gateway);
    await until(() => drained(gateway), 10_000, 'drain after reconnect');
    expect((await app.inject('/api/punches?pin=42')).json().punches[0].sinks).toMatchObject({ mqtt: { state: 'acked' } });
  });

  it('answers 400 with {error, code, details} for bad queries', async () => {
    const { app } = await setup({ mqttUrl: undefined });
    for (const url of ['/api/punches?limit=0', '/api/punches?limit=abc', '/api/punches?since=yesterday', '/api/punches?pn=1', '/api/punches?since=2026-02-30', '/api/dead-letters?limit=5000', '/api/dead-letters?sink=nope', '/api/quarantine?x=1']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(400);
      const body = res.json();
      expect(body.code, url).toBe('GW_ERR_API_BAD_REQUEST');
      expect(body.error, url).toEqual(expect.any(String));
      expect(body.details, url).toBeDefined();
    }
    const res = await app.inject('/api/punches?pn=1');
    expect(res.json().error).toMatch(/pn/);
    // a query string's unknown key is named as a query parameter, not "(body)" (issue 19, finding 5)
    const foo = (await app.inject('/api/punches?foo=1')).json();
    expect(foo.error).toBe('invalid querystring: foo: unknown query parameter');
    expect((await app.inject('/api/punches?limit=0')).json().error).not.toMatch(/\(body\)/);
  });

  it('lists quarantined punches', async () => {
    const { app } = await setup({ mqttUrl: undefined });
    await feed().push([rawPunch(1, { localTime: '1999-12-31T23:59:59' })]);
    const body = (await app.inject('/api/quarantine')).json();
    expect(body.count).toBe(1);
    expect(body.quarantine[0]).toMatchObject({ device: 'dev-a', reason: expect.any(String), punchId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect((await app.inject('/api/queue')).json().quarantined).toBe(1);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = await setup({ mqttUrl: undefined });
    const res = await app.inject('/api/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'no route GET /api/nope', code: 'GW_ERR_API_NOT_FOUND' });
  });

  it('serves the status page with a CSP that allows only its own inline code', async () => {
    const { app } = await setup({ mqttUrl: undefined });
    const res = await app.inject('/');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toMatch(/script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'/);
    expect(res.body).not.toMatch(/<script src|<link rel="stylesheet"|https?:\/\//);
    expect(Object.keys(STATUS_PAGE_TEXTS.en).sort()).toEqual(Object.keys(STATUS_PAGE_TEXTS.id).sort());
  });
});

describe('bearer token', () => {
  it('on loopback without a token, every route is open', async () => {
    const { app } = await setup({ mqttUrl: undefined });
    expect((await app.inject('/api/queue')).statusCode).toBe(200);
    expect((await app.inject('/metrics')).statusCode).toBe(200);
  });

  it('with a token, every route but /healthz and the page shell needs it', async () => {
    const { app } = await setup({ mqttUrl: undefined, token: TEST_TOKEN });
    for (const url of ['/readyz', '/metrics', '/api/gateway', '/api/devices', '/api/punches', '/api/queue', '/api/dead-letters', '/api/quarantine', '/api/nope']) {
      const none = await app.inject(url);
      expect(none.statusCode, url).toBe(401);
      expect(none.json(), url).toEqual({ error: 'missing bearer token', code: 'GW_ERR_API_UNAUTHORIZED' });
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      const wrong = await app.inject({ url, headers: { authorization: `Bearer ${TEST_TOKEN.slice(0, -1)}X` } });
      expect(wrong.json(), url).toEqual({ error: 'wrong bearer token', code: 'GW_ERR_API_UNAUTHORIZED' });
      const short = await app.inject({ url, headers: { authorization: 'Bearer x' } });
      expect(short.statusCode, url).toBe(401);
      const right = await app.inject({ url, headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(right.statusCode, url).not.toBe(401);
    }
    for (const url of ['/healthz', '/']) expect((await app.inject(url)).statusCode, url).toBe(200);
    const post = await app.inject({ method: 'POST', url: '/api/dead-letters/purge', payload: { all: true } });
    expect(post.statusCode).toBe(401);
    const basic = await app.inject({ url: '/api/queue', headers: { authorization: `Basic ${TEST_TOKEN}` } });
    expect(basic.statusCode).toBe(401);
  });

  it('counts refused requests (bad token, bad query, too large) and keeps answering', async () => {
    const { gateway, app } = await setup({ mqttUrl: undefined, token: TEST_TOKEN });
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    expect((await app.inject('/api/queue')).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/punches?limit=-3', headers: auth })).statusCode).toBe(400);
    const huge = await app.inject({ method: 'POST', url: '/api/dead-letters/replay', headers: { ...auth, 'content-type': 'application/json' }, payload: `{"ids":["${'a'.repeat(2 * 1024 * 1024)}"]}` });
    expect(huge.statusCode).toBe(413);
    const counted = await gateway.metrics.registry.getSingleMetricAsString('gateway_api_rejected_total');
    expect(counted).toMatch(/status="401"} 1/);
    expect(counted).toMatch(/status="400"} 1/);
    expect(counted).toMatch(/status="413"} 1/);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('refuses to build an app that would listen beyond loopback without a token', async () => {
    const { gateway } = await setup({ mqttUrl: undefined, token: TEST_TOKEN });
    const fake = { ...gateway.view, api: { listen: { host: '0.0.0.0', port: 0 }, token: undefined, allowedHosts: [] } };
    await expect(buildApiApp({ view: fake, log: silentLogger() })).rejects.toThrow(/api\.token is required/);
    const guarded = await buildApiApp({ view: fake, token: TEST_TOKEN, log: silentLogger() });
    apps.push(guarded);
    expect((await guarded.inject('/api/queue')).statusCode).toBe(401);
    expect((await guarded.inject({ url: '/api/queue', headers: { authorization: `Bearer ${TEST_TOKEN}` } })).statusCode).toBe(200);
  });

  it('compares in constant time over equal-length digests, whatever the presented length', () => {
    expect(tokenMatches(TEST_TOKEN, TEST_TOKEN)).toBe(true);
    for (const other of ['', 'x', TEST_TOKEN.slice(1), `${TEST_TOKEN}x`, TEST_TOKEN.toUpperCase(), 'ü'.repeat(40)]) expect(tokenMatches(TEST_TOKEN, other)).toBe(false);
    expect(bearerToken(`Bearer ${TEST_TOKEN}`)).toBe(TEST_TOKEN);
    expect(bearerToken(`bearer   ${TEST_TOKEN} `)).toBe(TEST_TOKEN);
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('real socket', () => {
  it('the gateway serves the API on api.listen and closes it on stop', async () => {
    const gateway = await startTestGateway({ dir: tmp.dir, listen: true });
    gateways.push(gateway);
    expect(gateway.api?.address.host).toBe('127.0.0.1');
    const res = await fetch(`${gateway.api!.url}/api/gateway`);
    expect(await res.json()).toMatchObject({ id: 'gw-api', version: expect.any(String), sinks: [], authRequired: false, hostClock: { synchronized: expect.toBeOneOf([true, false, null]), reason: expect.any(String) } });
    const url = gateway.api!.url;
    await gateway.stop();
    gateways.splice(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('keeps the gateway running when the API port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const yaml = gatewayYaml({ dir: tmp.dir }).replace('listen: 127.0.0.1:0', `listen: 127.0.0.1:${port}`);
    const gateway = new Gateway(parseConfigText(yaml, 'x.yaml', { drivers: [feedDriver] }), { log: silentLogger(), drivers: [feedDriver], api: startApiServer });
    gateways.push(gateway);
    await gateway.start();
    expect(gateway.api).toBeUndefined();
    await until(() => feed().ctx !== undefined, 5000, 'feed');
    await expect(feed().push([rawPunch(1)])).resolves.toMatchObject({ inserted: 1 });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });
});

describe('punch log routes', () => {
  it('without a punch log: 503 for the checkpoint and the proofs, and /api/gateway says so', async () => {
    const { app } = await setup({ bufferWithoutLog: true });
    expect((await app.inject('/api/log/checkpoint')).statusCode).toBe(503);
    const proof = await app.inject('/api/log/inclusion?index=0&size=1');
    expect(proof.statusCode).toBe(503);
    expect(proof.json()).toMatchObject({ code: 'GW_ERR_BUFFER_UNAVAILABLE' });
    expect((await app.inject('/api/gateway')).json().log).toMatchObject({ key: expect.stringMatching(/^absensi-gateway\//), checkpoint: null });
  });

  it('with one: the note as text, proofs as base64, 400 for a size beyond the log or a malformed query', async () => {
    const { gateway, app } = await setup();
    await feed('dev-a').push([rawPunch(1), rawPunch(2), rawPunch(3)]);
    const note = await app.inject('/api/log/checkpoint');
    expect(note.statusCode).toBe(200);
    expect(note.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(note.body).toBe(gateway.checkpointer?.latest?.note);
    const inclusion = await app.inject('/api/log/inclusion?index=2&size=3');
    expect(inclusion.json()).toMatchObject({ index: 2, size: 3, path: [expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/)] });
    expect((await app.inject('/api/log/consistency?from=1&to=3')).json()).toMatchObject({ from: 1, to: 3, path: expect.any(Array) });
    for (const bad of ['/api/log/inclusion?index=3&size=3', '/api/log/inclusion?index=0&size=4', '/api/log/consistency?from=3&to=2', '/api/log/inclusion?index=-1&size=3', '/api/log/inclusion?index=0&size=3&extra=1']) {
      const answer = await app.inject(bad);
      expect(answer.statusCode, bad).toBe(400);
      expect(answer.json().code).toBe('GW_ERR_API_BAD_REQUEST');
    }
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/^gateway_log_checkpoint_age_seconds \d/m);
    expect(metrics).toMatch(/^gateway_log_tree_size 3$/m);
  });
});
