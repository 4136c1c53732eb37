// Fixture cases of the EasyLink codec: fixtures/<decoder>-<case>_<source>/{input.json, expected.json | error.txt, source.md}.
// The decoder is the name's first word: scanlog, devinfo, settime, userpage (/user/all/paging) or
// userset (/user/set and /user/del replies).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { decodeUserPage } from '../../../drivers/fingerspot-easylink/userCodec.js';
import { DEFAULT_TABLES, decodeDevInfoReply, decodeResultReply, decodeScanlogReply, toRawPunch } from '../../../drivers/fingerspot-easylink/codec.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

export interface FixtureCase {
  name: string;
  input: string;
  expected?: unknown;
  error?: string;
}

export function loadCases(): FixtureCase[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(FIXTURES, d.name);
      const read = (file: string): string | undefined => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : undefined);
      const expected = read('expected.json');
      const error = read('error.txt');
      return { name: d.name, input: read('input.json') ?? '', ...(expected ? { expected: JSON.parse(expected) as unknown } : {}), ...(error ? { error: error.trim() } : {}) };
    });
}

/** What a fixture decodes to, in the compact form expected.json holds. */
export function decodeCase(name: string, input: string): unknown {
  const decoder = name.split('-')[0];
  if (decoder === 'devinfo') {
    const reply = decodeDevInfoReply(input);
    return reply.kind === 'info' ? { kind: reply.kind, counts: reply.counts, deviceTime: reply.deviceTime ?? null, variant: reply.variant } : reply;
  }
  if (decoder === 'settime' || decoder === 'userset') return decodeResultReply(input);
  if (decoder === 'userpage') {
    const reply = decodeUserPage(input);
    if (reply.kind !== 'users') return reply;
    return {
      kind: reply.kind, isSession: reply.isSession ?? null, errors: reply.errors.length,
      users: reply.users.map(({ user, templates }) => ({
        ...user,
        templates: templates.map((t) => ({ kind: t.kind, index: t.index, algorithm: t.algorithm, valid: t.valid, bytes: t.data.length, sha256: createHash('sha256').update(t.data).digest('hex') })),
      })),
    };
  }
  const reply = decodeScanlogReply(input);
  if (reply.kind !== 'rows') return reply;
  return {
    kind: reply.kind,
    isSession: reply.isSession ?? null,
    rows: reply.rows.map(({ fields: _fields, ...row }) => row),
    errors: reply.errors.map(({ index, message }) => ({ index, message })),
    punches: reply.rows.map((row) => {
      const { raw: _raw, ...punch } = toRawPunch(row, DEFAULT_TABLES, 'new');
      return punch;
    }),
  };
}
