// `npm run bench:writer`: the buffer's write transaction on its own, against the raw insert of the
// ingest row (test/bench/run.ts). The same 50,000 punches, normalized and packed beforehand as the
// main thread packs them, go through `writeBatches` (punch log on) in 2,000-punch transactions on
// one connection; the raw side inserts the same rows 1,000 a transaction on a bare better-sqlite3
// connection, same schema and pragmas. Seven pairs on fresh files, which side goes first
// alternating; the median of the pair ratios (above 1: the writer is faster than the raw insert).
// BENCH_WRITER_CHECKPOINT_PAGES sets the writer connection's WAL checkpoint interval (default the
// shipped WAL_CHECKPOINT_PAGES; 1000 is SQLite's default). Not a test: read the ratio.
import { join } from 'node:path';
import { openDatabase, WAL_CHECKPOINT_PAGES } from '../../src/buffer/database.js';
import { LogAppender } from '../../src/buffer/logStore.js';
import { createStatements } from '../../src/buffer/statements.js';
import { joinPacked, PunchPacker, writeBatches, type PackedPunches } from '../../src/buffer/writeBatches.js';
import { normalizePunch, type UnsequencedPunch, type SerializedPunch } from '../../src/punch/normalize.js';
import { flat } from '../../src/log/jcs.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { rawInsertMs, storedRow } from './rawInsert.js';

const N = Number(process.env.BENCH_PUNCHES ?? 50_000);
const PAIRS = 7;
const PER_WRITE = 2000;
const PER_COMMIT = 500;
const RAW_BURST = 1000;
const CHECKPOINT_PAGES = Number(process.env.BENCH_WRITER_CHECKPOINT_PAGES ?? WAL_CHECKPOINT_PAGES);

const receivedAt = new Date().toISOString();
const ctx = { gateway: 'gw-bench', site: 'BENCH', device: { id: 'bench-1', serial: 'SN-BENCH', protocol: 'bench' }, zone: 'Asia/Jakarta', clockSkewSec: null, nowMs: Date.now(), receivedAt, minYear: 2000, maxFutureMs: 86_400_000 * 3650 };
const normalized = Array.from({ length: N }, (_, i) => {
  const outcome = normalizePunch(rawPunch(i, { pin: String(10_000 + i) }), ctx);
  if (outcome.kind !== 'ok') throw new Error(`bench punch ${i} did not normalize`);
  return outcome;
}) as { punch: UnsequencedPunch; json: SerializedPunch }[];

/** The writes the buffer would post: commits of 500 packed with their expected seqs, joined 2,000 a write. */
function packedWrites(): PackedPunches[] {
  const writes: PackedPunches[] = [];
  for (let first = 0; first < N; first += PER_WRITE) {
    const commits: PackedPunches[] = [];
    for (let at = first; at < Math.min(N, first + PER_WRITE); at += PER_COMMIT) {
      const slice = normalized.slice(at, Math.min(N, at + PER_COMMIT));
      const packer = new PunchPacker(slice.length, at + 1);
      for (const { punch: p, json } of slice) packer.add({ id: p.id, deviceId: p.device.id, pin: p.pin, utc: p.utc, receivedAt: p.receivedAt, open: json.open, close: json.close });
      commits.push(packer.packed());
    }
    // flat, as posting it to the writer thread leaves it (the packer builds a rope)
    const joined = joinPacked(commits);
    writes.push({ ...joined, text: flat(joined.text) });
  }
  return writes;
}

function writerMs(file: string): number {
  const db = openDatabase(file, { checkpointPages: CHECKPOINT_PAGES });
  const sql = createStatements(db);
  const log = LogAppender.open(db);
  const writes = packedWrites();
  const started = performance.now();
  writes.forEach((punches, k) => writeBatches(db, sql, { punches, batches: [{ punches: punches.seqAt.length, firstSeq: k * PER_WRITE + 1, quarantined: [] }] }, receivedAt, log));
  const ms = performance.now() - started;
  db.close();
  return ms;
}

const rows = normalized.map(({ punch, json }, i) => storedRow(punch, json, i + 1));

function rawMs(file: string): number {
  return rawInsertMs(file, rows, RAW_BURST);
}

const tmp = tempDir('absensi-bench-writer-');
try {
  const ratios: number[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    const writer = (): number => writerMs(join(tmp.dir, `writer-${pair}.db`));
    const raw = (): number => rawMs(join(tmp.dir, `raw-${pair}.db`));
    let w: number;
    let r: number;
    if (pair % 2 === 0) {
      w = writer();
      r = raw();
    } else {
      r = raw();
      w = writer();
    }
    ratios.push(r / w);
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  process.stdout.write(`writer alone (${N.toLocaleString('en')} punches, ${PER_WRITE} a transaction, log on, checkpoint every ${CHECKPOINT_PAGES} WAL pages) vs raw batched insert (${RAW_BURST} a transaction):\n`);
  process.stdout.write(`  speed ratio ${sorted[Math.floor(PAIRS / 2)]?.toFixed(2)} median of ${PAIRS} pairs (${ratios.map((x) => x.toFixed(2)).join(' ')}); above 1: the writer is faster\n`);
} finally {
  tmp.cleanup();
}
