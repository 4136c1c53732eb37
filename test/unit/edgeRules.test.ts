// The edge rules as pure functions (src/punch/edgeRules.ts, src/devices/statusBounds.ts,
// src/devices/quarantineEntry.ts). Every input here is synthetic. The same rules through the
// real context, SQLite buffer and drivers: test/integration/edgeRules.test.ts.
import { describe, expect, it } from 'vitest';
import { boundStatusUpdate, MAX_DETAIL_ENTRIES, MAX_DETAIL_TEXT_CHARS, MAX_DETAIL_VALUES, MAX_LAST_ERROR_CHARS } from '../../src/devices/statusBounds.js';
import { MAX_QUARANTINE_RAW_BYTES, QUARANTINE_EXCERPT_CHARS, quarantineEntryOf } from '../../src/devices/quarantineEntry.js';
import { boundedText, edgePin, isBoundedText, MAX_IDENTITY_CHARS } from '../../src/punch/edgeRules.js';
import type { RawPunch } from '../../src/punch/punch.js';

describe('edgePin', () => {
  it.each(['1', '00123', 'A001', 'a.b-c_D', '9'.repeat(24), '-', '.'])('takes %j as it is', (pin) => {
    expect(edgePin(pin)).toBe(pin);
  });

  it.each([
    ['the Kelvin sign U+212A', '\u212a1001', 'K1001'],
    ['the Kelvin sign as the 24th character', `${'1'.repeat(23)}\u212a`, `${'1'.repeat(23)}K`],
  ])('takes the NFC form: %s', (_what, pin, nfc) => {
    expect(edgePin(pin)).toBe(nfc);
  });

  it.each([
    ['empty', ''],
    ['25 characters', '1'.repeat(25)],
    ['a zero-width space (finding 12)', '00123\u200b'],
    ['an RTL override (finding 12)', '\u202e00123'],
    ['a Greek omicron for o (finding 12)', 'J\u03bfhn'],
    ['a Greek omicron for 0 (finding 12)', '\u03bf0123'],
    ['markup (finding 12)', '<b>1</b>'],
    ['fullwidth digits (NFKC would fold them, NFC does not)', '\uff11\uff12\uff13'],
    ['a combining accent', 'e\u0301'],
    ['a space', '1 2'],
    ['a leading space', ' 12'],
    ['the punch id separator', 'a|b'],
    ['a NUL', '12\u0000'],
    ['a megabyte', '1'.repeat(1 << 20)],
  ])('refuses %s', (_what, pin) => {
    expect(edgePin(pin)).toBeUndefined();
  });
});

describe('boundedText', () => {
  it.each(['K40', 'ZKTeco K40 Pro', 'Ver 6.60 Apr 28 2020', 'DS-K1T341AM', 'Préstamo', 'X'.repeat(64), '指纹机', '😀'])('keeps %j as it is', (text) => {
    expect(isBoundedText(text, MAX_IDENTITY_CHARS)).toBe(true);
    expect(boundedText(text, MAX_IDENTITY_CHARS)).toEqual({ text, lost: false });
  });

  it.each([
    ['300 KB (finding 4)', 'M'.repeat(300 * 1024), 'M'.repeat(64)],
    ['65 characters', `${'x'.repeat(64)}y`, 'x'.repeat(64)],
    ['a NUL padding', 'K40\u0000\u0000', 'K40'],
    ['an escape sequence', 'K40\u001b[2J', 'K40[2J'],
    ['an RTL override', '\u202eK40', 'K40'],
    ['a line separator', 'K40\u2028evil', 'K40evil'],
    ['a lone surrogate', 'K40\ud800', 'K40'],
    ['nothing printable', '\u0000\u200b\u0007', ''],
  ])('cuts %s and says content was lost', (_what, text, kept) => {
    expect(boundedText(text, MAX_IDENTITY_CHARS)).toEqual({ text: kept, lost: true });
  });

  it('trims and composes (NFC) without counting it as lost', () => {
    expect(boundedText('  K40 ', 64)).toEqual({ text: 'K40', lost: false });
    expect(boundedText('Pre\u0301stamo', 64)).toEqual({ text: 'Préstamo', lost: false });
  });

  it('counts code points, not UTF-16 units', () => {
    expect(boundedText('😀'.repeat(64), 64)).toEqual({ text: '😀'.repeat(64), lost: false });
    expect(boundedText('😀'.repeat(65), 64).text).toBe('😀'.repeat(64));
  });
});

describe('boundStatusUpdate', () => {
  it('cuts model, firmware and platform to 64 printable characters and names each problem', () => {
    const { change, problems } = boundStatusUpdate({ online: true, model: 'M'.repeat(300 * 1024), firmware: 'Ver\u0000 6.60', platform: 'ZMM220_TFT' });
    expect(change).toEqual({ online: true, model: 'M'.repeat(64), firmware: 'Ver 6.60', platform: 'ZMM220_TFT' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^model: 307200 characters starting "M{24}", kept "M{64}"$/);
    expect(problems[1]).toMatch(/^firmware: /);
  });

  it('does not apply a field with nothing printable left', () => {
    const { change, problems } = boundStatusUpdate({ model: '\u200b\u200b' });
    expect(change).toEqual({});
    expect(problems).toHaveLength(1);
  });

  it.each([
    ['65 characters', 'S'.repeat(65)],
    ['a control character', 'BOCK2009\u000161014'],
    ['a zero-width space', 'BOCK200961014\u200b'],
    ['the punch id separator', 'BOCK|200961014'],
    ['surrounding spaces', ' BOCK200961014'],
    ['empty', ''],
  ])('refuses a serial with %s whole, never cut', (_what, serial) => {
    const { change, problems } = boundStatusUpdate({ serial, online: true });
    expect(change).toEqual({ online: true });
    expect(problems).toEqual([expect.stringMatching(/^serial refused: /)]);
  });

  it('takes a good serial and reports nothing', () => {
    expect(boundStatusUpdate({ serial: 'DS-K1T341AM20220101V030230ENG12345678' })).toEqual({ change: { serial: 'DS-K1T341AM20220101V030230ENG12345678' }, problems: [] });
  });

  it('bounds details: text, keys, entries, depth; a "__proto__" key stays a plain entry', () => {
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const { change, problems } = boundStatusUpdate({
      details: { info: { DeviceName: 'N'.repeat(300 * 1024), [`${'K'.repeat(100)}`]: 'x', FWVersion: 'Ver 6.60', empty: '' }, many, deep, hostile, list: Array.from({ length: 100 }, () => 'v'), count: 7, flag: true, none: null },
    });
    const details = change.details as Record<string, Record<string, unknown>>;
    expect(details.info).toEqual({ DeviceName: 'N'.repeat(MAX_DETAIL_TEXT_CHARS), FWVersion: 'Ver 6.60', empty: '' });
    expect(Object.keys(details.many as object)).toHaveLength(MAX_DETAIL_ENTRIES);
    expect(details.deep).toEqual({ a: { b: { c: null } } });
    expect(Object.hasOwn(details.hostile as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(details.list).toHaveLength(MAX_DETAIL_ENTRIES);
    expect(details).toMatchObject({ count: 7, flag: true, none: null });
    expect(problems).toEqual([`details: 1 text value(s) cut, ${1 + (1000 - 64) + 1 + (100 - 64)} entr(ies) dropped`]);
  });

  it('keeps at most MAX_DETAIL_VALUES values in all, however they are spread', () => {
    const wide = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`group${i}`, Object.fromEntries(Array.from({ length: 64 }, (_, j) => [`k${j}`, 'v'.repeat(256)]))]));
    const { change, problems } = boundStatusUpdate({ details: wide });
    const count = (value: unknown): number => (value !== null && typeof value === 'object' ? Object.values(value).reduce<number>((n, v) => n + 1 + count(v), 0) : 0);
    expect(count(change.details)).toBe(MAX_DETAIL_VALUES);
    // groups 0-2 whole (3 × 65 values), group 3 with 60 of its 64, groups 4-9 dropped whole
    expect(problems).toEqual(['details: 0 text value(s) cut, 10 entr(ies) dropped']);
  });

  it('cuts lastError and blanks its control characters, without counting it', () => {
    const { change, problems } = boundStatusUpdate({ lastError: { code: 'GW_ERR_DEVICE_UNREACHABLE', message: `cannot open\n${'x'.repeat(10_000)}` } });
    expect(`${change.lastError?.code}: ${change.lastError?.message}`).toHaveLength(MAX_LAST_ERROR_CHARS);
    expect(change.lastError?.message).toMatch(/^cannot open x/);
    expect(change.lastError?.code).toBe('GW_ERR_DEVICE_UNREACHABLE');
    expect(problems).toEqual([]);
    expect(boundStatusUpdate({ lastError: null }).change).toEqual({ lastError: null });
  });
});

describe('quarantineEntryOf', () => {
  const raw: RawPunch = { pin: '00123\u200b', localTime: '2026-01-19T07:31:05', state: 'check-in', verify: 'face', raw: { source: 'push' } };
  const facts = { deviceId: 'lobby-face', serial: 'DS-K1', zone: 'Asia/Jakarta' };

  it('keeps a small raw punch whole, with the look-alike character as sent', () => {
    const entry = quarantineEntryOf(raw, { kind: 'quarantined', id: 'a'.repeat(32), reason: 'pin-invalid' }, facts);
    expect(entry).toEqual({ id: 'a'.repeat(32), deviceId: 'lobby-face', reason: 'pin-invalid', body: { raw, serial: 'DS-K1', zone: 'Asia/Jakarta' } });
  });

  it('keeps a 1.3 MB raw punch as its short fields, an excerpt, the size and the SHA-256', () => {
    const big: RawPunch = { ...raw, pin: '1', raw: { table: 'ATTLOG', field12: 'x'.repeat(1_300_000) } };
    const entry = quarantineEntryOf(big, { kind: 'quarantined', id: 'b'.repeat(32), reason: 'too-large' }, facts);
    const body = entry.body as { raw: Record<string, unknown>; truncated: { bytes: number; sha256: string; excerpt: string } };
    expect(body.raw).toEqual({ pin: '1', localTime: '2026-01-19T07:31:05', state: 'check-in', verify: 'face', workCode: null });
    expect(body.truncated.bytes).toBe(Buffer.byteLength(JSON.stringify(big)));
    expect(body.truncated.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.truncated.excerpt).toHaveLength(QUARANTINE_EXCERPT_CHARS);
    expect(JSON.stringify(entry.body).length).toBeLessThan(MAX_QUARANTINE_RAW_BYTES);
  });

  it('names an invalid punch by the hash of what was sent, so a resend is the same row', () => {
    const bad = { ...raw, pin: '' };
    const first = quarantineEntryOf(bad, { kind: 'invalid', reason: 'pin: pin is empty' }, facts);
    const again = quarantineEntryOf({ ...bad }, { kind: 'invalid', reason: 'pin: pin is empty' }, facts);
    expect(first.id).toMatch(/^invalid-[0-9a-f]{24}$/);
    expect(again.id).toBe(first.id);
    expect(first.reason).toBe('invalid: pin: pin is empty');
  });

  it('cuts a megabyte PIN in the row', () => {
    const entry = quarantineEntryOf({ ...raw, pin: '7'.repeat(1 << 20) }, { kind: 'quarantined', id: 'c'.repeat(32), reason: 'pin-invalid' }, facts);
    expect(JSON.stringify(entry.body).length).toBeLessThan(2 * MAX_QUARANTINE_RAW_BYTES);
    expect((entry.body.raw as { pin: string }).pin).toBe('7'.repeat(64));
  });
});
