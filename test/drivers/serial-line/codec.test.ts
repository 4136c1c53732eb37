// serial-line codec: every fixture line → the expected RawPunch or rejection, whatever the split of
// the incoming text; every shipped format has a fixture; custom regex formats, card maps, config
// checks; a fuzz run that may only ever throw DecodeError.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCardMap } from '../../../drivers/serial-line/cardMap.js';
import { compileFormat, decodeLine, splitLines } from '../../../drivers/serial-line/codec.js';
import { serialLineConfigSchema } from '../../../drivers/serial-line/config.js';
import { SERIAL_FORMATS } from '../../../drivers/serial-line/tables.js';
import type { RawPunch } from '../../../src/punch/punch.js';
import { DecodeError } from '../../../src/util/errors.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

interface Expected {
  format: string;
  source: string;
  zone: string;
  now: string;
  results: ({ punch: RawPunch } | { reject: string })[];
}

const cases = readdirSync(FIXTURES)
  .filter((name) => !name.endsWith('.md'))
  .map((name) => ({
    name,
    input: readFileSync(join(FIXTURES, name, 'input.txt'), 'latin1'),
    expected: JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected,
  }));

function decodeAll(text: string, c: Expected): Expected['results'] {
  const format = compileFormat(c.format);
  const { lines, rest } = splitLines(text, '\n');
  return [...lines, ...(rest ? [rest] : [])].map((line) => {
    try {
      return { punch: decodeLine(line, format, { zone: c.zone, nowMs: Date.parse(c.now) }) };
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return { reject: error.code };
    }
  });
}

/** Feeds `text` in two pieces split at `at`, as serial reads arrive, collecting lines. */
function linesSplitAt(text: string, at: number): string[] {
  const first = splitLines(text.slice(0, at), '\n');
  const second = splitLines(first.rest + text.slice(at), '\n');
  return [...first.lines, ...second.lines, ...(second.rest ? [second.rest] : [])];
}

describe('serial-line codec fixtures', () => {
  it.each(cases)('$name', ({ input, expected }) => {
    expect(expected.source).toMatch(/^(QUOTED|SYNTHETIC): /);
    expect(decodeAll(input, expected)).toEqual(expected.results);
  });

  it.each(cases)('$name: the same lines whatever the split of the incoming text', ({ input }) => {
    const whole = linesSplitAt(input, input.length);
    for (let at = 0; at <= input.length; at += 1) expect(linesSplitAt(input, at)).toEqual(whole);
  });

  it('every shipped format has a fixture', () => {
    const covered = new Set(cases.map((c) => c.expected.format));
    expect(SERIAL_FORMATS.map((f) => f.name).filter((name) => !covered.has(name))).toEqual([]);
  });

  it('strips STX/ETX framing and CR around a line', () => {
    const { lines } = splitLines('\u00020A001234567A\u0003\u00021F00ABCDEF96\u0003\r\n', '\u0003');
    expect(lines).toEqual(['\u00020A001234567A', '\u00021F00ABCDEF96'].map((l) => l.slice(1)));
  });
});

describe('custom formats and maps', () => {
  const nowMs = Date.parse('2026-01-19T00:31:05Z');

  it('a regex with named groups, date/time templates and value maps', () => {
    const format = compileFormat(String.raw`(?<verify>[FC]),(?<pin>\d+),(?<date>\d{2}/\d{2}/\d{2}),(?<time>\d{2}\.\d{2})`, {
      dateFormat: 'DD/MM/YY',
      timeFormat: 'HH.mm',
      state: 'check-in',
      verifyMap: { F: 'fingerprint', C: 'card' },
    });
    expect(decodeLine('C,0042,19/01/26,07.31', format, { zone: 'Asia/Makassar', nowMs })).toMatchObject({
      pin: '0042',
      localTime: '2026-01-19T07:31:00',
      state: 'check-in',
      verify: 'card',
    });
  });

  it('cards become PINs through the card map; unknown cards are used as-is or rejected', () => {
    const cardMap = parseCardMap('card,pin\n12345678,00123\n# comment\n0001193046;77\n');
    const wiegand = compileFormat('wiegand-decimal');
    expect(decodeLine('0012345678', wiegand, { zone: 'Asia/Jakarta', nowMs, cardMap })).toMatchObject({ pin: '00123', raw: { card: '0012345678' } });
    expect(decodeLine('0A001234567A', compileFormat('em18-hex'), { zone: 'Asia/Jakarta', nowMs, cardMap })).toMatchObject({ pin: '77' });
    expect(decodeLine('0000000001', wiegand, { zone: 'Asia/Jakarta', nowMs, cardMap })).toMatchObject({ pin: '0000000001' });
    expect(() => decodeLine('0000000001', wiegand, { zone: 'Asia/Jakarta', nowMs, cardMap, unknownCard: 'reject' })).toThrow(/not in the card map/);
  });

  it('a card map with a duplicate or a malformed row is refused with its line number', () => {
    expect(() => parseCardMap('1,a\n0000000001,b\n')).toThrow(/line 2: card 0000000001 is listed twice/);
    expect(() => parseCardMap('1,a\n2\n')).toThrow(/line 2: expected "card,pin"/);
  });

  it('lines without a date are stamped with the gateway clock in the device zone', () => {
    const punch = decodeLine('0012345678', compileFormat('wiegand-decimal'), { zone: 'Asia/Jayapura', nowMs });
    expect(punch.localTime).toBe('2026-01-19T09:31:05');
  });

  it('config: a bad format is a config error on `format`; a good entry gets defaults', () => {
    const bad = serialLineConfigSchema.safeParse({ id: 'k', driver: 'serial-line', path: '/dev/null', format: '(?<who>\\d+)' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['format'], message: expect.stringMatching(/pin.*card/) });
    const broken = serialLineConfigSchema.safeParse({ id: 'k', driver: 'serial-line', format: '(?<pin>[' });
    expect(broken.error?.issues[0]?.message).toMatch(/neither a shipped format name nor a valid regex/);
    const good = serialLineConfigSchema.parse({ id: 'k', driver: 'serial-line', path: '/dev/ttyUSB0' });
    expect(good).toMatchObject({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, format: 'wiegand-decimal', reconnectMin: 1000 });
  });
});

describe('fuzz', () => {
  it('10,000 random lines in every format decode or throw DecodeError, nothing else', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = '0123456789ABCDEFabcdef\t -:/.INOUT\u0002\u0003\u00ff';
    const formats = SERIAL_FORMATS.map((f) => compileFormat(f.name));
    for (let i = 0; i < 10_000; i += 1) {
      const length = Math.floor(random() * 40);
      let line = '';
      for (let j = 0; j < length; j += 1) line += alphabet[Math.floor(random() * alphabet.length)];
      for (const format of formats) {
        try {
          decodeLine(line, format, { zone: 'Asia/Jakarta', nowMs: 0 });
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }
    }
  });
});
