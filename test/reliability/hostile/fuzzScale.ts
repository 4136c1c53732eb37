// The case budget of the hostile-input properties, as data: every codec and driver property in
// this folder takes its run count from here, so the total `npm test` runs is one sum (checked by
// budget.test.ts). FUZZ_SCALE multiplies every entry: 1 in `npm test`, 10 in `npm run reliability`;
// the memory and network tests scale their own loops with it and are not counted here.
// Invariants:
// - At FUZZ_SCALE=1 the budget sums to at least MIN_CASES_PER_RUN (issue 8: ≥ 100k per CI run).
// - Entries are cases (fast-check runs), not bytes; a property whose cases are heavier gets fewer
//   (a config case parses a whole file through zod: about 1,000 times a realtime payload).

export const FUZZ_SCALE = Math.max(0.01, Number(process.env.FUZZ_SCALE ?? 1) || 1);

export const MIN_CASES_PER_RUN = 100_000;

export const FUZZ_BUDGET = {
  'zk-tcp mutated fixture packets': 20_000,
  'zk-tcp deframe split invariance': 10_000,
  'zk-tcp fixture frames survive garbage': 10_000,
  'zk-tcp realtime payloads': 20_000,
  'zk-push attlog bodies': 8_000,
  'zk-push mutated quoted bodies': 9_000,
  'zk-push query strings and command results': 6_000,
  'zk-push driver requests': 6_000,
  'zk-push listener URLs': 2_000,
  'serial-line shipped formats': 15_000,
  'serial-line random lines': 8_000,
  'serial-line driver stream': 2_500,
  'config random YAML': 1_500,
  'config random structures': 600,
  'config mutated example': 300,
  'edge generic raw punches': 3_000,
  'edge status updates': 3_000,
  'edge zk-push driver requests': 2_000,
  'edge serial-line driver lines': 1_000,
  'edge zk-tcp driver realtime': 500,
  'edge hikvision push events': 2_000,
  'edge hikvision pull': 2_000,
  'edge zk-soap attlog bodies': 1_500,
  'edge fingerspot scanlog replies': 1_500,
} as const satisfies Record<string, number>;

export type FuzzProperty = keyof typeof FUZZ_BUDGET;

/** fast-check `numRuns` for one property of the budget, scaled. */
export function runsOf(property: FuzzProperty): number {
  return Math.max(1, Math.round(FUZZ_BUDGET[property] * FUZZ_SCALE));
}

export function totalCases(scale = FUZZ_SCALE): number {
  return Object.values(FUZZ_BUDGET).reduce((sum, n) => sum + Math.max(1, Math.round(n * scale)), 0);
}

/** fast-check picks a random seed and prints it on failure; FUZZ_SEED=<seed> replays that run. */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

export function fcOptions(property: FuzzProperty): { numRuns: number; seed?: number } {
  return { numRuns: runsOf(property), ...(FUZZ_SEED !== undefined ? { seed: FUZZ_SEED } : {}) };
}
