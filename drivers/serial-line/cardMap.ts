// The card-number → PIN table for readers that only send card numbers (`cardMapFile`, a CSV).
// Invariants:
// - Pure parse: `card,pin` per line; `;` or tab also separate; a first line whose card column is
//   not a number is a header; `#` starts a comment line; blank lines are skipped.
// - Card numbers of digits only are compared as 10-digit zero-padded decimals, the form the codec
//   produces (cardNumber), so "12345678" and "0012345678" are the same card.
// - A malformed line or a card given twice is an error naming its line number: a wrong table would
//   credit punches to the wrong person, so the device does not start on one.
import { readFileSync } from 'node:fs';
import { normalizeCard } from './codec.js';

export function parseCardMap(text: string, source = 'card map'): Map<string, string> {
  const map = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    const [card, pin] = cells;
    if (index === 0 && card !== undefined && !/^[0-9A-Fa-f]+$/.test(card)) return; // header
    if (!card || !pin) throw new Error(`${source} line ${index + 1}: expected "card,pin", got "${line.slice(0, 80)}"`);
    const key = normalizeCard(card);
    if (map.has(key)) throw new Error(`${source} line ${index + 1}: card ${key} is listed twice`);
    map.set(key, pin);
  });
  return map;
}

export function readCardMap(file: string): Map<string, string> {
  return parseCardMap(readFileSync(file, 'utf8'), file);
}
