// models.ts rows are data: each names a source and a /dev/info fixture of that variant, and the
// fixture shows what the row says; a DEVINFO no row matches gets the defaults.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDevInfoReply } from '../../../drivers/fingerspot-easylink/codec.js';
import { FS_DEFAULT_QUIRKS, FS_MODELS, fingerspotQuirksFor } from '../../../drivers/fingerspot-easylink/models.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function devinfoOf(fixture: string): { keys: string[]; text: string } {
  const text = readFileSync(join(FIXTURES, fixture, 'input.json'), 'utf8');
  return { keys: Object.keys((JSON.parse(text) as { DEVINFO: Record<string, unknown> }).DEVINFO), text };
}

describe('fingerspot-easylink models', () => {
  it.each(FS_MODELS.map((row) => [row.fixture, row] as const))('row with fixture %s: source, fixture, and the fixture shows the row', (fixture, row) => {
    expect(existsSync(join(FIXTURES, fixture, 'source.md'))).toBe(true);
    expect(row.source).toMatch(/\S/);
    const { keys, text } = devinfoOf(fixture);
    const found = fingerspotQuirksFor(keys);
    expect(found.row).toBe(row);
    const reply = decodeDevInfoReply(text);
    if (reply.kind !== 'info') throw new Error(`${fixture} is not a DEVINFO reply`);
    expect(reply.deviceTime !== undefined).toBe(found.quirks.clock);
    const names = found.quirks.countNames === 'all-and-new' ? ['All Presensi', 'New Presensi'] : ['Presensi'];
    for (const name of names) expect(keys).toContain(name);
  });

  it.each([
    ['a Revo DEVINFO', ['Jam', 'User', 'All Presensi'], { unknown: false, quirks: { clock: true, countNames: 'all-and-new' } }],
    ['the guide sample', ['Display', 'Algoritma', 'Presensi'], { unknown: false, quirks: { clock: false, countNames: 'plain' } }],
    ['counts only', ['User', 'FP'], { unknown: true, quirks: FS_DEFAULT_QUIRKS }],
  ] as const)('%s: first match wins, an unknown variant gets the defaults', (_what, keys, expected) => {
    expect(fingerspotQuirksFor(keys)).toMatchObject(expected);
  });
});
