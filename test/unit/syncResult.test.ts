// src/devices/syncResult.ts: the counts every pull driver keeps, and what `pull` prints from them.
import { describe, expect, it } from 'vitest';
import { backfillResultOf, countCommitted, emptySyncResult } from '../../src/devices/syncResult.js';

describe('SyncResult', () => {
  it('adds each emitMany: the punches handed over and what the buffer answered (quarantined in neither)', () => {
    const r = emptySyncResult();
    countCommitted(r, 5, { inserted: 3, duplicates: 1, quarantined: 1 });
    countCommitted(r, 2, { inserted: 0, duplicates: 2, quarantined: 0 });
    expect(r).toEqual({ emitted: 7, inserted: 3, duplicates: 3, skipped: 0, rejected: 0 });
  });

  it.each([
    ['without extras', {}, { records: 9, inserted: 3, duplicates: 3, skipped: 1, rejected: 2 }],
    ['with serial and ignored events', { serial: 'SN1', ignored: 4 }, { records: 9, inserted: 3, duplicates: 3, skipped: 1, rejected: 2, serial: 'SN1', ignored: 4 }],
  ] as const)('gives pull the same counts, %s', (_what, extra, expected) => {
    const r = { emitted: 6, inserted: 3, duplicates: 3, skipped: 1, rejected: 2, rows: 9 };
    expect(backfillResultOf(r, r.rows, extra)).toEqual(expected);
  });
});
