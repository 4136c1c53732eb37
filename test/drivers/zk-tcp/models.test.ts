// models.ts rows are data: each names a source and a fixture that exists; unknown models get defaults.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUIRKS, MODELS, quirksFor } from '../../../drivers/zk-tcp/models.js';
import { FIXTURE_DIR } from './cases.js';

describe('zk-tcp models', () => {
  it.each(MODELS.map((row) => [row.fixture, row] as const))('row with fixture %s has its fixture and a source', (fixture, row) => {
    expect(existsSync(join(FIXTURE_DIR, fixture, 'source.md'))).toBe(true);
    expect(row.source).toMatch(/\S/);
  });

  it('first match wins and unknown models get the defaults', () => {
    expect(quirksFor({ platform: 'ZEM500' })).toMatchObject({ unknown: false, quirks: { recordSize: 8 } });
    expect(quirksFor({ platform: 'ZEM600_TFT', firmware: 'Ver 6.60 Aug 23 2014' }).quirks.realtimeSize).toBe(32);
    expect(quirksFor({ platform: 'ZLM60_TFT' })).toEqual({ quirks: DEFAULT_QUIRKS, unknown: true });
  });
});
