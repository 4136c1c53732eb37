// src/log/jcs.ts against RFC 8785's own examples (fixtures/rfc8785-vectors.json, with its source),
// and the punch leaf: any parse of the same punch gives the same leaf hash.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, punchLeafHash } from '../../src/log/jcs.js';
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
