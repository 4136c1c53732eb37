// EasyLink codec on replies quoted from public sources (fixtures/*/source.md) and labelled synthetic
// bodies, plus the code tables, the clock format and a fuzz run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TABLES, decodeDevInfoClock, decodeDevInfoReply, decodeResultReply, decodeScanlogReply, encodeForm, tablesWith, toRawPunch, type ScanRow } from '../../../drivers/fingerspot-easylink/codec.js';
import { DecodeError } from '../../../src/util/errors.js';
import { decodeCase, loadCases } from './cases.js';

const cases = loadCases();

describe('fixtures', () => {
  it('every fixture has a source and an expectation', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    for (const c of cases) expect(c.expected !== undefined || c.error !== undefined, c.name).toBe(true);
  });

  it.each(cases.filter((c) => c.expected !== undefined).map((c) => [c.name, c] as const))('%s decodes as expected', (_name, c) => {
    expect(decodeCase(c.name, c.input)).toEqual(c.expected);
  });

  it.each(cases.filter((c) => c.error !== undefined).map((c) => [c.name, c] as const))('%s is refused with DecodeError', (_name, c) => {
    expect(() => decodeCase(c.name, c.input)).toThrow(DecodeError);
    try {
      decodeCase(c.name, c.input);
    } catch (error) {
      expect((error as DecodeError).code).toBe(c.error);
    }
  });
});

describe('the 44 real Revo rows', () => {
  const reply = decodeScanlogReply(cases.find((c) => c.name.startsWith('scanlog-new-44rows'))!.input);
  if (reply.kind !== 'rows') throw new Error('expected rows');

  it('keeps every row, in order, with the device wall time untouched', () => {
    expect(reply.rows).toHaveLength(44);
    expect(reply.errors).toEqual([]);
    expect(reply.rows[0]).toMatchObject({ pin: '20', localTime: '2026-03-27T19:54:35', verifyMode: 1, ioMode: 2 });
    expect(reply.rows.at(-1)).toMatchObject({ pin: '34', localTime: '2026-03-27T21:39:56' });
  });

  it('maps VerifyMode 1 to fingerprint and leaves 20 and 30 as other by default', () => {
    const verify = reply.rows.map((r) => toRawPunch(r, DEFAULT_TABLES, 'new').verify);
    expect(verify.filter((v) => v === 'fingerprint')).toHaveLength(41);
    expect(verify.filter((v) => v === 'other')).toHaveLength(3);
  });

  it('keeps the row as sent in raw, with the read it came from', () => {
    expect(toRawPunch(reply.rows[1]!, DEFAULT_TABLES, 'paging').raw).toEqual({ source: 'paging', PIN: '2', WorkCode: 0, SN: 'FIO66208021230737', VerifyMode: 30, ScanDate: '2026-03-27 20:04:58', IOMode: 2 });
  });
});

describe('code tables', () => {
  const row = (verifyMode: number, ioMode: number): ScanRow => ({ serial: 'X', pin: '1', localTime: '2026-01-01T07:00:00', verifyMode, ioMode, workCode: 0, fields: {} });

  it.each([
    [1, 1, 'fingerprint', 'check-in'],
    [1, 2, 'fingerprint', 'check-out'],
    [20, 0, 'other', 'unknown'],
    [30, 9, 'other', 'unknown'],
  ] as const)('VerifyMode %i IOMode %i → %s / %s by default', (verifyMode, ioMode, verify, state) => {
    expect(toRawPunch(row(verifyMode, ioMode), DEFAULT_TABLES, 'new')).toMatchObject({ verify, state });
  });

  it('takes per-device overrides over the built-in table', () => {
    const tables = tablesWith({ verifyMap: { '20': 'face', '30': 'palm' }, ioModeMap: { '2': 'break-out' } });
    expect(toRawPunch(row(20, 2), tables, 'new')).toMatchObject({ verify: 'face', state: 'break-out' });
    expect(toRawPunch(row(30, 1), tables, 'new')).toMatchObject({ verify: 'palm', state: 'check-in' });
    expect(toRawPunch(row(1, 1), DEFAULT_TABLES, 'new').verify).toBe('fingerprint');
  });

  it('turns WorkCode 0 into null and keeps others', () => {
    expect(toRawPunch({ ...row(1, 1), workCode: 0 }, DEFAULT_TABLES, 'new').workCode).toBeNull();
    expect(toRawPunch({ ...row(1, 1), workCode: 7 }, DEFAULT_TABLES, 'new').workCode).toBe(7);
  });
});

describe('details', () => {
  it.each([
    ['27/03/2026 23:23:35', '2026-03-27T23:23:35'],
    ['1/2/2026 7:05:09', '2026-02-01T07:05:09'],
    ['32/01/2026 10:00:00', undefined],
    ['2026-03-27 23:23:35', undefined],
    ['', undefined],
  ])('DEVINFO clock %j → %j', (text, expected) => {
    expect(decodeDevInfoClock(text)).toBe(expected);
  });

  it('encodes the form with sn first and escapes values', () => {
    expect(encodeForm('FIO66208021230737')).toBe('sn=FIO66208021230737');
    expect(encodeForm('A B&C', { limit: 100 })).toBe('sn=A+B%26C&limit=100');
  });

  it('reads "No data" case-insensitively, and any other Result:false as a failure with its message', () => {
    expect(decodeScanlogReply('{"Result":false,"message":" no DATA "}')).toEqual({ kind: 'no-data' });
    expect(decodeScanlogReply('{"Result":false,"message":"Device not connected"}')).toEqual({ kind: 'failed', message: 'Device not connected' });
    expect(decodeDevInfoReply('{"Result":false,"message":"No data"}').kind).toBe('failed');
    expect(decodeResultReply('{"Result":false,"message":"busy"}')).toEqual({ kind: 'failed', message: 'busy' });
  });

  it('accepts a UTF-8 BOM and numeric PINs', () => {
    const reply = decodeScanlogReply('\uFEFF{"Result":true,"Data":[{"SN":"S","ScanDate":"2026-01-01 07:00:00","PIN":42,"VerifyMode":"1","IOMode":1}]}');
    expect(reply).toMatchObject({ kind: 'rows', rows: [{ pin: '42', verifyMode: 1, workCode: 0 }] });
  });
});

describe('fuzz', () => {
  const decoders = [decodeScanlogReply, decodeDevInfoReply, decodeResultReply];
  const isExpected = (run: () => unknown): boolean => {
    try {
      run();
      return true;
    } catch (error) {
      return error instanceof DecodeError;
    }
  };

  it('never throws anything but DecodeError on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => decoders.every((d) => isExpected(() => d(text)))), { numRuns: 3000 });
  });

  it('never throws anything but DecodeError on random JSON', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), (text) => decoders.every((d) => isExpected(() => d(text)))), { numRuns: 3000 });
  });
});
