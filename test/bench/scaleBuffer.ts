// Part 3 of `npm run bench:scale`: does the gateway slow down as its buffer grows (90 days of
// delivered punches kept for "was my punch sent?")?
// Invariants:
// - The buffer is filled through the real commit path (driver context → SqlitePunchBuffer), as
//   test/reliability/backlog.test.ts does: 20 devices, 500 staff pins, one punch id per row.
// - All rows but the newest DRAIN are marked delivered (the sink cursor), so (a) drains the same
//   DRAIN punches at the head of a small and of a large buffer; (b) times the local API searches
//   on the real daemon (a child process) over the same file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileBytes } from '../../src/buffer/queries.js';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { Dispatcher } from '../../src/publish/dispatcher.js';
import { MqttPublisher } from '../../src/publish/mqttPublisher.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../../src/util/net.js';
import { until } from '../helpers/broker.js';
import { fillBuffer } from '../helpers/fillBuffer.js';
import { gatewayYaml } from './scaleConfig.js';
import { FETCH_TIMEOUT_MS, spawnGateway, stopChild, timeGet, waitFor } from './scaleProcess.js';

const DEVICES = Array.from({ length: 20 }, (_, d) => `bench-${String(d).padStart(2, '0')}`);
const DRAIN = 10_000;
const BURST = 2000;

export interface BufferRunResult {
  rows: number;
  fillSec: number;
  drainPerSec: number;
  searchPinMs: number;
  searchDeviceRangeMs: number;
  searchNewestMs: number;
  queueMs: number;
  metricsMs: number;
  fileMb: number;
}

async function fill(file: string, rows: number): Promise<void> {
  const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'] });
  await fillBuffer(buffer, { devices: DEVICES, rows, burst: BURST, gateway: { id: 'gw-scale', site: 'SCALEBUF' }, driver: 'bench-feed' });
  await buffer.drain();
  buffer.close();
}

/** Marks every punch but the newest DRAIN as delivered, as after normal operation. */
function deliverAllButHead(file: string, rows: number): void {
  const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline' });
  buffer.database.prepare("UPDATE sink_cursors SET acked_seq = ? WHERE sink = 'mqtt'").run(Math.max(0, rows - DRAIN));
  buffer.close();
}

async function drain(file: string, mqttUrl: string, site: string): Promise<number> {
  const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'] });
  const log = silentLogger();
  const publisher = new MqttPublisher({ url: mqttUrl, gateway: 'gw-scale', site, version: 'bench', log, protocolVersion: 4, clientId: `gw-scale-drain-${site}` });
  await publisher.start();
  await until(() => publisher.connected, 10_000, 'drain connect');
  const dispatcher = new Dispatcher({ buffer, publisher, log });
  const pending = buffer.stats().sinks[0]?.pending ?? 0;
  const started = performance.now();
  dispatcher.start();
  await until(() => buffer.stats().sinks[0]?.pending === 0, 600_000, 'drain');
  const ms = performance.now() - started;
  await dispatcher.stop();
  await publisher.stop();
  buffer.close();
  return Math.round((pending / ms) * 1000);
}

async function searches(dir: string, file: string, mqttUrl: string, site: string): Promise<Omit<BufferRunResult, 'rows' | 'fillSec' | 'drainPerSec' | 'fileMb'>> {
  const apiPort = await freePort();
  const configFile = join(dir, 'gateway.yaml');
  const yaml = gatewayYaml({ site, dataDir: dir, apiPort, pushPort: await freePort(), mqttUrl, pollSeconds: 60, terminals: [] });
  writeFileSync(configFile, yaml.replace('logLevel: warn}', `logLevel: warn}\nbuffer: {file: ${file}}`));
  const gateway = spawnGateway(configFile);
  try {
    const api = `http://127.0.0.1:${apiPort}`;
    await waitFor(async () => (await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) }).then((r) => r.ok).catch(() => false)) || gateway.exitCode !== null, 60_000, 'the daemon API');
    if (gateway.exitCode !== null) throw new Error(`the daemon exited with ${gateway.exitCode}`);
    const times = 7;
    await timeGet(`${api}/api/punches?pin=1007`, 1); // warm-up (page cache, JIT)
    const pin = await timeGet(`${api}/api/punches?pin=1007`, times);
    const range = await timeGet(`${api}/api/punches?device=bench-03&since=2026-01-01&until=2026-01-02`, times);
    const newest = await timeGet(`${api}/api/punches?limit=50`, times);
    const queue = await timeGet(`${api}/api/queue`, times);
    const started = performance.now();
    for (let i = 0; i < times; i += 1) await (await fetch(`${api}/metrics`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })).text();
    const metricsMs = (performance.now() - started) / times;
    for (const [what, r] of [['pin', pin], ['device range', range], ['newest', newest]] as const) {
      if ((r.body as { returned: number }).returned === 0) throw new Error(`search by ${what} found nothing`);
    }
    return { searchPinMs: pin.ms, searchDeviceRangeMs: range.ms, searchNewestMs: newest.ms, queueMs: queue.ms, metricsMs };
  } finally {
    await stopChild(gateway);
  }
}

export async function runBufferGrowth(o: { rows: number; mqttUrl: string; dir: string }): Promise<BufferRunResult> {
  const dir = join(o.dir, `buffer-${o.rows}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'buffer.db');
  const site = `SCALEBUF${o.rows}P${process.pid}`;
  const filled = performance.now();
  await fill(file, o.rows);
  const fillSec = (performance.now() - filled) / 1000;
  deliverAllButHead(file, o.rows);
  const drainPerSec = await drain(file, o.mqttUrl, site);
  const found = await searches(dir, file, o.mqttUrl, site);
  return { rows: o.rows, fillSec, drainPerSec, ...found, fileMb: fileBytes(file) / 2 ** 20 };
}
