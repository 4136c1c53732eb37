// Imports punch log files (USB-flashdisk `*_attlog.dat` exports, saved serial-line logs) into the
// buffer through a device's DriverContext, like the device's own driver would emit them. Used by the
// drop folder (dropFolder.ts) and by `absensi-gateway import` (logImport.ts, src/cli/import.ts).
// Invariants:
// - Every line is decoded with the serial-line codec (codec.ts), as the driver decodes a port's lines;
//   a line that does not decode is rejected with its file and line number, never dropped silently,
//   and never stops the import.
// - Punches commit in batches through ctx.emitMany; ids make a second import of the same file add
//   nothing (every punch counts as a duplicate).
// - With `dryRun`, nothing is committed: the summary says what would be imported.
// - Lines are streamed: memory stays flat whatever the file size (one batch committing while the
//   next is read and decoded).
// - An imported punch carries no `device.address` (RawPunch.address null): it was read from a file,
//   not from the terminal, and nothing in the file proves which terminal address wrote it; the
//   device's configured host or port path would be untrue. `raw.source: 'import'` and `raw.file`
//   say where it was read.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DriverContext } from '../../src/devices/driver.js';
import type { ImportRejection, ImportSummary } from '../../src/devices/facets.js';
import type { RawPunch } from '../../src/punch/punch.js';
import { DecodeError, errorMessage } from '../../src/util/errors.js';
import { decodeLine, trimControl, type LineFormat } from './codec.js';

export interface ImportOptions {
  files: string[];
  format: LineFormat;
  ctx: Pick<DriverContext, 'emitMany' | 'signal'>;
  /** IANA zone of the terminal clock */
  zone: string;
  cardMap?: ReadonlyMap<string, string>;
  unknownCard?: 'use-card' | 'reject';
  dryRun?: boolean;
  batchSize?: number;
  keepRejections?: number;
  /** bytes read so far of all files, and their total */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** A file, or the punch log files in a directory (sorted): `*attlog*.dat` for ZK exports, else .dat/.txt/.log. */
export function importFilesOf(target: string, formatName: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  const wanted = formatName === 'zk-attlog' ? /attlog.*\.dat$/i : /\.(dat|txt|log)$/i;
  return readdirSync(target)
    .filter((name) => !name.startsWith('.') && wanted.test(name))
    .sort()
    .map((name) => join(target, name))
    .filter((file) => statSync(file).isFile());
}

export async function importLines(o: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { files: o.files, lines: 0, punches: 0, inserted: 0, duplicates: 0, quarantined: 0, rejectedCount: 0, rejected: [], samples: [] };
  const totalBytes = o.files.reduce((sum, f) => sum + statSync(f).size, 0);
  let doneBefore = 0;
  for (const file of o.files) {
    await importOne(file, o, summary, (bytes) => o.onProgress?.(doneBefore + bytes, totalBytes));
    doneBefore += statSync(file).size;
    o.onProgress?.(doneBefore, totalBytes);
  }
  return summary;
}

async function importOne(file: string, o: ImportOptions, summary: ImportSummary, progress: (bytes: number) => void): Promise<void> {
  const batchSize = o.batchSize ?? 5000;
  const keep = o.keepRejections ?? 50;
  const stream = createReadStream(file);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let batch: RawPunch[] = [];
  let lineNo = 0;
  // one batch committing while the next is read and decoded: memory stays at two batches
  let committing: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const raws = batch;
    batch = [];
    progress(stream.bytesRead);
    if (o.dryRun) return;
    await committing;
    committing = o.ctx.emitMany(raws).then((result) => {
      summary.inserted += result.inserted;
      summary.duplicates += result.duplicates;
      summary.quarantined += result.quarantined;
    });
  };
  for await (const text of lines) {
    lineNo += 1;
    const line = trimControl(text);
    if (line === '') continue;
    summary.lines += 1;
    try {
      const raw = decodeLine(line, o.format, { zone: o.zone, nowMs: Date.now(), cardMap: o.cardMap, unknownCard: o.unknownCard });
      raw.raw = { ...raw.raw, source: 'import', file: basename(file), lineNo };
      raw.address = null;
      batch.push(raw);
      summary.punches += 1;
      if (summary.samples.length < 5) summary.samples.push(raw);
    } catch (error) {
      summary.rejectedCount += 1;
      const reason = error instanceof DecodeError ? error.code : 'line-undecodable';
      if (summary.rejected.length < keep) summary.rejected.push({ file, line: lineNo, reason, detail: `${errorMessage(error)}: ${JSON.stringify(line.slice(0, 80))}` });
    }
    if (batch.length >= batchSize) await flush();
    if (o.ctx.signal.aborted) break;
  }
  await flush();
  await committing;
}
