// Known terminal models and firmware variants with their quirks, as data (STYLE.md "Device
// knowledge as data"): the row shape and the lookup every driver's models.ts shares.
// Invariants:
// - Rows are tried in order; the first whose every `match` key matches wins. A terminal that no row
//   matches gets the defaults and `unknown: true`, never an error.
// - A rule is an exact string or number, or a pattern for text. A list value (the keys a reply
//   carries, say) matches when one of its elements does. A key the terminal did not report
//   matches no rule.
// - Every row names its public source and a fixture directory under test/drivers/<family>/fixtures/
//   holding bytes of that kind of terminal; each family's models test fails for a row whose fixture
//   is missing or does not show the quirk.

export type MatchRule = string | number | RegExp;
export type MatchValue = string | number | readonly string[] | undefined;

export interface ModelRow<K extends string, Q> {
  match: Partial<Record<K, MatchRule>>;
  quirks: Partial<Q>;
  source: string;
  /** fixture directory under test/drivers/<family>/fixtures/ */
  fixture: string;
}

export interface ModelResult<K extends string, Q> {
  quirks: Q;
  row?: ModelRow<K, Q>;
  /** true when no row matched and the defaults apply */
  unknown: boolean;
}

function matchesOne(rule: MatchRule, value: string | number): boolean {
  if (rule instanceof RegExp) return typeof value === 'string' && rule.test(value);
  return rule === value;
}

export function ruleMatches(rule: MatchRule | undefined, value: MatchValue): boolean {
  if (rule === undefined) return true;
  if (value === undefined) return false;
  if (typeof value === 'string' || typeof value === 'number') return matchesOne(rule, value);
  return value.some((element) => matchesOne(rule, element));
}

/** The first row whose every rule matches what the terminal reported, its quirks over the defaults. */
export function lookUpModel<K extends string, Q extends object>(rows: readonly ModelRow<K, Q>[], defaults: Q, device: Partial<Record<K, MatchValue>>): ModelResult<K, Q> {
  const row = rows.find((r) => (Object.keys(r.match) as K[]).every((key) => ruleMatches(r.match[key], device[key])));
  if (!row) return { quirks: { ...defaults }, unknown: true };
  return { quirks: { ...defaults, ...row.quirks }, row, unknown: false };
}
