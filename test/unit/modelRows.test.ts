// src/devices/modelRows.ts: the rule semantics every driver's models.ts relies on.
import { describe, expect, it } from 'vitest';
import { lookUpModel, ruleMatches, type ModelRow } from '../../src/devices/modelRows.js';

describe('ruleMatches', () => {
  it.each([
    ['no rule', undefined, 'anything', true],
    ['an exact string', 'ZK Web Server', 'ZK Web Server', true],
    ['an exact string, another value', 'ZK Web Server', 'ZK Web Server 2', false],
    ['a pattern', /^ZEM500/, 'ZEM500_TFT', true],
    ['a pattern against a number', /^8/, 8, false],
    ['a number', 40, 40, true],
    ['a number against its text', 40, '40', false],
    ['a value not reported', 'x', undefined, false],
    ['a list with a match', 'Jam', ['User', 'Jam'], true],
    ['a list without', /^All /, ['User', 'Presensi'], false],
  ] as const)('%s', (_what, rule, value, expected) => {
    expect(ruleMatches(rule, value)).toBe(expected);
  });
});

describe('lookUpModel', () => {
  type Q = { a: number; b: string };
  const rows: ModelRow<'platform' | 'size', Q>[] = [
    { match: { platform: /^X/, size: 8 }, quirks: { a: 1 }, source: 's1', fixture: 'f1' },
    { match: { platform: /^X/ }, quirks: { b: 'x' }, source: 's2', fixture: 'f2' },
  ];
  const defaults: Q = { a: 0, b: '' };

  it('takes the first row whose every key matches, its quirks over the defaults', () => {
    expect(lookUpModel(rows, defaults, { platform: 'X1', size: 8 })).toEqual({ quirks: { a: 1, b: '' }, row: rows[0], unknown: false });
    expect(lookUpModel(rows, defaults, { platform: 'X1', size: 16 })).toEqual({ quirks: { a: 0, b: 'x' }, row: rows[1], unknown: false });
  });

  it('gives a copy of the defaults when no row matches', () => {
    const found = lookUpModel(rows, defaults, { platform: 'Y' });
    expect(found).toEqual({ quirks: defaults, unknown: true });
    expect(found.quirks).not.toBe(defaults);
  });
});
