// Benchmark helper (not a test): download N attendance records from the simulator with our client,
// with node-zklib 1.3.0 and with zkteco-js 1.7.2, on the same simulator settings.
// Called from the project benchmark; not matched by vitest (no .test.ts suffix).
// Notes for reading the numbers:
// - The simulator runs in this process, so wall time and RSS include it for every client alike.
// - The peers need one packet per socket read, so all three runs use `pacing: 'paced'`; `oursBurst`
//   is our client on the default burst pacing (merged packets), which the peers cannot read.
// - Each client downloads and decodes every record (the peers decode 40-byte records to objects).
import { createRequire } from 'node:module';
import { ZkClient } from '../../../drivers/zk-tcp/client.js';
import { decodeAttendanceAt, decodeAttendanceDataset, decodeFreeSizes } from '../../../drivers/zk-tcp/codec.js';
import { CMD } from '../../../drivers/zk-tcp/tables.js';
import { ZkTcpSimulator, type Pacing } from '../../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../../src/util/logger.js';

export interface BenchResult {
  wallMs: number;
  /** highest RSS sampled during the run (whole process), MiB */
  peakRssMb?: number;
  /** that peak minus the RSS when the run started (after a GC when exposed), MiB: what this client added */
  rssGrowthMb?: number;
  records: number;
  error?: string;
}

export interface ZkDownloadBench {
  records: number;
  ours: BenchResult;
  oursBurst: BenchResult;
  nodeZklib: BenchResult;
  zktecoJs: BenchResult;
}

const require = createRequire(import.meta.url);

async function measure(records: number, pacing: Pacing, run: (port: number) => Promise<number>): Promise<BenchResult> {
  const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, records, pacing, udp: false });
  const { port } = await sim.start();
  sim.log.attendanceDataset(); // encode before the clock starts: the terminal already holds its log
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  const quiet = [console.log, console.error] as const;
  console.log = console.error = () => undefined; // the peers print on connect and on errors
  try {
    const got = await run(port);
    return { wallMs: Math.round(performance.now() - started), peakRssMb: Math.round(peak / 2 ** 20), rssGrowthMb: Math.round((peak - base) / 2 ** 20), records: got };
  } catch (error) {
    return { wallMs: Math.round(performance.now() - started), records: 0, error: error instanceof Error ? error.message : String(error) };
  } finally {
    [console.log, console.error] = quiet;
    clearInterval(sampler);
    await sim.stop();
  }
}

async function ours(port: number): Promise<number> {
  const client = new ZkClient({ host: '127.0.0.1', port, transport: 'tcp', commKey: 0, timeoutMs: 10_000, log: silentLogger() });
  await client.connect();
  const count = decodeFreeSizes((await client.command(CMD.GET_FREE_SIZES)).data).records ?? 0;
  const set = decodeAttendanceDataset(await client.readDataset(CMD.ATTLOG_RRQ), count);
  let decoded = 0;
  for (let i = 0; i < set.count; i++) if (decodeAttendanceAt(set, i).pin) decoded++;
  await client.close();
  return decoded;
}

async function nodeZklib(port: number): Promise<number> {
  const ZKLib = require('node-zklib') as new (ip: string, port: number, timeout: number, inport: number) => {
    createSocket(): Promise<void>; getAttendances(): Promise<{ data: unknown[]; err?: Error | null }>; disconnect(): Promise<void>;
  };
  const zk = new ZKLib('127.0.0.1', port, 10_000, 0);
  await zk.createSocket();
  const att = await zk.getAttendances();
  await zk.disconnect();
  if (att.err) throw att.err;
  return att.data.length;
}

async function zktecoJs(port: number): Promise<number> {
  const ZKTeco = require('zkteco-js') as new (ip: string, port: number, timeout: number, inport: number) => {
    createSocket(): Promise<void>; getAttendances(): Promise<{ data: unknown[] }>; disconnect(): Promise<void>;
  };
  const zk = new ZKTeco('127.0.0.1', port, 10_000, 0);
  await zk.createSocket();
  const att = await zk.getAttendances();
  await zk.disconnect();
  return att.data.length;
}

/** Downloads `records` records with each client in turn (TCP, 40-byte records). */
export async function benchZkDownload(records: number): Promise<ZkDownloadBench> {
  return {
    records,
    ours: await measure(records, 'paced', ours),
    oursBurst: await measure(records, 'burst', ours),
    nodeZklib: await measure(records, 'paced', nodeZklib),
    zktecoJs: await measure(records, 'paced', zktecoJs),
  };
}
