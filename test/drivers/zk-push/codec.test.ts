// zk-push codec: table-driven over fixtures quoted from public sources (fixtures/README.md), plus
// variants derived from them (named as such) and a fuzz test. The codec never throws on a body.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeAttlog, decodeCommandResults, decodeInfo, decodeRtlog, decodeTime, encodeCommands, encodeHandshake, encodeUploadOk, splitLines,
} from '../../../drivers/zk-push/codec.js';

const FIXTURE_DIR = join(import.meta.dirname, 'fixtures');
const cases = readdirSync(FIXTURE_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => ({
    name: d.name,
    input: readFileSync(join(FIXTURE_DIR, d.name, 'input.txt'), 'utf8'),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expected: JSON.parse(readFileSync(join(FIXTURE_DIR, d.name, 'expected.json'), 'utf8')) as any,
  }));

const SAIFUL_ATTLOG = cases.find((c) => c.name === 'attlog_saifulcoder-postman')!.input;

describe('zk-push codec on quoted bodies', () => {
  it('every fixture names its source', () => {
    for (const c of cases) expect(c.expected.source, c.name).toMatch(/\S{10,}/);
  });

  it.each(cases.filter((c) => c.expected.kind === 'attlog').map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const out = decodeAttlog(c.input);
    expect(out.records).toEqual(c.expected.records);
    expect(out.errors).toEqual(c.expected.errors);
    expect(out.lines).toBe(c.expected.lines);
  });

  it.each(cases.filter((c) => c.expected.kind === 'lines').map((c) => [c.name, c] as const))('%s: line count for OK: <n>', (_name, c) => {
    expect(splitLines(c.input)).toHaveLength(c.expected.lines);
  });

  it('derived: the same body with LF line ends decodes the same', () => {
    const lf = SAIFUL_ATTLOG.replace(/\r\n/g, '\n');
    expect(decodeAttlog(lf)).toEqual(decodeAttlog(SAIFUL_ATTLOG));
  });

  it('derived: the body split at each line boundary into two posts gives the same records in total', () => {
    const whole = decodeAttlog(SAIFUL_ATTLOG).records;
    const ends = [...SAIFUL_ATTLOG.matchAll(/\n/g)].map((m) => m.index + 1);
    for (const cut of [0, ...ends]) {
      const parts = [SAIFUL_ATTLOG.slice(0, cut), SAIFUL_ATTLOG.slice(cut)];
      expect(parts.flatMap((p) => decodeAttlog(p).records)).toEqual(whole);
    }
  });

  it('derived: newer firmware fields (MaskFlag, Temperature, …) are kept by name; unknown ones as fieldN', () => {
    const line = '1\t2024-07-28 01:25:24\t0\t15\t\t0\t0\t0\t36.5\t97.7\t0\t\tx\r\n';
    const [record] = decodeAttlog(line).records;
    expect(record).toMatchObject({ pin: '1', verify: 15, fields: { maskFlag: '0', temperature: '36.5', convTemperature: '97.7', timeOffset: '0', field12: 'x' } });
  });

  it('derived: malformed lines are errors with their line number; the good lines of the body are still records', () => {
    const body = ['1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t', 'garbage', '2\t2024-02-30 08:00:00\t0\t1', '\u0000\u0001\u0002\tbinary', '3\t2024-07-28 10:41:21\tx\t1', '4\t2024-07-28 10:41:31\t1\t4\t7'].join('\r\n');
    const out = decodeAttlog(body);
    expect(out.records.map((r) => r.pin)).toEqual(['1', '4']);
    expect(out.records[1]).toMatchObject({ status: 1, verify: 4, workCode: 7 });
    expect(out.errors.map((e) => [e.line, e.code])).toEqual([[2, 'fields'], [3, 'time'], [4, 'binary'], [5, 'code']]);
    expect(out.lines).toBe(6);
  });

  it('rtlog key=value lines (format per zk-push.md "Face and access devices"), also when posted as ATTLOG', () => {
    const line = 'time=2024-07-28 10:41:31\tpin=4\tcardno=0\teventaddr=1\tevent=0\tinoutstatus=1\tverifytype=15\tindex=9\r\n';
    for (const out of [decodeRtlog(line), decodeAttlog(line)]) {
      expect(out.errors).toEqual([]);
      expect(out.records[0]).toMatchObject({ pin: '4', localTime: '2024-07-28T10:41:31', status: 1, verify: 15, workCode: null });
    }
  });

  it('devicecmd results, with the key=value lines an INFO answer carries', () => {
    const out = decodeCommandResults('ID=101&Return=0&CMD=INFO\n~DeviceName=MB160\nFWVersion=Ver 6.60\nUserCount=12\nID=102&Return=-1002&CMD=DATA\n');
    expect(out).toEqual([
      { id: '101', returnCode: 0, cmd: 'INFO', values: { DeviceName: 'MB160', FWVersion: 'Ver 6.60', UserCount: '12' } },
      { id: '102', returnCode: -1002, cmd: 'DATA', values: {} },
    ]);
  });

  it('getrequest INFO=… into named facts', () => {
    expect(decodeInfo('Ver 6.60 Apr 28 2017,12,10,345,192.168.1.201')).toEqual({ firmware: 'Ver 6.60 Apr 28 2017', users: 12, fingerprints: 10, records: 345, ip: '192.168.1.201' });
  });

  it('times: only real calendar times', () => {
    expect(decodeTime('2024-07-28 01:25:24')).toBe('2024-07-28T01:25:24');
    expect(decodeTime('2024-02-29 23:59:59')).toBe('2024-02-29T23:59:59');
    expect(decodeTime('2023-02-29 00:00:00')).toBeUndefined();
    expect(decodeTime('2024-07-28 24:00:00')).toBeUndefined();
  });

  it('replies: handshake header and options, commands, OK: n', () => {
    expect(encodeHandshake('BOCK200961014', [['ATTLOGStamp', 'None'], ['Delay', 30]])).toBe('GET OPTION FROM: BOCK200961014\nATTLOGStamp=None\nDelay=30');
    expect(encodeCommands([])).toBe('OK');
    expect(encodeCommands([{ id: '7', command: 'INFO' }, { id: '8', command: 'CHECK' }])).toBe('C:7:INFO\nC:8:CHECK');
    expect(encodeUploadOk(3)).toBe('OK: 3');
  });

  it('fuzz: 10,000 random bodies never throw, and lines = records + errors', () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = '0123456789-: \t\r\n=abcxyzpin\u0000\u00ff';
    for (let i = 0; i < 10_000; i += 1) {
      const base = i % 2 === 0 ? SAIFUL_ATTLOG : '';
      const chars = [...base];
      const edits = Math.floor(rnd() * 8);
      for (let e = 0; e < edits; e += 1) chars.splice(Math.floor(rnd() * (chars.length + 1)), rnd() < 0.5 ? 1 : 0, alphabet[Math.floor(rnd() * alphabet.length)]!);
      const body = chars.join('');
      const out = decodeAttlog(body);
      expect(out.records.length + out.errors.length).toBe(out.lines);
    }
  });
});
