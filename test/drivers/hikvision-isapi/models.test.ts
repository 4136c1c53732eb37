// models.ts rows are data: each names a source and a fixture of that model, and the fixture shows
// what the row says; a model no row names gets the defaults.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDeviceInfo, decodePushBody } from '../../../drivers/hikvision-isapi/codec.js';
import { HIK_DEFAULT_QUIRKS, HIK_MODELS, hikQuirksFor } from '../../../drivers/hikvision-isapi/models.js';
import { ruleMatches } from '../../../src/devices/modelRows.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** What a fixture says of its terminal: the model it names and, for a push, the body's shape. */
function observed(fixture: string): { model?: string; pushBody?: 'json' | 'multipart' } {
  const dir = join(FIXTURES, fixture);
  if (existsSync(join(dir, 'input.xml'))) return { model: decodeDeviceInfo(readFileSync(join(dir, 'input.xml'), 'utf8')).model };
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { contentType: string };
  const input = existsSync(join(dir, 'input.json')) ? join(dir, 'input.json') : join(dir, 'input.bin');
  const bytes = readFileSync(input);
  expect(decodePushBody(bytes, expected.contentType).eventType).toBe('AccessControllerEvent');
  const pushBody = /multipart\//i.test(expected.contentType) ? 'multipart' : 'json';
  const json = pushBody === 'json' ? (JSON.parse(bytes.toString('utf8')) as { AccessControllerEvent?: { deviceName?: string } }) : undefined;
  return { model: json?.AccessControllerEvent?.deviceName, pushBody };
}

describe('hikvision-isapi models', () => {
  it.each(HIK_MODELS.map((row) => [row.fixture, row] as const))('row with fixture %s: source, fixture, and the fixture shows the row', (fixture, row) => {
    expect(existsSync(join(FIXTURES, fixture, 'source.md'))).toBe(true);
    expect(row.source).toMatch(/\S/);
    const seen = observed(fixture);
    expect(ruleMatches(row.match.model, seen.model)).toBe(true);
    if (seen.pushBody) expect(hikQuirksFor({ model: seen.model }).quirks.pushBody).toBe(seen.pushBody);
  });

  it.each([
    ['DS-K1T502DBFWX-C', { unknown: false, quirks: { pushBody: 'json' } }],
    ['DS-K1T341AM', { unknown: false, quirks: HIK_DEFAULT_QUIRKS }],
    ['DS-K1T671M', { unknown: true, quirks: HIK_DEFAULT_QUIRKS }],
    [undefined, { unknown: true, quirks: HIK_DEFAULT_QUIRKS }],
  ] as const)('model %s: first match wins, an unknown model gets the defaults', (model, expected) => {
    expect(hikQuirksFor({ model })).toMatchObject(expected);
  });
});
