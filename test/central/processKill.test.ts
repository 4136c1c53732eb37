// Two real `absensi-gateway central` processes in one shared-subscription group on the PostgreSQL
// server, three gateways publishing, one process SIGKILLed mid-stream and started again: every
// punch is in `punches` exactly once (issue #21 "How it is tested"). A PUBACK only after the
// commit is what makes this hold: the killed process's unacknowledged messages come back to it.
// Needs /usr/sbin/mosquitto (MQTT 5, $share) and the server on 127.0.0.1:5432; skipped, saying
// so, without either. CENTRAL_KILL_PUNCHES sets the punches per gateway (the 30,000 in all
// is CENTRAL_KILL_PUNCHES=10000).
// The private broker runs with `max_queued_messages 0`: Mosquitto keeps a dead member's share of
// the group queued for its session, and by default drops it past 1000 (README "The centre").
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoInstalled, startMosquitto, type TestBroker } from '../helpers/broker.js';
import { POSTGRES_SERVER as SERVER, postgresReachable, postgresUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';
import { startCentralProcess, type CentralProcess } from './centralProcess.js';
import { FakeGateway } from './fakeGateway.js';

const PER_GATEWAY = Number(process.env.CENTRAL_KILL_PUNCHES ?? 2000);

const skip = !mosquittoInstalled() ? 'no /usr/sbin/mosquitto' : !(await postgresReachable()) ? 'no PostgreSQL server on 127.0.0.1:5432' : undefined;
const tmp = tempDir();
const database = `central_kill_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
let broker: TestBroker | undefined;
let db: pg.Client | undefined;
/** every process started, stopped after the test whatever happened */
const started: CentralProcess[] = [];

beforeAll(async () => {
  if (skip) return;
  broker = await startMosquitto(tmp.dir, undefined, { unlimitedQueue: true });
  const admin = new pg.Client(SERVER);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  db = new pg.Client({ ...SERVER, database });
  await db.connect();
}, 30_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await db?.end();
  if (!skip) {
    const admin = new pg.Client(SERVER);
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  await broker?.close();
  tmp.cleanup();
});

async function stored(gateways: readonly FakeGateway[]): Promise<number> {
  const { rows } = await db!.query<{ n: number }>('SELECT count(*)::int AS n FROM punches WHERE gateway = ANY($1)', [gateways.map((g) => g.id)]);
  return rows[0]!.n;
}

describe('two central processes on the PostgreSQL server', () => {
  it('one SIGKILLed mid-stream and started again: each punch of three gateways stored exactly once', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const prefix = `k${randomUUID().slice(0, 6)}`;
    const config = join(tmp.dir, 'central.yaml');
    writeFileSync(
      config,
      [
        `central: {id: c-${prefix}, dataDir: ${tmp.dir}/central, logLevel: info}`,
        `mqtt: {url: "${broker!.url}", topicPrefix: ${prefix}, group: fleet}`,
        "http: {enabled: false}",
        `postgres: {url: "${postgresUrl(database)}"}`,
        '',
      ].join('\n'),
    );
    const start = async (instance: string): Promise<CentralProcess> => {
      const p = await startCentralProcess(config, instance);
      started.push(p);
      return p;
    };
    const a = await start('a');
    let b = await start('b');
    const gateways = [new FakeGateway('DISDIK', 'gw-1', undefined, prefix), new FakeGateway('DISDIK', 'gw-2', undefined, prefix), new FakeGateway('BAPPEDA', 'gw-3', undefined, prefix)];
    await Promise.all(gateways.map((g) => g.connect(broker!.url)));
    const total = PER_GATEWAY * gateways.length;
    try {
      let killedAt: number | undefined;
      const sending = Promise.all(
        gateways.map(async (g) => {
          for (let sent = 0; sent < PER_GATEWAY; sent += 100) await g.publishPunches(g.make(Math.min(100, PER_GATEWAY - sent)));
        }),
      );
      // mid-stream: some stored, most still to come
      for (let i = 0; i < 600 && (await stored(gateways)) < total / 10; i++) await new Promise((r) => setTimeout(r, 50));
      killedAt = await stored(gateways);
      b.child.kill('SIGKILL');
      expect(await b.exited).toBe('SIGKILL');
      await sending;
      b = await start('b');
      for (let i = 0; i < 1200 && (await stored(gateways)) < total; i++) await new Promise((r) => setTimeout(r, 50));

      expect(killedAt).toBeLessThan(total);
      expect(await stored(gateways)).toBe(total);
      const { rows } = await db!.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT gateway, seq FROM punches WHERE gateway = ANY($1) GROUP BY gateway, seq HAVING count(*) > 1) d', [gateways.map((g) => g.id)]);
      expect(rows[0]!.n).toBe(0);
    } finally {
      await Promise.all(gateways.map((g) => g.close()));
    }
    // a clean stop on SIGTERM
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    expect(a.output()).toContain('"central stopped"');
  }, 240_000);
});
