import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/util/backoff.js';

const fixed = (value: number) => () => value;

describe('backoffDelayMs', () => {
  it.each([
    // attempt, random, expected (defaults: base 1000, max 300000)
    [0, 0.999999, 1000],
    [0, 0.5, 500],
    [1, 0.5, 1000],
    [2, 0.5, 2000],
    [3, 0.25, 2000],
    [8, 0.999999, 256_000],
    [9, 0.999999, 300_000],
    [50, 0.5, 150_000],
    [10_000, 0.999999, 300_000],
  ])('attempt %i with random %f → %i ms', (attempt, r, expected) => {
    expect(backoffDelayMs(attempt, { random: fixed(r) })).toBe(expected);
  });

  it('is at least 1 ms when random() returns 0 (mqtt.js treats 0 as "never reconnect")', () => {
    expect(backoffDelayMs(0, { random: fixed(0) })).toBe(1);
    expect(backoffDelayMs(5, { random: fixed(0), baseMs: 10 })).toBe(1);
  });

  it('honours baseMs and maxMs', () => {
    expect(backoffDelayMs(0, { baseMs: 200, random: fixed(0.999999) })).toBe(200);
    expect(backoffDelayMs(4, { baseMs: 200, random: fixed(0.999999) })).toBe(3200);
    expect(backoffDelayMs(4, { baseMs: 200, maxMs: 1000, random: fixed(0.999999) })).toBe(1000);
  });

  it('returns 0 when the ceiling is below 1 ms', () => {
    expect(backoffDelayMs(3, { baseMs: 0 })).toBe(0);
    expect(backoffDelayMs(3, { maxMs: 0 })).toBe(0);
  });

  it.each([
    ['negative attempt', -3, 1000],
    ['fractional attempt', 1.7, 2000],
    ['NaN attempt', Number.NaN, 1000],
    ['infinite attempt', Number.POSITIVE_INFINITY, 300_000],
  ])('clamps a %s', (_name, attempt, ceiling) => {
    expect(backoffDelayMs(attempt, { random: fixed(0.999999) })).toBe(ceiling);
  });

  it('ignores nonsense options and random values instead of throwing', () => {
    expect(backoffDelayMs(0, { baseMs: -5, maxMs: Number.NaN, random: fixed(0.999999) })).toBe(1000);
    expect(backoffDelayMs(0, { random: fixed(7) })).toBe(1000);
    expect(backoffDelayMs(0, { random: fixed(Number.NaN) })).toBe(1);
  });

  it('stays within (0, ceiling] for the real Math.random', () => {
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const ceiling = Math.min(300_000, 1000 * 2 ** attempt);
      for (let i = 0; i < 50; i += 1) {
        const delay = backoffDelayMs(attempt);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(1);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});
