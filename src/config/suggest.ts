// "Did you mean …?" for a misspelt config key or driver name.
// Invariants:
// - A suggestion is a known name within edit distance 2 of the word (letter case ignored), the
//   closest one, the first listed on a tie; none when nothing is that close, or the word is known.
// - Pure: no schema knowledge here (schema.ts says which names are known at a path).

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export const MAX_SUGGESTION_DISTANCE = 2;

/** The known name `word` most likely stands for, or undefined. */
export function closestName(word: string, known: readonly string[]): string | undefined {
  if (known.includes(word)) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= MAX_SUGGESTION_DISTANCE && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
