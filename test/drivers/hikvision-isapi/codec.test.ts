// Codec tests: quoted and labelled-synthetic fixtures (fixtures/<case>/{input.*, expected.json,
// source.md}), table-driven time/mapping/multipart cases, and a fuzz of the push decoder.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAcsEventPage, decodeDeviceInfo, decodeDeviceTime, decodePushBody, encodeAcsEventCond, jsonPartOf, localTimeOf, parseIsapiTime } from '../../../drivers/hikvision-isapi/codec.js';
import { hikvisionConfigSchema } from '../../../drivers/hikvision-isapi/config.js';
import { toPunch, type MappingConfig } from '../../../drivers/hikvision-isapi/punches.js';
import { DecodeError } from '../../../src/util/errors.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const CASES = readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'expected.json')));
const MAPPING: MappingConfig = { zone: 'Asia/Jakarta', timeFrom: 'offset', minorMap: {}, verifyModeMap: {}, stateMap: {} };

const expectedOf = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8'));

describe('fixtures', () => {
  it('every case names its source', () => {
    for (const name of CASES) expect(existsSync(join(FIXTURES, name, 'source.md')), name).toBe(true);
    expect(CASES.length).toBeGreaterThanOrEqual(4);
  });

  it.each(CASES.filter((c) => c.startsWith('push-')))('%s: push body → event → punch outcome', (name) => {
    const expected = expectedOf(name);
    const file = readdirSync(join(FIXTURES, name)).find((f) => f.startsWith('input.'))!;
    const bytes = readFileSync(join(FIXTURES, name, file));
    const event = decodePushBody(bytes, expected.contentType);
    expect(event).toEqual(expected.event);
    expect(toPunch(event.record!, 'push', MAPPING)).toEqual(expected.outcome);
  });

  it.each(CASES.filter((c) => c.startsWith('deviceinfo-')))('%s: deviceInfo XML', (name) => {
    expect(decodeDeviceInfo(readFileSync(join(FIXTURES, name, 'input.xml'), 'utf8'))).toEqual(expectedOf(name).deviceInfo);
  });

  it.each(CASES.filter((c) => c.startsWith('acsevent-')))('%s: AcsEvent page', (name) => {
    const expected = expectedOf(name);
    const page = decodeAcsEventPage(readFileSync(join(FIXTURES, name, 'input.json'), 'utf8'));
    expect(page).toMatchObject(expected.page);
    const sorted = [...page.records].sort((a, b) => (a.serialNo ?? 0) - (b.serialNo ?? 0));
    const outcomes = sorted.map((r) => toPunch(r, 'acs-event', MAPPING));
    expect(outcomes.flatMap((o) => (o.kind === 'punch' ? [[o.raw.pin, o.raw.localTime, o.raw.state, o.raw.verify, o.raw.raw?.serialNo]] : []))).toEqual(expected.punches);
    expect(outcomes.flatMap((o) => (o.kind === 'ignored' ? [o.reason] : []))).toEqual(expected.ignored);
  });
});

describe('ISAPI times', () => {
  it.each([
    ['2024-01-09T16:51:51-00:00', { wall: '2024-01-09T16:51:51', offsetMinutes: 0 }],
    ['2024-08-26T12:32:28+01:00', { wall: '2024-08-26T12:32:28', offsetMinutes: 60 }],
    ['2026-01-19T07:31:05+0700', { wall: '2026-01-19T07:31:05', offsetMinutes: 420 }],
    ['2026-01-19T07:31:05Z', { wall: '2026-01-19T07:31:05', offsetMinutes: 0 }],
    ['2026-01-19T07:31:05.123+05:30', { wall: '2026-01-19T07:31:05', offsetMinutes: 330 }],
    ['2026-01-19 07:31:05', { wall: '2026-01-19T07:31:05', offsetMinutes: null }],
    ['19-01-2026 07:31', undefined],
    ['', undefined],
  ])('%j', (text, expected) => {
    expect(parseIsapiTime(text)).toEqual(expected);
  });

  it.each([
    ['agrees with WIB', '2026-01-19T07:31:05+07:00', 'Asia/Jakarta', 'offset', '2026-01-19T07:31:05', 0],
    ['factory +08 on a WIB terminal, instant kept', '2026-01-19T08:31:05+08:00', 'Asia/Jakarta', 'offset', '2026-01-19T07:31:05', 60],
    ['factory +08 on a WIB terminal, wall kept', '2026-01-19T08:31:05+08:00', 'Asia/Jakarta', 'wall', '2026-01-19T08:31:05', 60],
    ['WIT terminal', '2026-01-19T09:00:00+09:00', 'Asia/Jayapura', 'offset', '2026-01-19T09:00:00', 0],
    ['UTC written, WITA zone, across midnight', '2026-01-19T17:30:00+00:00', 'Asia/Makassar', 'offset', '2026-01-20T01:30:00', -480],
    ['no offset: wall as written', '2026-01-19T07:31:05', 'Asia/Jakarta', 'offset', '2026-01-19T07:31:05', 0],
  ] as const)('%s', (_name, text, zone, timeFrom, localTime, zoneMismatchMin) => {
    expect(localTimeOf(parseIsapiTime(text)!, zone, timeFrom)).toEqual({ localTime, zoneMismatchMin });
  });

  it('reads /ISAPI/System/time', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><Time version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><timeMode>NTP</timeMode><localTime>2026-01-19T07:31:05+07:00</localTime><timeZone>CST-7:00:00</timeZone></Time>';
    expect(decodeDeviceTime(xml)).toEqual({ localTime: { wall: '2026-01-19T07:31:05', offsetMinutes: 420 }, timeMode: 'NTP', timeZone: 'CST-7:00:00' });
    expect(() => decodeDeviceTime('<Time><localTime>soon</localTime></Time>')).toThrow(DecodeError);
  });
});

describe('mapping tables', () => {
  const record = (over: Record<string, unknown>) => ({ major: 5, minor: 75, time: '2026-01-19T07:31:05+07:00', employeeNo: '1', serialNo: 1, fields: {}, ...over });
  it.each([
    ['face pass', {}, {}, { verify: 'face', state: 'unknown' }],
    ['fingerprint pass, checkOut', { minor: 38, attendanceStatus: 'checkOut' }, {}, { verify: 'fingerprint', state: 'check-out' }],
    ['card pass, breakIn', { minor: 1, attendanceStatus: 'breakIn' }, {}, { verify: 'card', state: 'break-in' }],
    ['employee no + password', { minor: 101, attendanceStatus: 'overtimeIn' }, {}, { verify: 'password', state: 'overtime-in' }],
    ['multi-verify: method from currentVerifyMode', { minor: 16, currentVerifyMode: 'face' }, {}, { verify: 'face' }],
    ['multi-verify: "or" mode tells nothing', { minor: 16, currentVerifyMode: 'cardOrFaceOrFp' }, {}, { verify: 'other' }],
    ['attendanceStatus undefined', { attendanceStatus: 'undefined' }, {}, { state: 'unknown' }],
    ['config adds a minor', { minor: 200 }, { minorMap: { '200': 'palm' } }, { verify: 'palm' }],
    ['config overrides a state', { attendanceStatus: 'checkIn' }, { stateMap: { checkIn: 'overtime-in' } }, { state: 'overtime-in' }],
  ] as const)('%s', (_name, over, cfg, expected) => {
    const outcome = toPunch(record(over), 'acs-event', { ...MAPPING, ...cfg });
    expect(outcome.kind).toBe('punch');
    if (outcome.kind === 'punch') expect(outcome.raw).toMatchObject(expected);
  });

  it.each([
    ['door locked', { minor: 22 }, 'minor-22'],
    ['face failed', { minor: 76 }, 'minor-76'],
    ['an alarm', { major: 1, minor: 1 }, 'major-1'],
  ])('%s is ignored', (_name, over, reason) => {
    expect(toPunch(record(over), 'acs-event', MAPPING)).toEqual({ kind: 'ignored', reason });
  });

  it('a pushed and a pulled copy of an event give the same punch apart from raw.source', () => {
    const pulled = toPunch(record({ attendanceStatus: 'checkIn' }), 'acs-event', MAPPING);
    const pushed = toPunch(record({ attendanceStatus: 'checkIn' }), 'push', MAPPING);
    if (pulled.kind !== 'punch' || pushed.kind !== 'punch') throw new Error('expected punches');
    expect({ ...pushed.raw, raw: undefined }).toEqual({ ...pulled.raw, raw: undefined });
  });
});

describe('AcsEvent pages', () => {
  it.each([
    ['not JSON', 'AcsEvent', 'acs-json'],
    ['no AcsEvent', '{"ResponseStatus":{}}', 'acs-shape'],
    ['unknown status', '{"AcsEvent":{"responseStatusStrg":"FAILED"}}', 'acs-status'],
    ['InfoList not an array', '{"AcsEvent":{"responseStatusStrg":"OK","InfoList":{}}}', 'acs-shape'],
  ])('%s → DecodeError %s', (_name, text, code) => {
    expect(() => decodeAcsEventPage(text)).toThrow(expect.objectContaining({ code }));
  });

  it('NO MATCH without InfoList is an empty page', () => {
    expect(decodeAcsEventPage('{"AcsEvent":{"responseStatusStrg":"NO MATCH","totalMatches":0}}')).toMatchObject({ status: 'NO MATCH', records: [], totalMatches: 0 });
  });

  it('encodes the search condition', () => {
    expect(encodeAcsEventCond({ searchId: 's', position: 30, maxResults: 30, startTime: 'a', endTime: 'b' })).toEqual({ AcsEventCond: { searchID: 's', searchResultPosition: 30, maxResults: 30, major: 5, minor: 0, startTime: 'a', endTime: 'b' } });
  });
});

describe('push bodies', () => {
  const part = (name: string, body: string, type = 'application/json') => `--b\r\nContent-Disposition: form-data; name="${name}"\r\nContent-Type: ${type}\r\n\r\n${body}\r\n`;
  const json = '{"eventType":"heartBeat"}';
  it.each([
    ['AccessControllerEvent field', `${part('AccessControllerEvent', json)}--b--\r\n`, json],
    ['quoted boundary, JSON part found by type', `${part('x', json)}--b--\r\n`, json],
    ['no closing delimiter', `${part('event_log', json)}`, json],
  ])('%s', (_name, body, expected) => {
    expect(jsonPartOf(Buffer.from(body), 'multipart/form-data; boundary="b"')).toBe(expected);
  });

  it.each([
    ['no boundary', Buffer.from(json), 'multipart/form-data', 'push-multipart'],
    ['boundary absent from the body', Buffer.from(json), 'multipart/form-data; boundary=zz', 'push-multipart'],
    ['no JSON part', Buffer.from(`${part('Picture', 'x', 'image/jpeg')}--b--\r\n`), 'multipart/form-data; boundary=b', 'push-multipart'],
    ['too many parts', Buffer.from(part('a', 'x', 'text/plain').repeat(40)), 'multipart/form-data; boundary=b', 'push-multipart'],
    ['XML body', Buffer.from('<EventNotificationAlert/>'), 'application/xml', 'push-xml'],
    ['JSON without eventType', Buffer.from('{"a":1}'), 'application/json', 'push-shape'],
    ['AccessControllerEvent with a bad time', Buffer.from('{"eventType":"AccessControllerEvent","AccessControllerEvent":{"majorEventType":5,"subEventType":75}}'), 'application/json', 'push-record'],
  ])('%s → DecodeError %s', (_name, bytes, contentType, code) => {
    expect(() => decodePushBody(bytes, contentType)).toThrow(expect.objectContaining({ code }));
  });

  it('a heartbeat is an event without a record', () => {
    expect(decodePushBody(Buffer.from(json), 'application/json')).toEqual({ eventType: 'heartBeat' });
  });

  it('fuzz: 10,000 random bodies give an event or a DecodeError, nothing else', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const seedBody = readFileSync(join(FIXTURES, 'push-multipart-face_synthetic', 'input.bin'));
    for (let i = 0; i < 10_000; i++) {
      const bytes = Buffer.from(seedBody);
      for (let k = 0; k < 1 + Math.floor(random() * 8); k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = bytes.subarray(0, Math.floor(random() * bytes.length) + 1);
      try {
        decodePushBody(cut, 'multipart/form-data; boundary=MIME_boundary');
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
      }
    }
  });
});

describe('config', () => {
  it.each([
    [{ pull: false }, /set pull, push or both/],
    [{ host: undefined }, /pull needs the terminal host/],
    [{ password: undefined }, /needs password or passwordFile/],
  ])('%j is refused', (over, message) => {
    const out = hikvisionConfigSchema.safeParse({ id: 'x', driver: 'hikvision-isapi', host: '10.0.0.2', password: 'p', ...over });
    expect(out.success).toBe(false);
    expect(JSON.stringify(out.error?.issues)).toMatch(message);
  });

  it('push only needs no host', () => {
    expect(hikvisionConfigSchema.parse({ id: 'x', driver: 'hikvision-isapi', pull: false, push: true })).toMatchObject({ pull: false, push: true, port: 80, username: 'admin', pageSize: 30 });
  });
});
