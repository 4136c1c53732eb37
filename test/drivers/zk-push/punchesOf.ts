// Read what a gateway committed, from its SQLite file (a second, read-only connection).
import { openBufferFile } from '../../../src/buffer/queries.js';
import type { Punch } from '../../../src/punch/punch.js';

export function punchesOf(file: string, deviceId?: string): Punch[] {
  const db = openBufferFile(file);
  try {
    const rows = db.prepare('SELECT body FROM punches WHERE (? IS NULL OR device_id = ?) ORDER BY seq').all(deviceId ?? null, deviceId ?? null) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as Punch);
  } finally {
    db.close();
  }
}

export function quarantineCount(file: string): number {
  const db = openBufferFile(file);
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM quarantine').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
