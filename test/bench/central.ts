// `npm run bench:central`: the reference centre's commit rate against the floor of the same
// database in the same run (issue #21 "Benchmark"). Not a test: it prints rates and ratios.
// - floor: a raw `pg` (or PGlite) client inserting the same punch rows in batches of BATCH with
//   `INSERT … ON CONFLICT (id) DO NOTHING`, one transaction per batch.
// - ours: real `central` processes (one, then two in one shared-subscription group) while three
//   gateways publish the punches as fast as the broker takes them; the rate is punches ÷ (last
//   stored_at − first stored_at), read from the rows themselves, so process start-up is not in
//   it. PGlite runs the Central in this process (PGlite is one process's database).
// - latency: one punch every 10 ms (100/s) published while one process runs: publish → row
//   (stored_at), p50 and p99.
// Needs /usr/sbin/mosquitto and, for the PostgreSQL rows, the server on 127.0.0.1:5432 (database
// `test`, trust auth); each run uses a database of its own and drops it.
// CENTRAL_BENCH_PUNCHES (default 15000) sets the backlog.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Central } from '../../src/central/central.js';
import { parseCentralConfig } from '../../src/central/config.js';
import { migrateCentral } from '../../src/central/migrations.js';
import { openEmbedded, openPostgres, type CentralStore, type Sql } from '../../src/central/store.js';
import type { Punch } from '../../src/punch/punch.js';
import { silentLogger } from '../../src/util/logger.js';
import { mosquittoInstalled, startMosquitto, type TestBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';
import { startCentralProcess, type CentralProcess } from '../central/centralProcess.js';
import { FakeGateway } from '../central/fakeGateway.js';

const N = Number(process.env.CENTRAL_BENCH_PUNCHES ?? 15_000);
const BATCH = 500;
const SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const rows: { what: string; rate: string; baseline: string; ratio: string }[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function serverReachable(): Promise<boolean> {
  const client = new pg.Client({ ...SERVER, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function punchesOf(gateways: FakeGateway[], count: number): Punch[] {
  const out: Punch[] = [];
  for (let i = 0; out.length < count; i++) out.push(...gateways[i % gateways.length]!.make(Math.min(100, count - out.length)));
  return out;
}

/** The floor: the rows the centre stores, batched, ON CONFLICT DO NOTHING; punches/s. */
async function rawInsert(sql: Sql, punches: readonly Punch[]): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < punches.length; from += BATCH) {
    const batch = punches.slice(from, from + BATCH);
    const values: unknown[] = [];
    const tuples = batch.map((p, i) => {
      values.push(p.id, p.gateway, p.site, p.device.id, p.seq, p.pin, p.time, p.utc, p.state, p.verify, p.receivedAt, JSON.stringify(p));
      return `(${Array.from({ length: 12 }, (_, k) => `$${i * 12 + k + 1}`).join(', ')})`;
    });
    await sql.query('BEGIN');
    await sql.query(`INSERT INTO punches (id, gateway, site, device_id, seq, pin, local_time, utc, state, verify, received_at, body) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`, values);
    await sql.query('COMMIT');
  }
  return (punches.length / (performance.now() - started)) * 1000;
}

/** punches/s between the first and the last row stored, once `count` rows are there. */
async function drainRate(sql: Sql, count: number): Promise<number> {
  for (let i = 0; i < 6000; i++) {
    const { rows: r } = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM punches');
    if (r[0]!.n >= count) break;
    await sleep(50);
  }
  const { rows: r } = await sql.query<{ n: number; ms: number }>('SELECT count(*)::int AS n, (extract(epoch FROM max(stored_at) - min(stored_at)) * 1000)::float8 AS ms FROM punches');
  if (r[0]!.n < count) throw new Error(`only ${r[0]!.n} of ${count} punches stored`);
  return (count / Math.max(1, r[0]!.ms)) * 1000;
}

async function publishAll(gateways: FakeGateway[], punches: readonly Punch[]): Promise<void> {
  const byGateway = new Map(gateways.map((g) => [g.id, [] as Punch[]]));
  for (const p of punches) byGateway.get(p.gateway)!.push(p);
  await Promise.all(gateways.map(async (g) => {
    const mine = byGateway.get(g.id)!;
    for (let from = 0; from < mine.length; from += 200) await g.publishPunches(mine.slice(from, from + 200));
  }));
}

function configText(dir: string, broker: TestBroker, prefix: string, postgresUrl?: string): string {
  return [
    `central: {id: bench-${prefix}, dataDir: ${dir}/central, logLevel: warn}`,
    `mqtt: {url: "${broker.url}", topicPrefix: ${prefix}, group: bench}`,
    ...(postgresUrl ? [`postgres: {url: "${postgresUrl}"}`] : []),
    '',
  ].join('\n');
}

async function postgresRows(dir: string, broker: TestBroker): Promise<void> {
  const database = `bench_central_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const admin = new pg.Client(SERVER);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = `postgres://${SERVER.user}@${SERVER.host}:${SERVER.port}/${database}`;
  const store = await openPostgres(url);
  const processes: CentralProcess[] = [];
  try {
    await migrateCentral(store);
    const floor = new pg.Client({ ...SERVER, database });
    await floor.connect();
    const prefix = `b${randomUUID().slice(0, 6)}`;
    const gateways = [new FakeGateway('BENCH', 'gw-1', undefined, prefix), new FakeGateway('BENCH', 'gw-2', undefined, prefix), new FakeGateway('BENCH', 'gw-3', undefined, prefix)];
    await Promise.all(gateways.map((g) => g.connect(broker.url)));
    const config = join(dir, 'central-pg.yaml');
    writeFileSync(config, configText(dir, broker, prefix, url));

    for (const instances of [1, 2]) {
      const punches = punchesOf(gateways, N);
      await floor.query('TRUNCATE punches');
      const raw = await rawInsert(floor, punches);
      await floor.query('TRUNCATE punches');
      for (let k = 0; k < instances; k++) processes.push(await startCentralProcess(config, `i${instances}-${k}`));
      const publishing = publishAll(gateways, punches);
      const ours = await drainRate(floor, punches.length);
      await publishing;
      await Promise.all(processes.splice(0).map((p) => p.stop()));
      rows.push({ what: `PostgreSQL: ${instances} central process${instances > 1 ? 'es' : ''}, ${N} punches from the broker`, rate: `${Math.round(ours)}/s`, baseline: `raw pg batched INSERT (${BATCH}/txn) ${Math.round(raw)}/s`, ratio: (ours / raw).toFixed(3) });
    }

    // latency at 100 punches/s, one process
    await floor.query('TRUNCATE punches');
    processes.push(await startCentralProcess(config, 'latency'));
    const sentAt = new Map<string, number>();
    const gateway = gateways[0]!;
    for (let i = 0; i < 1000; i++) {
      const [punch] = gateway.make(1);
      sentAt.set(punch!.id, Date.now());
      void gateway.publishPunches([punch!]);
      await sleep(10);
    }
    for (let i = 0; i < 600; i++) {
      const { rows: r } = await floor.query<{ n: number }>('SELECT count(*)::int AS n FROM punches');
      if (r[0]!.n >= sentAt.size) break;
      await sleep(50);
    }
    const { rows: stored } = await floor.query<{ id: string; at: number }>('SELECT id, (extract(epoch FROM stored_at) * 1000)::float8 AS at FROM punches');
    const latencies = stored.map((r) => r.at - sentAt.get(r.id)!).sort((a, b) => a - b);
    const pct = (q: number): string => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
    rows.push({ what: `PostgreSQL: latency publish → row at 100 punches/s (${latencies.length} punches)`, rate: '-', baseline: `p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`, ratio: '-' });
    await Promise.all(processes.splice(0).map((p) => p.stop()));
    await Promise.all(gateways.map((g) => g.close()));
    await floor.end();
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

async function pgliteRows(dir: string, broker: TestBroker): Promise<void> {
  const prefix = `l${randomUUID().slice(0, 6)}`;
  const gateways = [new FakeGateway('BENCH', 'gw-1', undefined, prefix), new FakeGateway('BENCH', 'gw-2', undefined, prefix)];
  await Promise.all(gateways.map((g) => g.connect(broker.url)));
  const count = Math.min(N, 5000);
  const floorStore = await openEmbedded(join(dir, 'pglite-floor'));
  await migrateCentral(floorStore);
  const raw = await rawInsert(floorStore, punchesOf(gateways, count));
  await floorStore.close();

  const store = await openEmbedded(join(dir, 'pglite-ours'));
  await migrateCentral(store);
  const config = parseCentralConfig(configText(dir, broker, prefix), 'central.yaml');
  const punches = punchesOf(gateways, count);
  const central = new Central({ config, log: silentLogger(), instance: 'pglite', store });
  await central.start();
  const publishing = publishAll(gateways, punches);
  const ours = await drainRate(store, punches.length);
  await publishing;
  await central.stop();
  await store.close();
  await Promise.all(gateways.map((g) => g.close()));
  rows.push({ what: `PGlite (embedded): the Central in-process, ${count} punches from the broker`, rate: `${Math.round(ours)}/s`, baseline: `raw PGlite batched INSERT (${BATCH}/txn) ${Math.round(raw)}/s`, ratio: (ours / raw).toFixed(3) });
}

async function main(): Promise<void> {
  if (!mosquittoInstalled()) {
    process.stdout.write('bench:central needs /usr/sbin/mosquitto (MQTT 5 shared subscriptions); skipped\n');
    return;
  }
  const tmp = tempDir();
  const broker = await startMosquitto(tmp.dir, undefined, { unlimitedQueue: true });
  try {
    if (await serverReachable()) await postgresRows(tmp.dir, broker);
    else process.stdout.write('no PostgreSQL server on 127.0.0.1:5432: PGlite only\n');
    await pgliteRows(tmp.dir, broker);
  } finally {
    await broker.close();
    tmp.cleanup();
  }
  const width = Math.max(...rows.map((r) => r.what.length));
  process.stdout.write(`\n${'what'.padEnd(width)} | rate | baseline | ratio\n`);
  for (const r of rows) process.stdout.write(`${r.what.padEnd(width)} | ${r.rate} | ${r.baseline} | ${r.ratio}\n`);
}

await main();
