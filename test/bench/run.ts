// `npm run bench`: throughput of the core against the physical limits measured in the same run.
// Not a test: it prints a table of rates and ratios. Timings on a shared 2-core machine are noisy;
// read the ratios, which compare runs made seconds apart on the same machine.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { Dispatcher } from '../../src/publish/dispatcher.js';
import { HttpsPublisher } from '../../src/publish/httpsPublisher.js';
import { MqttPublisher } from '../../src/publish/mqttPublisher.js';
import { normalizePunch } from '../../src/punch/normalize.js';
import type { Punch, RawPunch } from '../../src/punch/punch.js';
import { silentLogger } from '../../src/util/logger.js';
import { bufferContext } from '../helpers/bufferContext.js';
import { startAedes, systemMosquitto, until, type TestBroker } from '../helpers/broker.js';
import { startHttpsReceiver } from '../helpers/httpsReceiver.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { benchZkDownload, type BenchResult } from '../drivers/zk-tcp/downloadBench.js';
import { benchLatency } from './latency.js';
import { rawInsertMs, storedRow } from './rawInsert.js';
import { savedScaleRows } from './scaleReport.js';

const N = Number(process.env.BENCH_PUNCHES ?? 50_000);
const BURST = 1000;
const PRODUCERS = 4;
const log = silentLogger();
const rows: { what: string; rate: number; baseline: string; ratio: string }[] = [];

function rate(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

const INGEST_RUNS = 5;
/** how long each of our runs waited for its writer thread before its clock started (printed) */
const bootMs: number[] = [];
const INGEST_DEVICE = { id: 'bench-1', driver: 'bench', serial: 'SN-BENCH' };
const INGEST_GATEWAY = { id: 'gw-bench', site: 'BENCH' };

/** The rows our buffer stores for the bench punches (seq i + 1), built once: the raw side inserts these. */
function rawRows(raws: readonly RawPunch[]): unknown[][] {
  const ctx = { gateway: INGEST_GATEWAY.id, site: INGEST_GATEWAY.site, device: { id: INGEST_DEVICE.id, serial: INGEST_DEVICE.serial, protocol: INGEST_DEVICE.driver }, zone: 'Asia/Jakarta', clockSkewSec: null, nowMs: Date.now(), minYear: 2000, maxFutureMs: 86_400_000 * 3650 };
  return raws.map((raw, i) => {
    const outcome = normalizePunch(raw, ctx);
    if (outcome.kind !== 'ok') throw new Error(`bench punch ${i} did not normalize`);
    return storedRow(outcome.punch, outcome.json, i + 1);
  });
}

/** Our side: PRODUCERS terminals hand over bursts at the same time, each waiting for its own commit. */
async function ingestOurs(file: string, mode: 'emit' | 'emitMany', raws: readonly RawPunch[]): Promise<number> {
  const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'] });
  const { ctx } = bufferContext(buffer, { device: INGEST_DEVICE, gateway: INGEST_GATEWAY });
  // the writer thread up and its connection open before the clock, as the raw side opens its own
  // first (from source the thread's start loads tsx: hundreds of milliseconds, none of them ingest)
  const boot = performance.now();
  await buffer.commit({ punches: [] });
  bootMs.push(performance.now() - boot);
  const started = performance.now();
  const producer = async (first: number): Promise<void> => {
    for (let i = first; i < N; i += BURST * PRODUCERS) {
      if (mode === 'emit') await Promise.all(raws.slice(i, i + BURST).map((raw) => ctx.emit(raw)));
      else await ctx.emitMany(raws.slice(i, i + BURST));
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, (_, k) => producer(k * BURST)));
  const oursMs = performance.now() - started;
  buffer.close();
  return rate(N, oursMs);
}

/** The floor: the same rows in BURST-row transactions on a bare better-sqlite3 connection, same schema and pragmas. */
function ingestRaw(file: string, rows: readonly unknown[][]): number {
  return rate(rows.length, rawInsertMs(file, rows, BURST));
}

interface IngestFigures {
  /** median of the runs, punches/s */
  ours: number;
  raw: number;
  ratios: number[];
  /** one of our buffer files, kept for the drain rows */
  file: string;
}

/**
 * INGEST_RUNS pairs, each on fresh files, ours first in even runs and raw first in odd ones, so
 * that neither side always meets the warm (or the tired) machine; ratios are per pair.
 */
async function ingest(dir: string, mode: 'emit' | 'emitMany'): Promise<IngestFigures> {
  const raws = Array.from({ length: N }, (_, i) => rawPunch(i, { pin: String(10_000 + i) }));
  const rows = rawRows(raws);
  const ours: number[] = [];
  const raw: number[] = [];
  const ratios: number[] = [];
  const kept = join(dir, `ingest-${mode}.db`);
  for (let run = 0; run < INGEST_RUNS; run++) {
    const file = run === INGEST_RUNS - 1 ? kept : join(dir, `ingest-${mode}-${run}.db`);
    const rawFile = join(dir, `raw-${mode}-${run}.db`);
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    let o: number;
    let r: number;
    if (run % 2 === 0) {
      o = await ingestOurs(file, mode, raws);
      collect?.();
      r = ingestRaw(rawFile, rows);
    } else {
      r = ingestRaw(rawFile, rows);
      collect?.();
      o = await ingestOurs(file, mode, raws);
    }
    ours.push(o);
    raw.push(r);
    ratios.push(o / r);
    removeDb(rawFile);
    if (file !== kept) removeDb(file);
  }
  return { ours: median(ours), raw: median(raw), ratios, file: kept };
}

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function ingestRow(what: string, f: IngestFigures): (typeof rows)[number] {
  const spread = `min ${Math.min(...f.ratios).toFixed(2)}, max ${Math.max(...f.ratios).toFixed(2)}; runs ${f.ratios.map((r) => r.toFixed(2)).join(" ")}`;
  return { what, rate: Math.round(f.ours), baseline: `raw better-sqlite3 batched insert ${Math.round(f.raw)}/s (medians of ${f.ratios.length})`, ratio: `${median(f.ratios).toFixed(2)} median (${spread})` };
}

async function mqttDrain(broker: TestBroker, bufferFile: string): Promise<{ ours: number; raw: number }> {
  const buffer = new SqlitePunchBuffer({ file: bufferFile, sinks: ['mqtt'] });
  const punches: Punch[] = buffer.pending('mqtt', N);
  buffer.rewind('mqtt');
  const site = `BENCH${Date.now() % 100000}`;

  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clean: true });
  const window = 500;
  const rawStarted = performance.now();
  // a sliding window of `window` publishes awaiting PUBACK: the same in-flight limit our sink uses
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < punches.length) {
      const p = punches[next++] as Punch;
      await client.publishAsync(`absensi/${site}/${p.device.id}/punch`, JSON.stringify(p), { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  const rawMs = performance.now() - rawStarted;
  await client.endAsync();

  const publisher = new MqttPublisher({ url: broker.url, gateway: 'gw-bench', site, version: 'bench', log, protocolVersion: 4, maxInFlight: window, batchSize: Number(process.env.BENCH_MQTT_BATCH ?? 100) });
  await publisher.start();
  await until(() => publisher.connected, 10_000, 'bench connect');
  const dispatcher = new Dispatcher({ buffer, publisher, log });
  const started = performance.now();
  const head = buffer.headSeq();
  dispatcher.start();
  // the cursor in memory, not stats(): counting pending rows every poll would tax our side only
  await until(() => (buffer.ackedSeqs().get('mqtt') ?? 0) >= head, 600_000, 'mqtt drain');
  const oursMs = performance.now() - started;
  await dispatcher.stop();
  await publisher.stop();
  buffer.close();
  return { ours: rate(punches.length, oursMs), raw: rate(punches.length, rawMs) };
}

async function httpsDrain(dir: string, source: string, batchSize: number): Promise<number> {
  const file = join(dir, `https-${batchSize}.db`);
  const buffer = new SqlitePunchBuffer({ file, sinks: ['https'] });
  buffer.database.exec(`ATTACH DATABASE '${source}' AS src; INSERT INTO punches SELECT * FROM src.punches; DETACH DATABASE src;`);
  const receiver = await startHttpsReceiver({ tls: true });
  const publisher = new HttpsPublisher({ url: receiver.url, gateway: 'gw-bench', site: 'BENCH', log, batchSize, maxWaitMs: 0, rejectUnauthorized: false });
  await publisher.start();
  const dispatcher = new Dispatcher({ buffer, publisher, log });
  const started = performance.now();
  dispatcher.start();
  const head = buffer.headSeq();
  await until(() => (buffer.ackedSeqs().get('https') ?? 0) >= head, 600_000, 'https drain');
  const ms = performance.now() - started;
  await dispatcher.stop();
  await publisher.stop();
  await receiver.close();
  buffer.close();
  return rate(N, ms);
}

type ZkRun = Awaited<ReturnType<typeof benchZkDownload>>;

/** Per client, the faster of two runs (shared machines are noisy; errors never win). */
function bestOf(a: ZkRun, b: ZkRun): ZkRun {
  const pick = (x: BenchResult, y: BenchResult): BenchResult => (x.error ? y : y.error ? x : x.wallMs <= y.wallMs ? x : y);
  return { records: a.records, ours: pick(a.ours, b.ours), oursBurst: pick(a.oursBurst, b.oursBurst), nodeZklib: pick(a.nodeZklib, b.nodeZklib), zktecoJs: pick(a.zktecoJs, b.zktecoJs) };
}

function printRows(): void {
  rows.push(...savedScaleRows()); // figures of the last `npm run bench:scale`, if it ran here
  const width = Math.max(...rows.map((r) => r.what.length));
  process.stdout.write(`\n${'what'.padEnd(width)} | punches/s | baseline | ratio\n`);
  for (const r of rows) process.stdout.write(`${r.what.padEnd(width)} | ${String(r.rate).padStart(9)} | ${r.baseline} | ${r.ratio}\n`);
  if (bootMs.length > 0) process.stdout.write(`(ingest: each run's writer thread started in ${Math.round(Math.min(...bootMs))}–${Math.round(Math.max(...bootMs))} ms, before its clock)\n`);
}

async function main(): Promise<void> {
  const tmp = tempDir('absensi-bench-');
  try {
    process.stdout.write(`absensi-gateway bench: ${N} punches, node ${process.version}, ${new Date().toISOString()}\n`);
    const ingested = await ingest(tmp.dir, 'emit');
    rows.push(ingestRow(`ingest: ${PRODUCERS} producers × ${BURST} concurrent emit() → commit (sync=FULL)`, ingested));
    const many = await ingest(tmp.dir, 'emitMany');
    rows.push(ingestRow(`ingest: ${PRODUCERS} producers × emitMany(${BURST}) → commit (sync=FULL)`, many));

    if (process.env.BENCH_ONLY === 'ingest') return printRows();
    const mosquitto = await systemMosquitto();
    const broker = mosquitto ?? (await startAedes());
    const drained = await mqttDrain(broker, ingested.file);
    rows.push({ what: `MQTT drain QoS 1 to ${broker.name}`, rate: drained.ours, baseline: `raw mqtt.js publish loop ${drained.raw}/s`, ratio: (drained.ours / drained.raw).toFixed(2) });
    if (process.env.BENCH_ONLY !== 'mqtt') {
      for (const l of await benchLatency(broker.url, tmp.dir)) {
        rows.push({ what: `latency: ${l.path}, ${l.punches} lone punches`, rate: 0, baseline: `p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms`, ratio: '-' });
      }
    }
    await broker.close();

    if (process.env.BENCH_ONLY === 'mqtt') return printRows();
    for (const batchSize of [100, 500, 1000]) {
      const httpsRate = await httpsDrain(tmp.dir, ingested.file, batchSize);
      rows.push({ what: `HTTPS drain, batch ${batchSize}, loopback TLS receiver`, rate: httpsRate, baseline: '-', ratio: '-' });
    }
    await benchZkDownload(2_000); // warm-up: JIT and first-socket costs would otherwise land on whoever runs first
    for (const records of [10_000, 100_000]) {
      const first = await benchZkDownload(records);
      const zk = bestOf(first, await benchZkDownload(records));
      const rateOf = (r: BenchResult): number => (r.error ? 0 : rate(r.records, r.wallMs));
      const describe = (name: string, r: BenchResult): string =>
        `${name} ${r.records}/${records} rec in ${Math.round(r.wallMs)} ms${r.rssGrowthMb !== undefined ? `, RSS +${r.rssGrowthMb} MB` : ''}${r.error ? ` (${r.error.slice(0, 40)})` : ''}`;
      rows.push({ what: `ZK download ${records} records, ours (burst: merged packets)`, rate: rateOf(zk.oursBurst), baseline: describe('ours', zk.oursBurst), ratio: '-' });
      rows.push({ what: `ZK download ${records} records, ours (paced)`, rate: rateOf(zk.ours), baseline: describe('ours', zk.ours), ratio: '1.00' });
      for (const [name, peer] of [['node-zklib 1.3.0', zk.nodeZklib], ['zkteco-js 1.7.2', zk.zktecoJs]] as const) {
        rows.push({ what: `ZK download ${records} records, ${name} (paced)`, rate: rateOf(peer), baseline: describe(name, peer), ratio: rateOf(zk.ours) ? (rateOf(peer) / rateOf(zk.ours)).toFixed(2) : '-' });
      }
    }
    printRows();
  } finally {
    tmp.cleanup();
  }
}

await main();
