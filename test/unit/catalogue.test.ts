// The catalogue's own rules (src/util/catalogue.ts), and that every code a codec can throw is in it.
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, QUARANTINE_REASONS, REASON_TABLES, REJECTION_REASONS, quarantineCode, reasonEntry, rejectionCode, type ReasonEntry } from '../../src/util/catalogue.js';
import { codeOf, DecodeError, GatewayError } from '../../src/util/errors.js';
import { callsOf, firstArgument, sourcesUnder, stringLiteral } from '../helpers/sourceScan.js';

const KEBAB = /^[a-z0-9]+(?:-(?:[a-z0-9]+|<[a-z]+>))*$/;
const entries = Object.entries(REASON_TABLES).flatMap(([counter, table]) => Object.entries(table as Record<string, ReasonEntry>).map(([reason, entry]) => ({ counter, reason, entry })));

describe('the catalogue', () => {
  it('writes every reason in one style: kebab-case, data as <name>', () => {
    expect(entries.map((e) => e.reason).filter((reason) => !KEBAB.test(reason))).toEqual([]);
  });

  it('maps every reason to a code of the catalogue and says what it means', () => {
    expect(entries.filter((e) => !(e.entry.code in ERROR_CODES) || e.entry.meaning.length < 10).map((e) => e.reason)).toEqual([]);
  });

  it('declares a pattern for every reason built from data, and only for those', () => {
    for (const { reason, entry } of entries) {
      expect(reason.includes('<'), reason).toBe(entry.pattern !== undefined);
      if (entry.pattern) expect(entry.pattern.test(reason.replace(/<[a-z]+>/g, '2000')), reason).toBe(true);
    }
    expect(reasonEntry(QUARANTINE_REASONS, 'time-before-2000')).toBe(QUARANTINE_REASONS['time-before-<year>']);
    expect(reasonEntry(QUARANTINE_REASONS, 'time-before-')).toBeUndefined();
    expect(quarantineCode('time-before-1999')).toBe('GW_ERR_PUNCH_QUARANTINED');
    expect(quarantineCode('invalid-punch')).toBe('GW_ERR_PUNCH_INVALID');
  });

  it('names rejection reasons in countedAs', () => {
    const counted = entries.flatMap((e) => (e.entry.countedAs ?? []).map((reason) => [e.reason, reason]));
    expect(counted.length).toBeGreaterThan(0);
    expect(counted.filter(([, reason]) => !Object.hasOwn(REJECTION_REASONS, reason as string))).toEqual([]);
  });

  it('logs each rejection with its own code: a comm key as GW_ERR_DEVICE_AUTH, a checksum as GW_ERR_CHECKSUM', () => {
    expect(rejectionCode('comm-key')).toBe('GW_ERR_DEVICE_AUTH');
    expect(rejectionCode('line-checksum')).toBe('GW_ERR_CHECKSUM');
    expect(rejectionCode('identity-invalid')).toBe('GW_ERR_DEVICE_IDENTITY');
    expect(rejectionCode('fingerspot-sn-mismatch')).toBe('GW_ERR_DEVICE_IDENTITY');
    expect(rejectionCode('attlog-fields')).toBe('GW_ERR_DECODE');
  });

  it('gives a log line the code its error carries', () => {
    expect(codeOf(new GatewayError('GW_ERR_DEVICE_TIMEOUT', 'CONNECT: no reply within 10000 ms'), 'GW_ERR_DEVICE_UNREACHABLE')).toBe('GW_ERR_DEVICE_TIMEOUT');
    expect(codeOf(new DecodeError('zk-short-u32', 'expected 4 bytes, got 2'), 'GW_ERR_DEVICE_UNREACHABLE')).toBe('GW_ERR_DECODE');
    expect(codeOf(new Error('the terminal closed the connection'), 'GW_ERR_DEVICE_UNREACHABLE')).toBe('GW_ERR_DEVICE_UNREACHABLE');
  });
});

describe('codec codes', () => {
  const throws = callsOf(sourcesUnder('src', 'drivers'), /new DecodeError/);

  it('the scan finds every codec throwing DecodeError', () => {
    expect(new Set(throws.map((t) => t.file.split('/')[1]))).toEqual(new Set(['fingerspot-easylink', 'hikvision-isapi', 'serial-line', 'zk-soap', 'zk-tcp']));
  });

  it('every code a codec throws is a rejection reason of the catalogue', () => {
    const codes = throws.map((t) => ({ at: `${t.file}:${t.line}`, code: firstArgument(t), literal: stringLiteral(firstArgument(t)) }));
    // a literal is checked here; a code the codec's caller passes in is a parameter, typed RejectionReason
    const literal = codes.filter((c) => c.literal !== undefined);
    expect(literal.length).toBeGreaterThan(40);
    expect(literal.filter((c) => !Object.hasOwn(REJECTION_REASONS, c.literal as string)).map((c) => `${c.at} ${c.code}`)).toEqual([]);
    expect(codes.filter((c) => c.literal === undefined && !/^[a-z]\w*$/i.test(c.code))).toEqual([]);
  });
});
