// spreadBackoffMs (src/util/backoff.ts): the drivers' reconnect delay, ±20 % around an exponential
// ceiling, table-driven with an injected random.
import { describe, expect, it } from 'vitest';
import { spreadBackoffMs } from '../../src/util/backoff.js';

const fixed = (r: number) => () => r;

describe('spreadBackoffMs', () => {
  it.each([
    // attempt, minMs, maxMs, random, expected
    [0, 1000, 60_000, 0.5, 1000],
    [0, 1000, 60_000, 0, 800],
    [0, 1000, 60_000, 0.999999, 1200],
    [3, 1000, 60_000, 0.5, 8000],
    [6, 1000, 60_000, 0.5, 60_000], // 64 s capped at maxMs
    [6, 1000, 60_000, 0.999999, 72_000], // the spread may go 20 % past maxMs
    [100, 10, 100, 0, 80], // huge attempts: the exponent stops, the cap holds
    [1, 10, 100, 0.25, 18],
  ])('attempt %i of %i…%i ms with random %f waits %i ms', (attempt, minMs, maxMs, r, expected) => {
    expect(spreadBackoffMs(attempt, { minMs, maxMs, random: fixed(r) })).toBe(expected);
  });

  it('stays within ±20 % of the ceiling with Math.random', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const ceiling = Math.min(60_000, 1000 * 2 ** attempt);
      const delay = spreadBackoffMs(attempt, { minMs: 1000, maxMs: 60_000 });
      expect(delay).toBeGreaterThanOrEqual(Math.round(ceiling * 0.8));
      expect(delay).toBeLessThanOrEqual(Math.round(ceiling * 1.2));
    }
  });
});
