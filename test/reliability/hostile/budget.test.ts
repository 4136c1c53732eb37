// The case budget of the hostile-input suite (fuzzScale.ts): issue 8 asks for at least 100k
// property cases in every CI-sized run. Each check here compares the budget with something it does
// not compute itself (issue 16: the old check recomputed the total with the formula it checked):
// - every budget entry is the numRuns of exactly one property in this folder, so no case is
//   counted that does not run, and none runs twice under one name;
// - the entries that do run add up to at least MIN_CASES_PER_RUN at FUZZ_SCALE=1;
// - FUZZ_SCALE multiplies every entry, and never takes a property below one case.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUZZ_BUDGET, FUZZ_SCALE, MIN_CASES_PER_RUN, runsOf, totalCases, type FuzzProperty } from './fuzzScale.js';

const HERE = import.meta.dirname;
const sources = readdirSync(HERE).filter((name) => name.endsWith('.test.ts')).map((name) => readFileSync(join(HERE, name), 'utf8'));
const used = sources.flatMap((text) => [...text.matchAll(/fcOptions\('([^']+)'\)/g)].map((m) => m[1] as string));

describe('hostile-input budget', () => {
  it('every budget entry is the run count of exactly one property of this folder', () => {
    const uses = Object.fromEntries(Object.keys(FUZZ_BUDGET).map((name) => [name, used.filter((u) => u === name).length]));
    expect(uses).toEqual(Object.fromEntries(Object.keys(FUZZ_BUDGET).map((name) => [name, 1])));
  });

  it(`the properties that run add up to at least ${MIN_CASES_PER_RUN.toLocaleString('en')} cases at FUZZ_SCALE=1 (this run: ${totalCases().toLocaleString('en')})`, () => {
    const running = [...new Set(used)].reduce((sum, name) => sum + (FUZZ_BUDGET[name as FuzzProperty] ?? 0), 0);
    expect(running).toBeGreaterThanOrEqual(MIN_CASES_PER_RUN);
    expect(totalCases(1)).toBe(running);
  });

  it('FUZZ_SCALE multiplies every entry and keeps each property at one case at least', () => {
    expect(totalCases(10)).toBe(10 * totalCases(1));
    expect(totalCases(1e-9)).toBe(Object.keys(FUZZ_BUDGET).length);
    if (process.env.FUZZ_SCALE === undefined) {
      expect(FUZZ_SCALE).toBe(1);
      expect(runsOf('zk-tcp realtime payloads')).toBe(FUZZ_BUDGET['zk-tcp realtime payloads']);
    }
  });
});
