// Frozen buffer files for the upgrade test (issue 7 "Upgrade"): one SQLite file per released
// buffer schema version, written by the code of that version and never regenerated, with a
// manifest of what it holds. When a migration is added, run this once on the release that has it:
//   npx tsx test/service/bufferFixture.ts
// It writes test/service/fixtures/buffer-v<latest>.sqlite3 (+ .json) and refuses to overwrite one.
// Contents: 50 punches of one device, mqtt acked up to 30, https acked 10 and one dead letter,
// a checkpoint, a quarantined punch and (v4 on) a seen remote command — a buffer with something in
// every table.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/buffer/migrations/index.js';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { unsequenced } from '../helpers/punches.js';

export const FIXTURE_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
export const FIXTURE_DEVICE = 'lobby-1';

export interface BufferFixtureManifest {
  schemaVersion: number;
  /** every punch id, in seq order */
  punchIds: string[];
  headSeq: number;
  quarantined: number;
  sinks: Record<string, { ackedSeq: number; pending: number; deadLetters: number }>;
  checkpoint: Record<string, unknown>;
}

export function fixturePaths(version: number): { db: string; manifest: string } {
  return { db: join(FIXTURE_DIR, `buffer-v${version}.sqlite3`), manifest: join(FIXTURE_DIR, `buffer-v${version}.json`) };
}

/** Writes a buffer with the current code into `file` and returns what it holds. */
export async function writeBufferFixture(file: string): Promise<BufferFixtureManifest> {
  rmSync(file, { force: true });
  const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt', 'https'], writer: 'inline' });
  const punches = Array.from({ length: 50 }, (_, i) => unsequenced(i, FIXTURE_DEVICE));
  const checkpoint = { attlog: { recordSize: 40, count: 40, lastTime: '2026-01-01T06:00:39' } };
  await buffer.commit({ punches: punches.slice(0, 40), checkpoint: { deviceId: FIXTURE_DEVICE, values: checkpoint } });
  await buffer.commit({ punches: punches.slice(40), quarantined: [{ id: 'q'.repeat(32), deviceId: FIXTURE_DEVICE, reason: 'before-min-year', body: { localTime: '1999-12-31T23:59:59' } }] });
  buffer.ack('mqtt', buffer.pending('mqtt', 30).map((p) => p.id));
  const https = buffer.pending('https', 11);
  buffer.ack('https', https.slice(0, 10).map((p) => p.id));
  buffer.deadLetter('https', [{ id: https[10]!.id, reason: 'HTTP 422: fixture' }]);
  buffer.persistCursors();
  // v4: a remote command accepted (expiring far ahead, so an upgrade keeps refusing its replay)
  buffer.database.prepare("INSERT INTO seen_commands (id, expires_at_ms, accepted_at) VALUES (?, ?, '2026-01-01T00:00:00.000Z')").run('c'.repeat(32), Date.parse('2100-01-01T00:00:00Z'));
  await buffer.drain();
  const stats = buffer.stats();
  const ids = (buffer.database.prepare('SELECT id FROM punches ORDER BY seq').all() as { id: string }[]).map((r) => r.id);
  buffer.close();
  const db = new Database(file);
  db.pragma('journal_mode = DELETE'); // one self-contained file, no -wal beside it
  db.close();
  return {
    schemaVersion: Math.max(...MIGRATIONS.map((m) => m.version)),
    punchIds: ids,
    headSeq: stats.headSeq,
    quarantined: stats.quarantined,
    sinks: Object.fromEntries(stats.sinks.map((s) => [s.sink, { ackedSeq: s.ackedSeq, pending: s.pending, deadLetters: s.deadLetters }])),
    checkpoint,
  };
}

async function main(): Promise<void> {
  const version = Math.max(...MIGRATIONS.map((m) => m.version));
  const paths = fixturePaths(version);
  if (existsSync(paths.db)) throw new Error(`${paths.db} exists: fixtures are frozen, never regenerated`);
  const manifest = await writeBufferFixture(paths.db);
  writeFileSync(paths.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${paths.db}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
