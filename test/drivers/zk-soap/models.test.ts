// models.ts rows are data: each names a source and a fixture of that web server, and the fixture
// shows what the row says; a server no row names gets the defaults.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeHttpResponse } from '../../../drivers/zk-soap/codec.js';
import { SOAP_DEFAULT_QUIRKS, SOAP_MODELS, soapQuirksFor } from '../../../drivers/zk-soap/models.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

describe('zk-soap models', () => {
  it.each(SOAP_MODELS.map((row) => [row.fixture, row] as const))('row with fixture %s: source, fixture, and the fixture shows the row', (fixture, row) => {
    expect(existsSync(join(FIXTURES, fixture, 'source.md'))).toBe(true);
    expect(row.source).toMatch(/\S/);
    const bytes = readFileSync(join(FIXTURES, fixture, 'input.http'));
    const http = decodeHttpResponse(bytes);
    const found = soapQuirksFor({ server: http.headers.server });
    expect(found.row).toBe(row);
    expect(http.headers['content-length'] === undefined).toBe(found.quirks.bodyUntilClose);
    expect(bytes.toString('latin1').startsWith(`HTTP/${found.quirks.httpVersion} `)).toBe(true);
  });

  it.each([
    ['ZK Web Server', { unknown: false, quirks: { bodyUntilClose: true, httpVersion: '1.0' } }],
    ['nginx', { unknown: true, quirks: SOAP_DEFAULT_QUIRKS }],
    [undefined, { unknown: true, quirks: SOAP_DEFAULT_QUIRKS }],
  ] as const)('server %s: first match wins, an unknown server gets the defaults', (server, expected) => {
    expect(soapQuirksFor({ server })).toMatchObject(expected);
  });
});
