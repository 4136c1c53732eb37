// Hostile bodies and query strings for zk-push: the codec on random and mutated quoted bodies
// (test/drivers/zk-push/fixtures), and the driver's `handle` (what the push listener calls) on
// random requests, on the memory context (the real normalize and quarantine) that counts
// rejections and commits.
// Properties:
// - the codec never throws on a body; every non-empty line is a record or a counted LineError;
// - good ATTLOG lines mixed with hostile lines are all committed, in order ("not lost");
// - `handle` never rejects, answers a known status, counts every bad line once, and keeps its
//   checkpoint bounded whatever table names and stamps arrive;
// - the listener answers any URL (odd paths, repeated, empty, array-style or percent-broken query
//   parameters) with a 2xx/4xx, or 503 + Retry-After for a serial it does not know: never a 5xx crash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok } from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAttlog, decodeCommandResults, decodeInfo, decodeKeyValues, decodeRtlog, splitLines } from '../../../drivers/zk-push/codec.js';
import { zkPushConfigSchema } from '../../../drivers/zk-push/config.js';
import { STAMPS_KEY, ZkPushDriver } from '../../../drivers/zk-push/driver.js';
import { PushListener } from '../../../src/push/listener.js';
import type { PushRequest } from '../../../src/devices/push.js';
import { silentLogger } from '../../../src/util/logger.js';
import { checkStoredPunches } from '../../helpers/edgeChecks.js';
import { MemoryContext } from '../../helpers/memoryContext.js';
import { fcOptions } from './fuzzScale.js';
import { hostileText, mutatedText } from './mutate.js';

const FIXTURES = join(import.meta.dirname, '../../drivers/zk-push/fixtures');
const QUOTED = ['attlog_saifulcoder-postman', 'operlog_saifulcoder-postman'].map((name) => readFileSync(join(FIXTURES, name, 'input.txt'), 'utf8'));
const SN = 'BOCK200961014';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** A well-formed ATTLOG line (synthetic, in the layout of the quoted body) and the pin/time it must give. */
const goodAttlogLine = fc
  .record({
    pin: fc.array(fc.constantFrom(...'AZaz0189_.-'), { minLength: 1, maxLength: 24 }).map((a) => a.join('')),
    year: fc.integer({ min: 2000, max: 2099 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    status: fc.constantFrom('0', '1', '2', '255', ''),
    verify: fc.constantFrom('1', '3', '4', '15', '0', ''),
    tail: fc.constantFrom('\t\t0\t0\t', '', '\t', '\t\t0\t0\t0\t36.5\t0\t0\tx'),
  })
  .map((r) => {
    const time = `${r.year}-${pad(r.month)}-${pad(r.day)} ${pad(r.hour)}:${pad(r.minute)}:${pad(r.second)}`;
    return { text: `${r.pin}\t${time}\t${r.status}\t${r.verify}${r.tail}`, pin: r.pin, localTime: time.replace(' ', 'T') };
  });

/** A hostile line: no newline inside, so the lines around it stay lines. */
const hostileLine = hostileText.map((t) => t.replace(/[\r\n]/g, ' '));

const mixedBody = fc
  .tuple(fc.array(fc.oneof(goodAttlogLine.map((g) => ({ good: g })), hostileLine.map((h) => ({ hostile: h }))), { maxLength: 12 }), fc.constantFrom('\n', '\r\n'))
  .map(([parts, eol]) => ({ body: parts.map((p) => ('good' in p ? p.good.text : p.hostile)).join(eol), good: parts.flatMap((p) => ('good' in p ? [p.good] : [])) }));

/** Plain checks (no `expect` in the hot loop: a property runs thousands of bodies). */
function checkDecoded(body: string): void {
  for (const decoded of [decodeAttlog(body), decodeRtlog(body)]) {
    ok(decoded.records.length + decoded.errors.length === decoded.lines, 'every line is a record or an error');
    ok(decoded.lines === splitLines(body).length, 'lines counts the non-empty lines');
    for (const r of decoded.records) {
      ok(/^[\w.-]{1,24}$/.test(r.pin), `pin ${JSON.stringify(r.pin)}`);
      ok(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(r.localTime), `time ${r.localTime}`);
    }
    for (const e of decoded.errors) ok(e.excerpt.length <= 2 + 80 * 6, 'excerpts stay short');
  }
}

function newDriver(extra: Record<string, unknown> = {}): { driver: ZkPushDriver; ctx: MemoryContext } {
  const cfg = zkPushConfigSchema.parse({ id: 'loket-1', driver: 'zk-push', serial: SN, ...extra });
  const ctx = new MemoryContext({ device: cfg });
  return { driver: new ZkPushDriver(cfg, ctx), ctx };
}

describe('zk-push hostile bodies', () => {
  it('good ATTLOG lines among hostile lines are all decoded, in order; every other line is an error', () => {
    fc.assert(
      fc.property(mixedBody, ({ body, good }) => {
        checkDecoded(body);
        const records = decodeAttlog(body).records.map((r) => `${r.pin}|${r.localTime}`);
        // every good line is a record, in order (a hostile line may happen to be a record too)
        let at = 0;
        for (const g of good) {
          at = records.indexOf(`${g.pin}|${g.localTime}`, at);
          ok(at >= 0, `good line ${g.text} lost`);
          at += 1;
        }
      }),
      fcOptions('zk-push attlog bodies'),
    );
  });

  it('mutated quoted bodies and raw bytes never make the codec throw', () => {
    const body = fc.oneof(mutatedText(QUOTED, 8), fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a).toString('latin1')), hostileText);
    fc.assert(fc.property(body, checkDecoded), fcOptions('zk-push mutated quoted bodies'));
  });

  it('query-string values and devicecmd bodies never make the codec throw', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        decodeInfo(text);
        decodeKeyValues(text, '&');
        decodeKeyValues(text, '\t');
        for (const result of decodeCommandResults(text)) {
          expect(typeof result.id).toBe('string');
          expect(result.returnCode === null || Number.isSafeInteger(result.returnCode) || Number.isFinite(result.returnCode)).toBe(true);
        }
      }),
      fcOptions('zk-push query strings and command results'),
    );
  });
});

const ENDPOINTS = ['cdata', 'getrequest', 'devicecmd', 'ping', 'registry', 'push', 'querydata', 'fdata', '__proto__', 'constructor', ''];
const TABLES = ['ATTLOG', 'rtlog', 'OPERLOG', 'ATTPHOTO', 'BIODATA', 'options', '__proto__', 'constructor', 'x'.repeat(500), 'TABLE'];

const request: fc.Arbitrary<PushRequest & { table: string }> = fc
  .record({
    method: fc.constantFrom('GET', 'POST'),
    endpoint: fc.constantFrom(...ENDPOINTS),
    table: fc.oneof(fc.constantFrom(...TABLES), fc.string({ maxLength: 12 })),
    stamp: fc.option(fc.oneof(fc.nat().map(String), fc.string({ maxLength: 30 }))),
    info: fc.option(hostileText),
    key: fc.option(fc.constantFrom('4711', '', '0', '4712')),
    body: fc.oneof(mixedBody.map((m) => m.body), mutatedText(QUOTED, 4), hostileText),
  })
  .map((r) => ({
    method: r.method,
    endpoint: r.endpoint,
    table: r.table,
    query: { SN, table: r.table, ...(r.stamp !== null ? { Stamp: r.stamp } : {}), ...(r.info !== null ? { INFO: r.info } : {}), ...(r.key !== null ? { pushcommkey: r.key } : {}) },
    body: r.method === 'POST' ? r.body : '',
    remoteAddress: '127.0.0.1',
  }));

describe('zk-push driver on hostile requests', () => {
  it('never rejects, answers a known status, counts each bad punch line once, commits each good one', async () => {
    const { driver, ctx } = newDriver();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const rejectionsBefore = ctx.rejections.length;
        const emittedBefore = ctx.emitted.length;
        const reply = await driver.handle(req);
        expect([200, 404]).toContain(reply.status);
        const isUpload = req.method === 'POST' && (req.endpoint === 'cdata' || req.endpoint === 'querydata');
        const table = req.query.table;
        if (isUpload && (table === 'ATTLOG' || table === 'rtlog')) {
          const decoded = table === 'rtlog' ? decodeRtlog(req.body) : decodeAttlog(req.body);
          const emitted = ctx.emitted.slice(emittedBefore);
          expect(emitted.filter((p) => p.pin !== '').map((p) => `${p.pin}|${p.localTime}`)).toEqual(decoded.records.map((r) => `${r.pin}|${r.localTime}`));
          expect(ctx.rejections.length - rejectionsBefore).toBe(decoded.errors.length);
          expect(reply.body).toBe(`OK: ${decoded.lines}`);
        }
        // stamps only for the tables the protocol has: hostile table names cannot grow the checkpoint
        expect(Object.keys(ctx.checkpoint.get<Record<string, string>>(STAMPS_KEY) ?? {}).length).toBeLessThanOrEqual(6);
      }),
      fcOptions('zk-push driver requests'),
    );
    await driver.stop();
    expect(ctx.failures).toEqual([]);
    // through the real normalize: every punch handed over was committed, a duplicate or quarantined,
    // and what was committed holds the edge rules
    const quarantined = Object.values((await ctx.counted()).quarantined).reduce((a, b) => a + b, 0);
    expect(ctx.inserted + ctx.duplicates + quarantined).toBe(ctx.emitted.length);
    checkStoredPunches(ctx.store.buffer.database);
  });

  it('with a comm key, nothing is accepted after a handshake with a wrong key until a right one', async () => {
    const { driver, ctx } = newDriver({ commKey: '4711' });
    const good = 'GOOD1\t2026-01-19 07:31:05\t0\t1';
    const handshake = (key?: string) => driver.handle({ method: 'GET', endpoint: 'cdata', query: { SN, options: 'all', ...(key !== undefined ? { pushcommkey: key } : {}) }, body: '', remoteAddress: '127.0.0.1' });
    const upload = () => driver.handle({ method: 'POST', endpoint: 'cdata', query: { SN, table: 'ATTLOG' }, body: good, remoteAddress: '127.0.0.1' });
    expect((await handshake('1234')).status).toBe(401);
    expect(await upload()).toEqual({ status: 401, body: 'ERROR: comm key' });
    expect((await handshake()).status).toBe(401);
    expect((await upload()).status).toBe(401);
    expect(ctx.emitted).toEqual([]);
    expect(ctx.rejections.filter((r) => r.reason === 'comm-key')).toHaveLength(4);
    expect(ctx.snapshot.lastError).toMatch(/GW_ERR_DEVICE_AUTH/);
    expect((await handshake('4711')).status).toBe(200);
    expect(ctx.snapshot.lastError).toBeNull();
    expect(await upload()).toEqual({ status: 200, body: 'OK: 1' });
    expect(ctx.emitted.map((p) => p.pin)).toEqual(['GOOD1']);
    await driver.stop();
  });
});

describe('push listener on hostile URLs', () => {
  it('answers any path and query with 2xx/4xx, or 503 + Retry-After for an unknown serial', async () => {
    const listener = new PushListener({ log: silentLogger(), maxBodyBytes: 4096 });
    const { driver } = newDriver();
    listener.register(driver);
    const part = fc.oneof(
      fc.constantFrom(`SN=${SN}`, 'SN=', 'SN', `SN=${SN}&SN=x`, `SN[]=${SN}`, 'SN[a]=1', 'table=ATTLOG', 'table=rtlog', 'table=', 'table=__proto__', '__proto__=x', 'constructor=1', 'INFO=%ff', '%', '%zz', '&&', '=', `Stamp=${'9'.repeat(50)}`),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
      fc.string({ maxLength: 10 }),
    );
    const path = fc.oneof(
      fc.constantFrom('/iclock/cdata', '/iclock/cdata.aspx', '/iclock/getrequest', '/iclock/devicecmd', '/iclock/', '/iclock', '/iclock/%ff', '/iclock/a/b', '/', '/iclock/..%2f', '//iclock/cdata'),
      fc.string({ maxLength: 20 }).map((t) => `/iclock/${t}`),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.boolean(), fc.array(part, { maxLength: 5 }), fc.constantFrom('GET', 'POST', 'PUT', 'HEAD'), mixedBody.map((m) => m.body), async (p, withSerial, query, method, body) => {
        const url = `${p}?${[...(withSerial ? [`SN=${SN}`] : []), ...query].join('&')}`;
        let res: Awaited<ReturnType<typeof listener.app.inject>>;
        try {
          res = await listener.app.inject({ method: method as 'GET', url, ...(method === 'POST' || method === 'PUT' ? { payload: body } : {}), headers: { 'content-type': 'text/plain' } });
        } catch (error) {
          // light-my-request refuses some URLs before they reach the server (as Node's client would)
          ok(error instanceof TypeError || (error as NodeJS.ErrnoException).code === 'ERR_INVALID_URL', String(error));
          return;
        }
        if (res.statusCode === 503) ok(res.headers['retry-after'] !== undefined, `503 without Retry-After for ${url}`);
        else ok(res.statusCode >= 200 && res.statusCode < 500, `${res.statusCode} for ${method} ${url}`);
      }),
      fcOptions('zk-push listener URLs'),
    );
    await driver.stop();
    await listener.close();
  });
});
