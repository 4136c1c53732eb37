// `npx tsx test/bench/checkpointCost.ts`: what a checkpoint costs an HTTPS batch. For each log
// size, a batch of 500 punches is appended and the checkpointer signs one covering it on demand
// (head, consistency proof against the last signed, format, Ed25519): the path every HTTPS batch
// takes when the latest checkpoint is older than the batch. Compared with serializing the batch's
// body. Not a test: timings on a shared 2-core machine are noisy; read medians.
import { generateKeyPairSync } from 'node:crypto';
import { Checkpointer } from '../../src/log/checkpointer.js';
import { logKeyName } from '../../src/log/checkpoint.js';
import { ed25519Signer, signNote } from '../../src/log/note.js';
import { silentLogger } from '../../src/util/logger.js';
import { MemoryPunchLog } from '../helpers/memoryPunchLog.js';
import { rawPunch } from '../helpers/punches.js';

const BATCH = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const SIZES = (process.env.BENCH_LOG_SIZES ?? '10000,1000000').split(',').map(Number);
const signer = ed25519Signer(logKeyName('BENCH', 'gw-bench'), generateKeyPairSync('ed25519').privateKey);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] as number;
const us = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;

const punchJson = Array.from({ length: BATCH }, (_, i) => JSON.stringify({ schema: 'punch/v1', ...rawPunch(i), seq: i + 1 }));
const rows: string[][] = [];

for (const size of SIZES) {
  const log = new MemoryPunchLog();
  for (let i = 0; i < size; i++) log.appendLeaf(Buffer.alloc(32, i % 251));
  const checkpointer = new Checkpointer({ log, signer, intervalMs: 3_600_000, publish: () => undefined, logger: silentLogger() });
  checkpointer.start();
  const onDemand: number[] = [];
  const signOnly: number[] = [];
  const encode: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < BATCH; i++) log.appendLeaf(Buffer.alloc(32, (round + i) % 251));
    const head = log.head().size;
    let t = performance.now();
    const cp = checkpointer.covering(head);
    onDemand.push(performance.now() - t);
    if (cp?.size !== head) throw new Error('the checkpoint does not cover the batch');
    const text = cp.note.slice(0, cp.note.indexOf('\n\n') + 1);
    t = performance.now();
    signNote(text, signer);
    signOnly.push(performance.now() - t);
    t = performance.now();
    Buffer.from(`{"schema":"punch-batch/v1","gateway":"gw-bench","site":"BENCH","punches":[${punchJson.join(',')}],"checkpoint":${JSON.stringify(cp.note)}}`);
    encode.push(performance.now() - t);
  }
  void checkpointer.stop();
  rows.push([`${size.toLocaleString('en')} + ${ROUNDS}×${BATCH}`, us(median(onDemand)), us(p99(onDemand)), us(median(signOnly)), us(median(encode))]);
}

const header = ['log size', 'checkpoint on demand (median)', 'p99', 'Ed25519 sign alone', 'body of 500 punches'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
for (const row of [header, ...rows]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}\n`);
