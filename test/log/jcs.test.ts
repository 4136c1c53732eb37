// src/log/jcs.ts against RFC 8785's own examples (fixtures/rfc8785-vectors.json, with its source),
// and the punch leaf: any parse of the same punch gives the same leaf hash.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonAround, punchLeafHash } from '../../src/log/jcs.js';
import { leafHash } from '../../src/log/merkle.js';
import { unsequenced } from '../helpers/punches.js';

interface Vectors {
  serialization: { input: string; output: string };
  sorting: { input: string; keyOrder: string[] };
  numbers: [string, string][];
  refused: string[];
}
const V = JSON.parse(readFileSync(new URL('./fixtures/rfc8785-vectors.json', import.meta.url), 'utf8')) as Vectors;
const double = (hex: string): number => Buffer.from(hex, 'hex').readDoubleBE(0);

describe('RFC 8785', () => {
  it('§3.2.2: the serialization example, byte for byte', () => {
    expect(canonicalJson(JSON.parse(V.serialization.input))).toBe(V.serialization.output);
  });

  it('§3.2.3: members sorted by UTF-16 code units, whatever the locale', () => {
    const input = JSON.parse(V.sorting.input) as Record<string, string>;
    // the text itself: a parsed object would list the integer-like key "1" first again
    const expected = `{${V.sorting.keyOrder.map((key) => `${JSON.stringify(key)}:${JSON.stringify(input[key])}`).join(',')}}`;
    expect(canonicalJson(input)).toBe(expected);
  });

  it.each(V.numbers)('Appendix B: the double %s is written %s', (hex, text) => {
    expect(canonicalJson(double(hex))).toBe(text);
  });

  it.each(V.refused)('Appendix B: %s (NaN, ±Infinity) is refused', (hex) => {
    expect(() => canonicalJson(double(hex))).toThrow(/not a JSON number/);
  });

  it('refuses what JSON cannot hold, leaves out undefined members', () => {
    expect(() => canonicalJson('\ud800')).toThrow(/lone surrogate/);
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow(/lone surrogate/);
    expect(() => canonicalJson([undefined])).toThrow(/undefined/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
    expect(canonicalJson({ b: undefined, a: [{}, []] })).toBe('{"a":[{},[]]}');
  });
});

describe('punch leaf', () => {
  it('is SHA-256(0x00 ‖ JCS(punch)), whatever member order or whitespace the punch arrived in', () => {
    const punch = { ...unsequenced(1, 'dev-1', { pin: '00123' }), seq: 1 };
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(punch).reverse()), null, 2)) as unknown;
    expect(punchLeafHash(reordered).equals(punchLeafHash(punch))).toBe(true);
    expect(punchLeafHash(punch).equals(leafHash(Buffer.from(canonicalJson(punch))))).toBe(true);
  });

  it('JCS output parses back to the same value, and is a fixed point', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });
});

/** RFC 8785 written out member by member, as the RFC reads: the reference both paths must match. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).filter((k) => object[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(object[k])}`).join(',')}}`;
}

describe('canonicalJson against the RFC read member by member', () => {
  const indexKeys = fc.dictionary(fc.oneof(fc.nat({ max: 30 }).map(String), fc.constantFrom('a', '10', '9', 'é', '\ud83d\ude00')), fc.jsonValue(), { maxKeys: 8 });
  it('agrees with RFC 8785 on any JSON value, index-like keys, __proto__ and escapes included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), indexKeys, fc.record({ raw: indexKeys, seq: fc.nat() })), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what JCS refuses even where JSON.stringify would not (null for NaN, a lone surrogate escaped)', () => {
    for (const bad of [{ a: Number.NaN }, { a: [1, undefined] }, { a: '\ud800' }, { nested: { b: Number.POSITIVE_INFINITY } }, { f: () => 1 }, { d: 10n }]) {
      expect(() => canonicalJson(bad), JSON.stringify(Object.keys(bad))).toThrow(/JCS/);
    }
  });
});

describe('canonicalJsonAround (a punch serialized before its seq is known)', () => {
  it('open + seq + close is the JCS form of the punch with that seq', () => {
    fc.assert(
      fc.property(fc.nat({ max: 500 }), fc.nat(), (i, seq) => {
        const punch = unsequenced(i);
        const { open, close } = canonicalJsonAround(punch as unknown as Record<string, unknown>, 'seq');
        expect(`${open}${seq}${close}`).toBe(canonicalJson({ ...punch, seq }));
      }),
      { numRuns: 200 },
    );
  });

  it('holds for any object, the key first, last or alone', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 6 }), fc.constantFrom('seq', '', 'zz', 'a'), fc.integer(), (object, key, value) => {
        const { open, close } = canonicalJsonAround(object, key);
        expect(`${open}${value}${close}`).toBe(reference({ ...object, [key]: value }));
      }),
      { numRuns: 300 },
    );
    const { open, close } = canonicalJsonAround({}, 'seq');
    expect(`${open}1${close}`).toBe('{"seq":1}');
  });
});
