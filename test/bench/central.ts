// `npm run bench:central`: punches per second the centre commits (issue 21, "Benchmark"), against
// the physical limit measured in the same run on the same rows: a raw batched
// `INSERT … ON CONFLICT (id) DO NOTHING` (BATCH rows per statement) into the same schema.
// - PostgreSQL (the server on 127.0.0.1:5432, database `test`, trust auth, when it answers): one
//   `central` process with one connection (mqtt.connections: 1), then one and two processes with
//   the default connections (child processes of the CLI, one shared-subscription group), fed over
//   a private Mosquitto by three gateways publishing N punches at QoS 1; in a database of its own,
//   dropped after. Done when `count(*)` reaches N.
// - PGlite: one centre (in this process: a PGlite database belongs to one process) against a raw
//   batched insert into a PGlite of its own, both file-backed as `central.dataDir` is.
// The clock runs from the first publish to the last row committed. Mosquitto runs with
// `max_queued_messages 0`: with its default of 1000 it would drop what a centre falling behind has
// not taken yet (README "The centre"). Not a test: timings on a shared 2-core machine are noisy;
// read the ratios (goal ≥ 0.8).
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Central } from '../../src/central/central.js';
import { centralConfigSchema, parseCentralConfig } from '../../src/central/config.js';
import { migrateCentral } from '../../src/central/migrations.js';
import { openEmbedded, openPostgres, type Sql } from '../../src/central/store.js';
import type { Punch } from '../../src/punch/punch.js';
import { silentLogger } from '../../src/util/logger.js';
import { startCentralProcess } from '../central/centralProcess.js';
import { FakeGateway } from '../central/fakeGateway.js';
import { mosquittoInstalled, startMosquitto, type TestBroker } from '../helpers/broker.js';
import { POSTGRES_SERVER as SERVER, postgresUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

const N = Number(process.env.CENTRAL_BENCH_PUNCHES ?? 15_000);
const BATCH = Number(process.env.CENTRAL_BENCH_BATCH ?? 500);
const COLUMNS = 12;
/** mqtt.connections of each process; the default of central.yaml unless CENTRAL_BENCH_CONNECTIONS says */
const CONNECTIONS = Number(process.env.CENTRAL_BENCH_CONNECTIONS ?? centralConfigSchema.shape.mqtt.unwrap().shape.connections.parse(undefined));
const PG_RUNS = [
  { processes: 1, connections: 1 },
  { processes: 1, connections: CONNECTIONS },
  { processes: 2, connections: CONNECTIONS },
];

const tmp = tempDir();
const say = (line: string): boolean => process.stdout.write(`${line}\n`);

/** The rows storePunches writes, N of them, from three gateways (fresh gateways per run: fresh ids are not needed, the table is new). */
function makeGateways(prefix: string): FakeGateway[] {
  const gateways = [new FakeGateway('BKPP', 'gw-b1', undefined, prefix), new FakeGateway('DISDIK', 'gw-b2', undefined, prefix), new FakeGateway('BAPPEDA', 'gw-b3', undefined, prefix)];
  for (const g of gateways) g.make(Math.ceil(N / gateways.length));
  return gateways;
}

function rowValues(p: Punch): unknown[] {
  return [p.id, p.gateway, p.site, p.device.id, p.seq, p.pin, p.time, p.utc, p.state, p.verify, p.receivedAt, JSON.stringify(p)];
}

/** The physical limit: the same rows, BATCH per `INSERT … ON CONFLICT DO NOTHING`. */
async function rawInsert(db: Sql, punches: Punch[]): Promise<number> {
  const started = performance.now();
  for (let at = 0; at < punches.length; at += BATCH) {
    const batch = punches.slice(at, at + BATCH);
    const tuples = batch.map((_, r) => `(${Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`).join(', ')})`);
    await db.query(
      `INSERT INTO punches (id, gateway, site, device_id, seq, pin, local_time, utc, state, verify, received_at, body) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`,
      batch.flatMap(rowValues),
    );
  }
  return punches.length / ((performance.now() - started) / 1000);
}

async function count(db: Sql): Promise<number> {
  return ((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM punches')).rows[0] as { n: number }).n;
}

async function waitFor(done: () => Promise<boolean>, what: string, limitMs = 600_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Publishes every punch of the gateways at once (QoS 1) and resolves when `stored` says N are committed; punches/s. */
async function feed(broker: TestBroker, gateways: FakeGateway[], stored: () => Promise<number>): Promise<number> {
  await Promise.all(gateways.map((g) => g.connect(broker.url)));
  const total = gateways.reduce((sum, g) => sum + g.punches.length, 0);
  const started = performance.now();
  const publishing = Promise.all(gateways.map((g) => g.publishPunches(g.punches)));
  await waitFor(async () => (await stored()) >= total, `${total} punches at the centre`);
  const rate = total / ((performance.now() - started) / 1000);
  await publishing;
  await Promise.all(gateways.map((g) => g.close()));
  return rate;
}

/** One punch every 10 ms (100/s) from one gateway while `central` runs: publish → row, p50 and p99 (ms). */
async function latency(broker: TestBroker, db: Sql, prefix: string, punches = 1000): Promise<{ p50: number; p99: number }> {
  const gateway = new FakeGateway('BKPP', 'gw-lat', undefined, prefix);
  await gateway.connect(broker.url);
  const sentAt = new Map<string, number>();
  for (let i = 0; i < punches; i++) {
    const [punch] = gateway.make(1);
    sentAt.set(punch!.id, Date.now());
    void gateway.publishPunches([punch!]);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await waitFor(async () => (await count(db)) >= punches, `${punches} punches at the centre`);
  await gateway.close();
  const { rows } = await db.query<{ id: string; at: number }>('SELECT id, (extract(epoch FROM stored_at) * 1000)::float8 AS at FROM punches');
  const ms = rows.map((r) => r.at - sentAt.get(r.id)!).sort((a, b) => a - b);
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

async function postgresRuns(broker: TestBroker): Promise<void> {
  const admin = new pg.Client({ ...SERVER, connectionTimeoutMillis: 1000 });
  try {
    await admin.connect();
  } catch {
    say('PostgreSQL: no server on 127.0.0.1:5432; skipped');
    return;
  }
  const database = `bench_central_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const url = postgresUrl(database);
  const store = await openPostgres(url);
  try {
    await migrateCentral(store);
    const rows = makeGateways('raw').flatMap((g) => g.punches);
    const raw = await rawInsert(store, rows);
    say(`PostgreSQL raw batched INSERT … ON CONFLICT DO NOTHING (${BATCH}/statement): ${raw.toFixed(0)} punches/s`);
    for (const { processes, connections } of PG_RUNS) {
      await store.query('TRUNCATE punches');
      const prefix = `b${processes}${randomUUID().slice(0, 6)}`;
      const configFile = join(tmp.dir, `central-${prefix}.yaml`);
      writeFileSync(configFile, [`central: {id: bench-${prefix}, dataDir: ${tmp.dir}/c-${prefix}, logLevel: info}`, `mqtt: {url: "${broker.url}", topicPrefix: ${prefix}, group: g-${prefix}, connections: ${connections}}`, `postgres: {url: "${url}"}`, 'http: {enabled: false}', 'verify: {missingAfter: 1h, sweepInterval: 1h}', ''].join('\n'));
      const children = await Promise.all(Array.from({ length: processes }, (_, i) => startCentralProcess(configFile, String(i + 1))));
      try {
        await new Promise((resolve) => setTimeout(resolve, 500)); // the SUBACKs
        const rate = await feed(broker, makeGateways(prefix), () => count(store));
        say(`PostgreSQL, ${processes} central process${processes > 1 ? 'es' : ''} × ${connections} connection${connections > 1 ? 's' : ''}: ${rate.toFixed(0)} punches/s = ${(rate / raw).toFixed(2)} × raw`);
      } finally {
        await Promise.all(children.map((c) => c.stop()));
      }
    }
    await store.query('TRUNCATE punches');
    const prefix = `t${randomUUID().slice(0, 6)}`;
    const configFile = join(tmp.dir, `central-${prefix}.yaml`);
    writeFileSync(configFile, [`central: {id: bench-${prefix}, dataDir: ${tmp.dir}/c-${prefix}, logLevel: info}`, `mqtt: {url: "${broker.url}", topicPrefix: ${prefix}, group: g-${prefix}, connections: ${CONNECTIONS}}`, `postgres: {url: "${url}"}`, 'http: {enabled: false}', 'verify: {missingAfter: 1h, sweepInterval: 1h}', ''].join('\n'));
    const child = await startCentralProcess(configFile, '1');
    try {
      await new Promise((resolve) => setTimeout(resolve, 500)); // the SUBACKs
      const l = await latency(broker, store, prefix);
      say(`PostgreSQL, latency publish → row (stored_at) at 100 punches/s, 1 process × ${CONNECTIONS} connections: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms`);
    } finally {
      await child.stop();
    }
  } finally {
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  }
}

async function pgliteRun(broker: TestBroker): Promise<void> {
  const rawStore = await openEmbedded(join(tmp.dir, 'pglite-raw'));
  let raw: number;
  try {
    await migrateCentral(rawStore);
    raw = await rawInsert(rawStore, makeGateways('raw').flatMap((g) => g.punches));
  } finally {
    await rawStore.close();
  }
  say(`PGlite raw batched INSERT … ON CONFLICT DO NOTHING (${BATCH}/statement): ${raw.toFixed(0)} punches/s`);
  const prefix = `l${randomUUID().slice(0, 6)}`;
  const config = parseCentralConfig([`central: {id: bench-${prefix}, dataDir: ${tmp.dir}/pglite-central, logLevel: silent}`, `mqtt: {url: "${broker.url}", topicPrefix: ${prefix}, group: g-${prefix}, connections: ${CONNECTIONS}}`, 'http: {enabled: false}', 'verify: {missingAfter: 1h, sweepInterval: 1h}', ''].join('\n'), 'central.yaml');
  const central = new Central({ config, log: silentLogger() });
  await central.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rate = await feed(broker, makeGateways(prefix), async () => central.receiver?.counts.punchesStored ?? 0);
    say(`PGlite, 1 centre (in this process) × ${CONNECTIONS} connections: ${rate.toFixed(0)} punches/s = ${(rate / raw).toFixed(2)} × raw`);
  } finally {
    await central.stop();
  }
}

if (!mosquittoInstalled()) {
  say('no /usr/sbin/mosquitto: the centre needs MQTT 5 shared subscriptions; nothing measured');
} else {
  const broker = await startMosquitto(tmp.dir, undefined, { unlimitedQueue: true });
  say(`central benchmark: ${N} punches from 3 gateways, QoS 1 over a private Mosquitto`);
  try {
    await postgresRuns(broker);
    await pgliteRun(broker);
  } finally {
    await broker.close();
    tmp.cleanup();
  }
}
