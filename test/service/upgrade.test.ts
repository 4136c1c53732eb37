// Upgrade (issue 7): every frozen buffer file, written by an earlier schema version with something
// in every table (bufferFixture.ts), opens under the current code with migrations run forward and
// nothing lost: every punch, each sink's cursor and backlog, dead letters, quarantine, checkpoints.
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedVersions } from '../../src/buffer/database.js';
import { MIGRATIONS } from '../../src/buffer/migrations/index.js';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { punchLeafHash } from '../../src/log/jcs.js';
import type { UnsequencedPunch } from '../../src/punch/normalize.js';
import { unsequenced } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { FIXTURE_DEVICE, FIXTURE_DIR, fixturePaths, type BufferFixtureManifest } from './bufferFixture.js';

const versions = readdirSync(FIXTURE_DIR)
  .map((name) => /^buffer-v(\d+)\.sqlite3$/.exec(name)?.[1])
  .filter((v): v is string => v !== undefined)
  .map(Number)
  .sort((a, b) => a - b);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('absensi-upgrade-');
});
afterEach(() => tmp.cleanup());

it('has a frozen buffer fixture for every released schema version (npx tsx test/service/bufferFixture.ts)', () => {
  for (const migration of MIGRATIONS) expect(existsSync(fixturePaths(migration.version).db), `buffer-v${migration.version}.sqlite3`).toBe(true);
});

describe.each(versions)('a buffer written by schema v%i', (version) => {
  const manifest = JSON.parse(readFileSync(fixturePaths(version).manifest, 'utf8')) as BufferFixtureManifest;

  function open(): SqlitePunchBuffer {
    const file = join(tmp.dir, 'buffer.db');
    copyFileSync(fixturePaths(version).db, file);
    return new SqlitePunchBuffer({ file, sinks: ['mqtt', 'https'], writer: 'inline' });
  }

  it('migrates forward and keeps every punch, cursor, backlog, dead letter, quarantine row and checkpoint', () => {
    const buffer = open();
    try {
      expect(appliedVersions(buffer.database)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
      const ids = (buffer.database.prepare('SELECT id FROM punches ORDER BY seq').all() as { id: string }[]).map((r) => r.id);
      expect(ids).toEqual(manifest.punchIds);
      const stats = buffer.stats();
      expect(stats.headSeq).toBe(manifest.headSeq);
      expect(stats.quarantined).toBe(manifest.quarantined);
      for (const sink of stats.sinks) expect({ ackedSeq: sink.ackedSeq, pending: sink.pending, deadLetters: sink.deadLetters }, sink.sink).toEqual(manifest.sinks[sink.sink]);
      expect(buffer.deadLetters('https').map((d) => d.punchId)).toEqual([manifest.punchIds[10]]);
      expect(buffer.getCheckpoint(FIXTURE_DEVICE, 'attlog')).toEqual(manifest.checkpoint.attlog);
      expect(buffer.pending('mqtt', 100).map((p) => p.id)).toEqual(manifest.punchIds.slice(manifest.sinks.mqtt!.ackedSeq));
      // every punch from seq 1 is still there: the upgrade gives the buffer its punch log, each punch its leaf
      expect(buffer.logProblem).toBeUndefined();
      expect(buffer.log?.head().size).toBe(manifest.headSeq);
      const bodies = buffer.database.prepare('SELECT seq, body FROM punches ORDER BY seq').all() as { seq: number; body: string }[];
      for (const row of bodies) expect(buffer.log?.leafHash(row.seq - 1).equals(punchLeafHash(JSON.parse(row.body))), `leaf of seq ${row.seq}`).toBe(true);
    } finally {
      buffer.close();
    }
  });

  it('recognizes its punches when read again and continues seq after them', async () => {
    const buffer = open();
    try {
      // the same punches as a terminal would deliver them again, taken from the old file itself
      const bodies = buffer.database.prepare('SELECT body FROM punches ORDER BY seq').all() as { body: string }[];
      const punches = bodies.map((row) => {
        const { seq: _seq, ...punch } = JSON.parse(row.body) as UnsequencedPunch & { seq?: number };
        return punch;
      });
      const again = await buffer.commit({ punches });
      expect(again).toMatchObject({ inserted: 0, duplicates: manifest.punchIds.length });
      expect(await buffer.commit({ punches: [unsequenced(10_000, FIXTURE_DEVICE)] })).toMatchObject({ inserted: 1 });
      expect(buffer.headSeq()).toBe(manifest.headSeq + 1);
      expect(buffer.log?.head().size).toBe(manifest.headSeq + 1);
    } finally {
      buffer.close();
    }
  });
});
