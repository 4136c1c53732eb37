// zk-soap codec: fixture bodies quoted from public sources (fixtures/*/source.md), request bodies
// byte for byte, the refusals (truncated, HTML, DOCTYPE, bad rows) and a fuzz run.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAttLog, decodeDate, decodeHttpResponse, decodeResult, decodeSoapBody, decodeUsers, encodeRequest, isNoData, type SoapArg } from '../../../drivers/zk-soap/codec.js';
import { toRawPunch } from '../../../drivers/zk-soap/sync.js';
import type { SoapCall } from '../../../drivers/zk-soap/tables.js';
import { DecodeError } from '../../../src/util/errors.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const NO_OVERRIDES = { stateMap: {}, verifyMap: {} };
const cases = readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'expected.json')));

function attlogView(bytes: Uint8Array) {
  const log = decodeAttLog(decodeSoapBody(bytes));
  return {
    noData: log.noData,
    errors: log.errors.length,
    records: log.records.map((r) => {
      const raw = toRawPunch(r, NO_OVERRIDES);
      return { pin: r.pin, localTime: r.localTime, verified: r.verified, status: r.status, workCode: r.workCode, state: raw.state, verify: raw.verify };
    }),
  };
}

describe.each(cases)('fixture %s', (name) => {
  it('decodes to expected.json', () => {
    const dir = join(FIXTURES, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, unknown>;
    expect(existsSync(join(dir, 'source.md'))).toBe(true);
    if (expected.kind === 'http-attlog') {
      const http = decodeHttpResponse(readFileSync(join(dir, 'input.http')));
      expect({ status: http.status, server: http.headers.server, ...attlogView(http.body) }).toEqual({ ...expected, kind: undefined, status: 200 });
      return;
    }
    const bytes = readFileSync(join(dir, 'input.xml'));
    if (expected.kind === 'attlog') expect({ kind: 'attlog', ...attlogView(bytes) }).toEqual(expected);
    if (expected.kind === 'users') {
      const doc = decodeSoapBody(bytes);
      const users = decodeUsers(doc);
      expect(users).toHaveLength(expected.count as number);
      if (expected.first) expect(users[0]).toEqual(expected.first);
      if (expected.last) expect(users.at(-1)).toEqual(expected.last);
      if (expected.noData !== undefined) expect(isNoData(doc)).toBe(expected.noData);
    }
    if (expected.kind === 'result') {
      const doc = decodeSoapBody(bytes);
      expect({ kind: 'result', noData: isNoData(doc), result: decodeResult(doc) }).toEqual(expected);
    }
  });
});

describe('request bodies (Solution vendor samples)', () => {
  const requests = JSON.parse(readFileSync(join(FIXTURES, 'requests_solution-x601', 'requests.json'), 'utf8')) as { call: SoapCall; commKey: string; args: SoapArg[]; expected: string }[];
  it.each(requests.map((r) => [r.call, r] as const))('%s', (_call, r) => {
    expect(encodeRequest(r.call, r.commKey, r.args)).toBe(r.expected);
  });

  it('escapes markup in values', () => {
    expect(encodeRequest('GetUserInfo', '0', [{ name: 'PIN', value: '<1&2>', type: 'integer' }])).toContain('&lt;1&amp;2&gt;');
  });
});

const ATT = (rows: string): Buffer => Buffer.from(`<GetAttLogResponse>\r\n${rows}</GetAttLogResponse>\r\n`, 'latin1');

describe('decodeAttLog', () => {
  it.each([
    ['lower-case tags', '<getattlogresponse><row><pin>5</pin><datetime>2026-01-19 07:00:00</datetime><verified>1</verified><status>0</status></row></getattlogresponse>', 1],
    ['an empty response element', '<GetAttLogResponse>\r\n</GetAttLogResponse>', 0],
    ['"No data!"', '<GetAttLogResponse><Row><Result>0</Result><Information>No data!</Information></Row></GetAttLogResponse>', 0],
  ])('reads %s', (_name, body, count) => {
    expect(decodeAttLog(decodeSoapBody(Buffer.from(body, 'latin1'))).records).toHaveLength(count);
  });

  it('keeps good rows next to bad ones, each bad row with its reason', () => {
    const log = decodeAttLog(decodeSoapBody(ATT([
      '<Row><PIN>1</PIN><DateTime>2026-01-19 07:00:00</DateTime><Verified>1</Verified><Status>0</Status></Row>',
      '<Row><PIN>2</PIN><DateTime>2026-02-30 07:00:00</DateTime><Verified>1</Verified><Status>0</Status></Row>',
      '<Row><PIN></PIN><DateTime>2026-01-19 07:00:00</DateTime><Verified>1</Verified><Status>0</Status></Row>',
      '<Row><PIN>3</PIN><DateTime>2026-01-19 07:00:00</DateTime><Verified>x</Verified><Status>0</Status></Row>',
      '<Row><PIN>4</PIN><DateTime>2026-01-19 07:00:00</DateTime><Verified><b>1</b></Verified><Status>0</Status></Row>',
    ].join('\r\n'))));
    expect(log.records.map((r) => r.pin)).toEqual(['1']);
    expect(log.errors.map((e) => [e.row, e.code])).toEqual([[1, 'time'], [2, 'pin'], [3, 'code'], [4, 'fields']]);
  });

  it('decodes ISO-8859-1 and honours a UTF-8 declaration', () => {
    const latin = Buffer.concat([Buffer.from('<GetAllUserInfoResponse><Row><PIN>1</PIN><Name>Jos'), Buffer.from([0xe9]), Buffer.from('</Name></Row></GetAllUserInfoResponse>')]);
    expect(decodeUsers(decodeSoapBody(latin))[0]?.name).toBe('José');
    const utf8 = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><GetAllUserInfoResponse><Row><PIN>1</PIN><Name>José</Name></Row></GetAllUserInfoResponse>', 'utf8');
    expect(decodeUsers(decodeSoapBody(utf8))[0]?.name).toBe('José');
  });

  it('reads GetDate in either case', () => {
    expect(decodeDate(decodeSoapBody(Buffer.from('<GetDateResponse><row><date>2014-01-01</date><time>12:00:00</time></row></GetDateResponse>')))).toBe('2014-01-01T12:00:00');
    expect(decodeDate(decodeSoapBody(Buffer.from('<GetDateResponse><Row><Result>0</Result></Row></GetDateResponse>')))).toBeUndefined();
  });
});

describe('refused bodies', () => {
  it.each([
    ['truncated XML', '<GetAttLogResponse>\r\n<Row><PIN>1</PIN><DateTime>2026-01-19 07:0', 'zk-soap-body-xml'],
    ['an HTML page', '<html><body><h1>404</h1></body>', 'zk-soap-body-xml'],
    ['plain text', 'Not Found', 'zk-soap-body-not-xml'],
    ['an empty body', '\r\n  ', 'zk-soap-body-empty'],
    ['a DOCTYPE with an entity', '<!DOCTYPE r [<!ENTITY x "xxxxxxxxxx">]><GetAttLogResponse>&x;</GetAttLogResponse>', 'zk-soap-body-doctype'],
    ['two roots', '<A></A><B></B>', 'zk-soap-body-xml'],
  ])('%s', (_name, body, code) => {
    expect(() => decodeSoapBody(Buffer.from(body, 'latin1'))).toThrow(expect.objectContaining({ code }) as Error);
  });

  it('refuses a body whose root is not the answer asked for', () => {
    expect(() => decodeAttLog(decodeSoapBody(Buffer.from('<html><body>x</body></html>')))).toThrow(DecodeError);
  });

  it.each([
    ['no head end', 'HTTP/1.0 200 OK\r\nServer: x', 'zk-soap-http-head'],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', 'zk-soap-http-status'],
    ['short Content-Length body', 'HTTP/1.0 200 OK\r\nContent-Length: 50\r\n\r\n<a></a>', 'zk-soap-http-truncated'],
  ])('HTTP: %s', (_name, text, code) => {
    expect(() => decodeHttpResponse(Buffer.from(text, 'latin1'))).toThrow(expect.objectContaining({ code }) as Error);
  });

  it('reads bare-LF headers and trims the body to Content-Length', () => {
    const http = decodeHttpResponse(Buffer.from('HTTP/1.0 200 OK\nServer: ZK Web Server\nContent-Length: 7\n\n<a></a>garbage'));
    expect(http.headers.server).toBe('ZK Web Server');
    expect(Buffer.from(http.body).toString()).toBe('<a></a>');
  });
});

describe('fuzz', () => {
  it('10,000 random and mutated bodies either decode or throw DecodeError', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const base = readFileSync(join(FIXTURES, 'attlog_tad-php-TADResponseTest', 'input.xml'));
    for (let i = 0; i < 10_000; i++) {
      const bytes = Buffer.from(base.subarray(0, Math.floor(random() * base.length)));
      for (let k = 0; k < 3; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        decodeAttLog(decodeSoapBody(bytes));
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
      }
    }
  });
});
