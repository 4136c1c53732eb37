// Hostile network clients against the real push listener of a whole Gateway on 127.0.0.1 (real
// sockets, real SQLite buffer): oversized bodies (Content-Length, chunked, gzip bomb), slowloris
// sockets, unknown serials and wrong comm keys (zk-push handshake and a zk-tcp terminal).
// Each case asserts outcomes — status codes, counters, closed sockets, committed punches — never
// durations; short limits come from config so the waits stay short.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import { Gateway } from '../../../src/gateway.js';
import { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { pushConfigYaml, pushUrl } from '../../drivers/zk-push/gatewayHarness.js';
import { punchesOf } from '../../drivers/zk-push/punchesOf.js';
import { tempDir } from '../../helpers/tmp.js';

const SN = 'BOCK200961014';
const KEYED_SN = 'CQZ7232260123';
const MAX_BODY = 16 * 1024;
const SLOW_SOCKETS = 200;
/** the quoted ATTLOG body (test/drivers/zk-push/fixtures/attlog_saifulcoder-postman): 3 punches */
const ATTLOG = readFileSync(join(import.meta.dirname, '../../drivers/zk-push/fixtures/attlog_saifulcoder-postman/input.txt'), 'utf8');

const tmp = tempDir('hostile-push-');
const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, serial: 'HOSTILE0000001', records: 5, users: 3, commKey: 1234 });
let gateway: Gateway;
let base: string;
let port: number;

beforeAll(async () => {
  const { port: simPort } = await sim.start();
  const yaml = pushConfigYaml({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: SN }, { id: 'loket-kunci', serial: KEYED_SN, extra: 'commKey: "4711"' }], maxBodyBytes: MAX_BODY })
    // the slowloris case opens its 200 sockets from the good terminal's own address: room for them
    .replace('pushListener:\n', 'pushListener:\n  requestTimeout: 1s\n  idleTimeout: 2s\n  keepAliveTimeout: 500ms\n  maxConnectionsPerAddress: 256\n')
    .replace('devices:\n', `devices:\n  - {id: lobby-salah-kunci, driver: zk-tcp, host: 127.0.0.1, port: ${simPort}, commKey: 4321, timeout: 2s, realtime: false}\n`);
  gateway = new Gateway(parseConfigText(yaml, 'hostile.yaml', { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), api: false, drivers: BUILTIN_DRIVERS });
  await gateway.start();
  base = pushUrl(gateway);
  port = Number(new URL(base).port);
});
afterAll(async () => {
  await gateway?.stop();
  await sim.stop();
  tmp.cleanup();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to the listener; `body` may be a generator of chunks (chunked encoding). */
function send(method: string, path: string, body?: string | Buffer | (() => Iterable<Buffer>), headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'text/plain', ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    if (typeof body === 'function') {
      // keep writing until the server answers; it may close the socket on us, which is fine
      req.on('error', () => undefined);
      for (const chunk of body()) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

const upload = (sn: string, body: string | Buffer, headers?: Record<string, string>) => send('POST', `/iclock/cdata?SN=${sn}&table=ATTLOG&Stamp=1`, body, headers);

async function rejectedCount(device: string, reason: string): Promise<number> {
  const metric = await gateway.metrics.rejected.get();
  return metric.values.find((v) => v.labels.device === device && v.labels.reason === reason)?.value ?? 0;
}

async function goodTerminalStillServed(): Promise<void> {
  const reply = await upload(SN, ATTLOG);
  expect(reply).toMatchObject({ status: 200, body: 'OK: 3' });
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('push listener under hostile clients', () => {
  it('refuses a Content-Length over maxBodyBytes with 413, counted, and serves the next terminal', async () => {
    const before = await rejectedCount('(push)', 'body-too-large');
    const reply = await upload(SN, 'x'.repeat(MAX_BODY + 1));
    expect(reply.status).toBe(413);
    expect(await rejectedCount('(push)', 'body-too-large')).toBe(before + 1);
    await goodTerminalStillServed();
  });

  it('refuses a chunked body without length once it passes maxBodyBytes', async () => {
    const before = await rejectedCount('(push)', 'body-too-large');
    const chunks = function* (): Iterable<Buffer> {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(4096, 0x41); // 256 KB, 16× the limit
    };
    const reply = await send('POST', `/iclock/cdata?SN=${SN}&table=ATTLOG`, chunks, { 'transfer-encoding': 'chunked' });
    expect(reply.status).toBe(413);
    expect(await rejectedCount('(push)', 'body-too-large')).toBe(before + 1);
    await goodTerminalStillServed();
  });

  it('refuses a gzip bomb (small on the wire, huge inflated) with 413, counted', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024)); // 8 MB of zeros, about 8 KB on the wire
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const before = await rejectedCount('(push)', 'body-too-large');
    const reply = await upload(SN, bomb, { 'content-encoding': 'gzip', 'content-type': 'application/octet-stream' });
    expect(reply.status).toBe(413);
    expect(await rejectedCount('(push)', 'body-too-large')).toBe(before + 1);
    await goodTerminalStillServed();
  });

  it(`serves a good terminal while ${SLOW_SOCKETS} slowloris sockets hang, then times every one of them out`, async () => {
    const sockets: Socket[] = [];
    const closed = new Set<Socket>();
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
        socket.on('error', () => undefined); // the server resets some: that is the point
        socket.resume(); // read the 408 so the server's FIN is seen
        socket.on('close', () => closed.add(socket));
        socket.once('error', reject);
        sockets.push(socket);
      });
    const timeoutsBefore = await rejectedCount('(push)', 'request-timeout');
    const third = Math.floor(SLOW_SOCKETS / 3);
    const dribblers: Socket[] = [];
    for (let i = 0; i < SLOW_SOCKETS; i++) {
      const socket = await open();
      if (i < third) dribblers.push(socket); // headers one byte at a time
      else if (i < 2 * third) socket.write(`POST /iclock/cdata?SN=${SN}&table=ATTLOG HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n1\t2024`); // body never finished
      // the rest connect and say nothing
    }
    const request = Buffer.from(`GET /iclock/getrequest?SN=${SN} HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(2000)}\r\n\r\n`);
    let sent = 0;
    const drip = setInterval(() => {
      for (const socket of dribblers) if (!closed.has(socket) && sent < request.length) socket.write(request.subarray(sent, sent + 1));
      sent += 1;
    }, 25);
    try {
      await goodTerminalStillServed();
      await until(() => closed.size === SLOW_SOCKETS);
    } finally {
      clearInterval(drip);
      for (const socket of sockets) socket.destroy();
    }
    expect(sent).toBeLessThan(request.length); // the dribblers were cut off before their request was whole
    // cut by the request timeout (counted) or, for a silent socket on a slow machine, the idle timeout
    const timeouts = (await rejectedCount('(push)', 'request-timeout')) - timeoutsBefore;
    expect(timeouts).toBeGreaterThan(0);
    expect(timeouts).toBeLessThanOrEqual(SLOW_SOCKETS);
    await goodTerminalStillServed();
  });

  it('answers an unknown serial 503 with Retry-After, counts it and lists it', async () => {
    const before = await rejectedCount('(unknown)', 'unknown-serial');
    const reply = await upload('NOT-CONFIGURED-1', ATTLOG);
    expect(reply.status).toBe(503);
    expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
    expect((await send('GET', '/iclock/cdata?options=all')).status).toBe(503); // no SN at all
    expect(await rejectedCount('(unknown)', 'unknown-serial')).toBe(before + 2);
    expect(gateway.push?.unknown().map((u) => u.serial)).toEqual(expect.arrayContaining(['NOT-CONFIGURED-1', '(none)']));
    expect(punchesOf(gateway.bufferFile).filter((p) => p.device.serial === 'NOT-CONFIGURED-1')).toEqual([]);
  });

  it('refuses a zk-push handshake with a wrong comm key and the upload after it: 401, counted, no punch', async () => {
    expect((await send('GET', `/iclock/cdata?SN=${KEYED_SN}&options=all&pushver=2.4.0&pushcommkey=1`)).status).toBe(401);
    expect((await upload(KEYED_SN, ATTLOG)).status).toBe(401);
    const state = gateway.states.get('loket-kunci');
    expect(state?.lastError).toMatch(/GW_ERR_DEVICE_AUTH/);
    expect(state?.rejected['comm-key']).toBe(2);
    expect(punchesOf(gateway.bufferFile, 'loket-kunci')).toEqual([]);
    // the right key lets the same terminal in
    expect((await send('GET', `/iclock/cdata?SN=${KEYED_SN}&options=all&pushver=2.4.0&pushcommkey=4711`)).body).toMatch(/^GET OPTION FROM/);
    expect((await upload(KEYED_SN, ATTLOG)).body).toBe('OK: 3');
    expect(punchesOf(gateway.bufferFile, 'loket-kunci')).toHaveLength(3);
  });

  it('a zk-tcp terminal refusing the comm key: lastError, counted, no punch, the daemon keeps serving', async () => {
    await until(() => (gateway.states.get('lobby-salah-kunci')?.rejected['comm-key'] ?? 0) >= 1);
    const state = gateway.states.get('lobby-salah-kunci');
    expect(state?.lastError).toMatch(/comm key/);
    expect(state?.online).toBe(false);
    expect(punchesOf(gateway.bufferFile, 'lobby-salah-kunci')).toEqual([]);
    await goodTerminalStillServed();
  });
});
