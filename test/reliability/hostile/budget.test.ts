// The case budget of the hostile-input suite (fuzzScale.ts): issue 8 asks for at least 100k
// property cases in every CI-sized run; this fails when the budget falls below that.
import { describe, expect, it } from 'vitest';
import { FUZZ_BUDGET, FUZZ_SCALE, MIN_CASES_PER_RUN, totalCases } from './fuzzScale.js';

describe('hostile-input budget', () => {
  it(`runs at least ${MIN_CASES_PER_RUN.toLocaleString('en')} cases at FUZZ_SCALE=1 (this run: ${totalCases().toLocaleString('en')})`, () => {
    expect(totalCases(1)).toBeGreaterThanOrEqual(MIN_CASES_PER_RUN);
    expect(totalCases()).toBe(Object.values(FUZZ_BUDGET).reduce((sum, n) => sum + Math.max(1, Math.round(n * FUZZ_SCALE)), 0));
  });
});
