// Issue 15 finding 8, DNS rebinding: the local API without a token must answer only for hosts that
// are its own, and must not take state-changing requests from another web origin. A real Gateway
// (test-feed device → SQLite → an HTTP receiver that refuses PIN 666, so a dead letter exists),
// driven with inject() and over a real socket on 127.0.0.1 with the Host and Origin a page on
// evil.example would make the browser send.
import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../src/api/app.js';
import { crossSiteReason, hostAllowed, hostnameOf } from '../../src/api/hostGuard.js';
import { startApiServer } from '../../src/api/server.js';
import { parseConfigText } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import type { Punch } from '../../src/punch/punch.js';
import { silentLogger } from '../../src/util/logger.js';
import { until } from '../helpers/broker.js';
import { feedDriver, feeds } from '../helpers/feedDriver.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { feed, gatewayYaml } from '../e2e/fixture.js';

let tmp: ReturnType<typeof tempDir>;
let receiver: HttpsReceiver;
let gateway: Gateway;
let app: FastifyInstance;

async function startGateway(apiLines: string[] = []): Promise<void> {
  const yaml = gatewayYaml({ dir: tmp.dir, httpsUrl: receiver.url }).replace('api:\n', `api:\n${apiLines.map((l) => `  ${l}\n`).join('')}`);
  gateway = new Gateway(parseConfigText(yaml, 'api-host.yaml', { drivers: [feedDriver] }), { log: silentLogger(), drivers: [feedDriver], api: startApiServer });
  await gateway.start();
  await until(() => gateway.api !== undefined && feeds.has('dev-a'), 10_000, 'gateway and feed');
  app = await buildApiApp({ view: gateway.view, log: silentLogger() });
  await feed().push([rawPunch(1, { pin: '666' }), rawPunch(2, { pin: '100' })]);
  await until(() => deadLetters() === 1 && gateway.buffer.stats().sinks[0]!.pending === 0, 10_000, 'one dead letter');
}

const deadLetters = (): number => gateway.buffer.stats().sinks[0]!.deadLetters;

beforeEach(async () => {
  tmp = tempDir();
  receiver = await startHttpsReceiver({
    tls: false,
    respond: (_req, body) => ({ status: 200, body: { rejected: (body as { punches: Punch[] }).punches.filter((p) => p.pin === '666').map((p) => ({ id: p.id, reason: 'unknown employee' })) } }),
  });
});
afterEach(async () => {
  await app?.close();
  await gateway?.stop();
  await receiver.close();
  tmp.cleanup();
});

const PURGE = { method: 'POST' as const, url: '/api/dead-letters/purge', payload: { all: true } };

describe('Host: only loopback, the listen host and api.allowedHosts', () => {
  it('refuses a rebound name (421 GW_ERR_API_FORBIDDEN) on reads and writes alike', async () => {
    await startGateway();
    for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.nip.io:8080', 'localhost.evil.example', '[::2]:8080', '10.0.0.5:8080']) {
      const read = await app.inject({ url: '/api/punches?pin=666', headers: { host } });
      expect(read.statusCode, host).toBe(421);
      expect(read.json(), host).toMatchObject({ code: 'GW_ERR_API_FORBIDDEN' });
      expect(read.body, host).not.toContain('666"');
      expect((await app.inject({ ...PURGE, headers: { host } })).statusCode, host).toBe(421);
    }
    expect(deadLetters()).toBe(1);
    const counted = await gateway.metrics.registry.getSingleMetricAsString('gateway_api_rejected_total');
    expect(counted).toMatch(/status="421"} 12/);
  });

  it('answers for loopback literals and localhost, with any port and case', async () => {
    await startGateway();
    for (const host of ['127.0.0.1:8080', '127.0.0.1', '127.1.2.3:1', 'localhost', 'LOCALHOST:8080', 'localhost.:80', '[::1]:8080', '[::ffff:127.0.0.1]:8080']) {
      expect((await app.inject({ url: '/api/queue', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('answers for a name listed in api.allowedHosts', async () => {
    await startGateway(['allowedHosts: [gw-bkpp.local, 192.168.1.10]']);
    expect((await app.inject({ url: '/api/queue', headers: { host: 'GW-BKPP.local:8080' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/queue', headers: { host: '192.168.1.10:8080' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/queue', headers: { host: 'gw-bkpp.local.evil.example' } })).statusCode).toBe(421);
  });
});

describe('Origin: no state change from another web origin', () => {
  it('refuses a cross-origin POST (403) and purges nothing; the same POST from its own origin or the CLI works', async () => {
    await startGateway();
    const port = gateway.api!.address.port;
    const own = `127.0.0.1:${port}`;
    for (const headers of [
      { host: own, origin: 'http://evil.example' },
      { host: own, origin: 'null' },
      { host: own, origin: `http://127.0.0.1:${port + 1}` },
      { host: own, origin: 'http://localhost:' + port },
      { host: own, 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await app.inject({ ...PURGE, headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json(), JSON.stringify(headers)).toMatchObject({ code: 'GW_ERR_API_FORBIDDEN' });
    }
    expect(deadLetters()).toBe(1);
    // a GET from another origin is answered (the browser does not let that page read it)
    expect((await app.inject({ url: '/api/queue', headers: { host: own, origin: 'http://evil.example' } })).statusCode).toBe(200);
    const fromPage = await app.inject({ ...PURGE, headers: { host: own, origin: `http://${own}`, 'sec-fetch-site': 'same-origin' } });
    expect(fromPage.json()).toMatchObject({ action: 'purge', count: 1 });
    expect(deadLetters()).toBe(0);
  });
});

/** One raw HTTP/1.1 request to the gateway's real socket, with whatever Host the caller names. */
function rawRequest(o: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  const { port } = gateway.api!.address;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: o.method, path: o.path, headers: o.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('real socket on 127.0.0.1', () => {
  it('a rebound page (Host: evil.example) reads nothing and purges nothing', async () => {
    await startGateway();
    const read = await rawRequest({ method: 'GET', path: '/api/punches?pin=666', headers: { host: 'evil.example' } });
    expect(read.status).toBe(421);
    expect(JSON.parse(read.body)).toMatchObject({ code: 'GW_ERR_API_FORBIDDEN' });
    const json = { 'content-type': 'application/json' };
    const rebound = await rawRequest({ method: 'POST', path: '/api/dead-letters/purge', headers: { ...json, host: 'evil.example', origin: 'http://evil.example' }, body: '{"all":true}' });
    expect(rebound.status).toBe(421);
    const crossSite = await rawRequest({ method: 'POST', path: '/api/dead-letters/purge', headers: { ...json, host: `127.0.0.1:${gateway.api!.address.port}`, origin: 'http://evil.example' }, body: '{"all":true}' });
    expect(crossSite.status).toBe(403);
    expect(deadLetters()).toBe(1);
    // what the CLI and curl do: fetch to 127.0.0.1, no Origin
    const cli = await fetch(`${gateway.api!.url}/api/dead-letters/purge`, { method: 'POST', headers: json, body: '{"all":true}' });
    expect(await cli.json()).toMatchObject({ action: 'purge', count: 1 });
  });
});

describe('the rules as functions', () => {
  const loopbackOnly = { listenHost: '127.0.0.1', allowedHosts: [] };
  it('parses Host headers strictly', () => {
    expect(hostnameOf('LocalHost:8080')).toBe('localhost');
    expect(hostnameOf('[::1]:80')).toBe('::1');
    expect(hostnameOf('example.org.')).toBe('example.org');
    for (const bad of ['::1', 'a:b:c', 'host:port', 'host:123456', '', '[::1', 'a b']) expect(hostnameOf(bad), bad).toBeUndefined();
    expect(hostAllowed('::1', loopbackOnly)).toBe(false);
    expect(hostAllowed(undefined, loopbackOnly)).toBe(true);
  });

  it('takes the listen host, and any IP literal when listening on every interface', () => {
    expect(hostAllowed('192.168.1.10:8080', { listenHost: '192.168.1.10', allowedHosts: [] })).toBe(true);
    expect(hostAllowed('192.168.1.11:8080', { listenHost: '192.168.1.10', allowedHosts: [] })).toBe(false);
    expect(hostAllowed('gw.example:8080', { listenHost: 'gw.example', allowedHosts: [] })).toBe(true);
    for (const listenHost of ['0.0.0.0', '::']) {
      expect(hostAllowed('192.168.1.10:8080', { listenHost, allowedHosts: [] })).toBe(true);
      expect(hostAllowed('[fe80::1]:8080', { listenHost, allowedHosts: [] })).toBe(true);
      expect(hostAllowed('evil.example:8080', { listenHost, allowedHosts: [] })).toBe(false);
    }
  });

  it('sees its own origin under either scheme and default ports', () => {
    expect(crossSiteReason({ host: 'gw.example', origin: 'https://gw.example' })).toBeUndefined();
    expect(crossSiteReason({ host: 'gw.example:80', origin: 'http://gw.example' })).toBeUndefined();
    expect(crossSiteReason({ host: '127.0.0.1:8080' })).toBeUndefined();
    expect(crossSiteReason({ host: '127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).toBeUndefined();
    expect(crossSiteReason({ host: '127.0.0.1:8080', origin: 'ftp://127.0.0.1:8080' })).toMatch(/^Origin/);
    expect(crossSiteReason({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'cross-site' })).toMatch(/cross-site/);
  });
});
