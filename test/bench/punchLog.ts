// `npm run bench:log`: what the punch log costs (issue: "signed punch log").
// 1. Ingest with the log on and off, in one run: the same punches through a real DriverContext
//    into a buffer with the log (the default schema) and one without (the schema before it),
//    alternating, BENCH_LOG_ROUNDS times each; the ratio of the medians, and the median of each
//    round's on/off pair, which run seconds apart and so share the machine's noise (goal ≥ 0.9).
// 2. Bytes per punch the log adds: pages of the two files after the same punches.
// 3. Proof times from the buffer's store at 10,000 and 1,000,000 leaves (goal < 20 ms): inclusion
//    of a random leaf in the head, consistency from a random size to the head, and a root at a
//    random size; and what an HTTPS batch pays for its checkpoint when one must be signed for it
//    (500 leaves appended, then head, consistency proof to the last signed, Ed25519). The large tree's nodes are built from synthetic leaves appended straight to
//    the log store (committing a million punches only to time proofs would take minutes; the
//    store reads nodes, never punches, to answer).
// Not a test: timings on a shared 2-core machine are noisy; read the ratios and medians.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { LogAppender, type SqlitePunchLog } from '../../src/buffer/logStore.js';
import { MIGRATIONS, MIGRATIONS_WITHOUT_LOG } from '../../src/buffer/migrations/index.js';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { logKeyName } from '../../src/log/checkpoint.js';
import { Checkpointer } from '../../src/log/checkpointer.js';
import { verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';
import { ed25519Signer } from '../../src/log/note.js';
import { silentLogger } from '../../src/util/logger.js';
import { bufferContext } from '../helpers/bufferContext.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';

const N = Number(process.env.BENCH_PUNCHES ?? 20_000);
const ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 7);
const PROOF_SIZES = (process.env.BENCH_LOG_SIZES ?? '10000,1000000').split(',').map(Number);
const PROOFS = 500;
const BURST = 1000;
const PRODUCERS = 4;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] as number;

async function ingest(file: string, withLog: boolean): Promise<{ rate: number; bytes: number }> {
  const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], migrations: withLog ? MIGRATIONS : MIGRATIONS_WITHOUT_LOG });
  const { ctx } = bufferContext(buffer, { device: { id: 'bench-1', driver: 'bench', serial: 'SN-BENCH' }, gateway: { id: 'gw-bench', site: 'BENCH' } });
  const raws = Array.from({ length: N }, (_, i) => rawPunch(i, { pin: String(10_000 + i) }));
  const started = performance.now();
  const producer = async (first: number): Promise<void> => {
    for (let i = first; i < N; i += BURST * PRODUCERS) await Promise.all(raws.slice(i, i + BURST).map((raw) => ctx.emit(raw)));
  };
  await Promise.all(Array.from({ length: PRODUCERS }, (_, k) => producer(k * BURST)));
  const ms = performance.now() - started;
  if (withLog && buffer.log?.head().size !== N) throw new Error(`the log has ${buffer.log?.head().size} leaves, not ${N}`);
  buffer.database.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = (buffer.database.pragma('page_count', { simple: true }) as number) * (buffer.database.pragma('page_size', { simple: true }) as number);
  buffer.close();
  return { rate: (N / ms) * 1000, bytes };
}

const signer = ed25519Signer(logKeyName('BENCH', 'gw-bench'), generateKeyPairSync('ed25519').privateKey);

/** What every HTTPS batch pays when the latest checkpoint is older than it: one signed on demand over the store. */
function checkpointOnDemand(log: SqlitePunchLog, append: (leaves: number) => void): number[] {
  const checkpointer = new Checkpointer({ log, signer, intervalMs: 3_600_000, publish: () => undefined, logger: silentLogger() });
  checkpointer.start();
  const times: number[] = [];
  for (let round = 0; round < 100; round++) {
    append(500);
    const head = log.head().size;
    const t = performance.now();
    const checkpoint = checkpointer.covering(head);
    times.push(performance.now() - t);
    if (checkpoint?.size !== head) throw new Error('the checkpoint does not cover the batch');
  }
  void checkpointer.stop();
  return times;
}

function proofTimes(dir: string, size: number): string[] {
  const buffer = new SqlitePunchBuffer({ file: join(dir, `proofs-${size}.db`), sinks: ['mqtt'], writer: 'inline' });
  const db = buffer.database;
  const appender = LogAppender.open(db);
  if (!appender) throw new Error('no log');
  const leaves: Buffer[] = [];
  let leafCount = 0;
  const append = (count: number): void =>
    db.transaction(() => {
      appender.begin(leafCount + 1);
      for (let n = 0; n < count; n++) {
        const i = leafCount++;
        const leaf = Buffer.alloc(32);
        leaf.writeUInt32BE(i);
        if (i % 997 === 0) leaves[i] = leaf;
        appender.appendLeaf(leaf);
      }
      appender.end();
    })();
  append(size);
  const log = buffer.log;
  if (!log) throw new Error('no log');
  const head = log.head();
  const inclusion: number[] = [];
  const consistency: number[] = [];
  const roots: number[] = [];
  for (let k = 0; k < PROOFS; k++) {
    const index = 997 * Math.floor((Math.random() * size) / 997);
    let t = performance.now();
    const path = log.inclusionProof(index, head.size);
    inclusion.push(performance.now() - t);
    if (!verifyInclusion(leaves[index] as Buffer, index, head.size, path, head.root)) throw new Error('an inclusion proof failed');
    const from = 1 + Math.floor(Math.random() * (size - 1));
    t = performance.now();
    const proof = log.consistencyProof(from, head.size);
    const fromRoot = log.root(from);
    consistency.push(performance.now() - t);
    if (!verifyConsistency(from, head.size, fromRoot, head.root, proof)) throw new Error('a consistency proof failed');
    t = performance.now();
    log.root(1 + Math.floor(Math.random() * size));
    roots.push(performance.now() - t);
  }
  const onDemand = checkpointOnDemand(log, append);
  buffer.close();
  const ms = (x: number): string => `${x.toFixed(2)} ms`;
  return [size.toLocaleString('en'), ms(median(inclusion)), ms(p99(inclusion)), ms(median(consistency)), ms(p99(consistency)), ms(median(roots)), ms(median(onDemand)), ms(p99(onDemand))];
}

async function main(): Promise<void> {
  const tmp = tempDir('absensi-bench-log-');
  try {
    const on: number[] = [];
    const off: number[] = [];
    let bytesOn = 0;
    let bytesOff = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // alternate which goes first: the machine's noise then falls on both
      const order = round % 2 === 0 ? [true, false] : [false, true];
      for (const withLog of order) {
        const result = await ingest(join(tmp.dir, `ingest-${round}-${withLog ? 'on' : 'off'}.db`), withLog);
        (withLog ? on : off).push(result.rate);
        if (withLog) bytesOn = result.bytes;
        else bytesOff = result.bytes;
      }
    }
    const r = (x: number): string => String(Math.round(x));
    process.stdout.write(`ingest, ${N.toLocaleString('en')} punches by emit(), ${ROUNDS} rounds each\n`);
    process.stdout.write(`  log on : ${on.map(r).join(', ')} punches/s (median ${r(median(on))})\n`);
    process.stdout.write(`  log off: ${off.map(r).join(', ')} punches/s (median ${r(median(off))})\n`);
    const pairs = on.map((rate, i) => rate / (off[i] as number));
    process.stdout.write(`  ratio on/off: ${(median(on) / median(off)).toFixed(2)} of the medians, ${median(pairs).toFixed(2)} the median of each round's pair (${pairs.map((x) => x.toFixed(2)).join(', ')})  (goal ≥ 0.9)\n`);
    process.stdout.write(`buffer file: ${(bytesOff / N).toFixed(0)} bytes/punch without the log, ${(bytesOn / N).toFixed(0)} with: +${((bytesOn - bytesOff) / N).toFixed(0)} bytes/punch\n\n`);
    const header = ['leaves', 'inclusion median', 'p99', 'consistency+root median', 'p99', 'root(size) median', 'HTTPS batch checkpoint median', 'p99'];
    const rows = PROOF_SIZES.map((size) => proofTimes(tmp.dir, size));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
    process.stdout.write(`proofs from the buffer's store, ${PROOFS} each (goal < 20 ms)\n`);
    for (const row of [header, ...rows]) process.stdout.write(`  ${row.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}\n`);
  } finally {
    tmp.cleanup();
  }
}

await main();
