// The reference centre against real parts: a private Mosquitto (MQTT 5, shared subscriptions),
// PGlite always and the PostgreSQL server on 127.0.0.1:5432 when it answers (each run in a
// database of its own, dropped after). Gateways are FakeGateway: real punch/v1, real leaves and
// signed checkpoints, so that alterations, gaps and forged signatures can be made on purpose.
// Without /usr/sbin/mosquitto (Aedes has no MQTT 5 and no $share) the suite is skipped, saying so.
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Central } from '../../src/central/central.js';
import { parseCentralConfig, type CentralConfig } from '../../src/central/config.js';
import { migrateCentral } from '../../src/central/migrations.js';
import { dayReport } from '../../src/central/report.js';
import { openEmbedded, openPostgres, type CentralStore } from '../../src/central/store.js';
import { deviceStatusSchema, gatewayStatusSchema } from '../../src/punch/status.js';
import { silentLogger } from '../../src/util/logger.js';
import { mosquittoInstalled, startMosquitto, until, type TestBroker } from '../helpers/broker.js';
import { POSTGRES_SERVER as SERVER, postgresReachable, postgresUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';
import { feed, startTestGateway } from '../e2e/fixture.js';
import { feeds } from '../helpers/feedDriver.js';
import { rawPunch } from '../helpers/punches.js';
import { FakeGateway } from './fakeGateway.js';

const engines: ('pglite' | 'postgres')[] = ['pglite', ...((await postgresReachable()) ? (['postgres'] as const) : [])];
const tmp = tempDir();
let broker: TestBroker | undefined;

beforeAll(async () => {
  if (mosquittoInstalled()) broker = await startMosquitto(tmp.dir);
});
afterAll(async () => {
  await broker?.close();
  tmp.cleanup();
});

function configFor(prefix: string, group = `g-${prefix}`, extra = ''): CentralConfig {
  return parseCentralConfig(
    [`central: {id: c-${prefix}, dataDir: ${tmp.dir}/central, logLevel: silent}`, `mqtt: {url: "${broker?.url}", topicPrefix: ${prefix}, group: ${group}}`, 'verify: {missingAfter: 0s, sweepInterval: 1h}', 'http: {enabled: false}', extra, ''].join('\n'),
    'central.yaml',
  );
}

const count = async (store: CentralStore, sql: string, params: unknown[] = []): Promise<number> => Number(((await store.query<{ n: number }>(sql, params)).rows[0] as { n: number }).n);

describe.for(engines)('the centre on %s', (engine) => {
  let store: CentralStore;
  let database: string | undefined;
  beforeAll(async () => {
    if (engine === 'pglite') store = await openEmbedded(undefined);
    else {
      database = `central_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const admin = new pg.Client(SERVER);
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.end();
      store = await openPostgres(postgresUrl(database));
    }
    expect(await migrateCentral(store)).toEqual([1, 2]);
    expect(await migrateCentral(store)).toEqual([]);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    if (database) {
      const admin = new pg.Client(SERVER);
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    }
  });

  async function startCentral(prefix: string, instance = '1', group?: string): Promise<Central> {
    const central = new Central({ config: configFor(prefix, group), log: silentLogger(), instance, store });
    await central.start();
    return central;
  }

  it('stores every punch once, verifies the checkpoints, and calls the day complete', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto: the centre needs MQTT 5 shared subscriptions (Aedes has neither)');
    const prefix = `p${randomUUID().slice(0, 6)}`;
    const central = await startCentral(prefix);
    const gateway = new FakeGateway('BKPP', 'gw-ok', undefined, prefix);
    await gateway.connect(broker.url);
    try {
      await gateway.publishStatus();
      const punches = gateway.make(40);
      await gateway.publishPunches(punches);
      await gateway.publishPunches(punches.slice(0, 10)); // redeliveries
      await gateway.publishWatermark('2026-01-19T23:59:59+07:00');
      await gateway.publishCheckpoint(gateway.checkpoint(20));
      await gateway.publishCheckpoint();
      await until(() => (central.receiver?.counts.punchesStored ?? 0) + (central.receiver?.counts.punchesDuplicate ?? 0) >= 50, 20_000, 'punches stored');
      await central.checker?.sweep();
      expect(await count(store, 'SELECT count(*)::int AS n FROM punches WHERE gateway = $1', ['gw-ok'])).toBe(40);
      // (counted when it arrives, stored a moment later: wait for the rows)
      const checkpointStatuses = async (): Promise<{ size: number; status: string }[]> => (await store.query<{ size: number; status: string }>("SELECT size, status FROM checkpoints WHERE gateway = 'gw-ok' ORDER BY size")).rows;
      for (let i = 0; i < 200 && (await checkpointStatuses()).filter((c) => c.status === 'verified').length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        await central.checker?.sweep();
      }
      const statuses = await checkpointStatuses();
      expect(statuses).toEqual([{ size: 20, status: 'verified' }, { size: 40, status: 'verified' }]);
      const day = await dayReport(store, '2026-01-19');
      expect(day.devices.find((d) => d.gateway === 'gw-ok')).toMatchObject({ complete: true, punches: 40, missing: [] });
      expect((await store.query("SELECT * FROM log_problems WHERE gateway = 'gw-ok'")).rows).toEqual([]);
    } finally {
      await gateway.close();
      await central.stop();
    }
  }, 60_000);

  it('an altered punch, a gap and a forged checkpoint each become a log problem; the report says what is missing', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto');
    const prefix = `p${randomUUID().slice(0, 6)}`;
    const central = await startCentral(prefix);
    const altered = new FakeGateway('BKPP', 'gw-altered', undefined, prefix);
    const gap = new FakeGateway('BKPP', 'gw-gap', undefined, prefix);
    const forged = new FakeGateway('BKPP', 'gw-forged', undefined, prefix);
    const forger = new FakeGateway('BKPP', 'gw-forged', undefined, prefix);
    await Promise.all([altered.connect(broker.url), gap.connect(broker.url), forged.connect(broker.url)]);
    try {
      for (const g of [altered, gap, forged]) await g.publishStatus();
      const a = altered.make(10);
      await altered.publishPunches(a.map((p) => (p.seq === 5 ? { ...p, pin: '99999' } : p)));
      const g = gap.make(10);
      await gap.publishPunches(g.filter((p) => p.seq !== 7));
      forged.make(3);
      await forged.publishPunches(forged.punches);
      forger.make(3);
      // the checkpoints after the punches are stored: with missingAfter 0s a checkpoint checked while
      // a punch it covers is still being committed (another connection of the group) is a gap
      await until(() => (central.receiver?.counts.punchesStored ?? 0) >= 22, 20_000, 'the punches stored');
      await altered.publishCheckpoint();
      await gap.publishWatermark('2026-01-19T23:59:59+07:00');
      await gap.publishCheckpoint();
      await forged.publishCheckpoint(forged.checkpoint(3, forger.signer));
      await until(() => (central.receiver?.counts.checkpoints ?? 0) >= 3, 20_000, 'the checkpoints received');
      await central.checker?.sweep();
      const problems = (await store.query<{ gateway: string; kind: string; seq_from: number | null }>('SELECT gateway, kind, seq_from FROM log_problems ORDER BY gateway, kind')).rows;
      expect(problems).toEqual([
        { gateway: 'gw-altered', kind: 'root-mismatch', seq_from: null },
        { gateway: 'gw-forged', kind: 'bad-signature', seq_from: null },
        { gateway: 'gw-gap', kind: 'missing', seq_from: 7 },
      ]);
      const day = await dayReport(store, '2026-01-19');
      expect(day.devices.find((d) => d.gateway === 'gw-gap')?.missing).toEqual(['1 of the gateway\'s seqs up to 10 are not stored', "the gateway's log is verified only through seq 0, not 10"]);
      // the gap fills: the next sweep verifies the checkpoint
      await gap.publishPunches(g.filter((p) => p.seq === 7));
      await until(() => (central.receiver?.counts.punchesStored ?? 0) >= 23, 10_000, 'the late punch');
      await central.checker?.sweep();
      expect((await store.query("SELECT status FROM checkpoints WHERE gateway = 'gw-gap'")).rows).toEqual([{ status: 'verified' }]);
      expect((await dayReport(store, '2026-01-19')).devices.find((d) => d.gateway === 'gw-gap')).toMatchObject({ complete: true });
    } finally {
      await Promise.all([altered.close(), gap.close(), forged.close()]);
      await central.stop();
    }
  }, 60_000);

  it('a real gateway: its punches, status and checkpoints reach the centre, and its log verifies', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto');
    // a group of its own: a stopped centre's persistent session stays a member of its group and
    // keeps its share of the group's messages queued until it comes back (README "The centre")
    const central = await startCentral('absensi', '1', `real-${engine}`);
    const dir = tempDir();
    const gateway = await startTestGateway({ dir: dir.dir, mqttUrl: broker.url, checkpointInterval: '200ms' });
    try {
      await feed('dev-a').push([rawPunch(1), rawPunch(2), rawPunch(3)]);
      await feed('dev-b').push([rawPunch(4)]);
      await until(() => (central.receiver?.counts.punchesStored ?? 0) >= 4, 20_000, 'the gateway\'s punches at the centre');
      const head = gateway.buffer.headSeq();
      const verified = async (): Promise<boolean> => {
        await central.checker?.sweep();
        return (await count(store, "SELECT count(*)::int AS n FROM checkpoints WHERE gateway = 'gw-api' AND size = $1 AND status = 'verified'", [head])) > 0;
      };
      for (let i = 0; i < 100 && !(await verified()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await verified()).toBe(true);
      const key = (await store.query<{ log_key: string }>("SELECT log_key FROM gateways WHERE id = 'gw-api'")).rows[0]?.log_key;
      expect(key).toBe(gateway.logKey?.vkey);
      expect((await store.query("SELECT * FROM log_problems WHERE gateway = 'gw-api'")).rows).toEqual([]);
      // its statuses are what src/punch/status.ts (and so config/asyncapi.yaml) says, field for field
      const devices = async (): Promise<{ device_id: string; status: unknown }[]> => (await store.query<{ device_id: string; status: unknown }>("SELECT device_id, status FROM devices WHERE gateway = 'gw-api' AND site = $1 ORDER BY device_id", [gateway.config.gateway.site])).rows;
      for (let i = 0; i < 100 && (await devices()).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await devices()).map((d) => d.device_id)).toEqual(['dev-a', 'dev-b', 'dev-off']);
      for (const d of await devices()) z.strictObject(deviceStatusSchema.shape).parse(d.status);
      const status = (await store.query<{ status: unknown }>("SELECT status FROM gateways WHERE id = 'gw-api'")).rows[0]?.status;
      const parsed = z.strictObject(gatewayStatusSchema.shape).parse(status);
      expect(Object.values(parsed.queue ?? {}).every((q) => 'oldestPendingAt' in q)).toBe(true);
    } finally {
      await gateway.stop();
      feeds.clear();
      dir.cleanup();
      await central.stop();
      // its retained status and checkpoint would otherwise greet the next run's gateway of the same id (another key)
      const cleaner = await mqtt.connectAsync(broker.url);
      const site = gateway.config.gateway.site;
      for (const topic of [`absensi/${site}/gateway/gw-api/status`, `absensi/${site}/gateway/gw-api/checkpoint`]) await cleaner.publishAsync(topic, '', { qos: 1, retain: true });
      await cleaner.endAsync();
    }
  }, 60_000);

  it('HTTPS: a real gateway\'s batches stored and their checkpoints verified; unknown tokens, other gateways and bad punches refused', async () => {
    const token = 'central-test-token-0123456789';
    const dir = tempDir();
    const gateway = await startTestGateway({ dir: dir.dir, httpsUrl: 'http://127.0.0.1:9/api/punches', httpsToken: token, checkpointInterval: '200ms' });
    let central: Central | undefined;
    try {
      // a gateway that delivers only over HTTPS has no status to learn its key from: central.yaml names it
      const yaml = [
        `central: {id: c-https-${engine}, dataDir: ${tmp.dir}/central, logLevel: silent}`,
        `https: {listen: "127.0.0.1:0", tokens: {gw-api: {token: ${token}}}}`,
        `gateways: {gw-api: {logKey: "${gateway.logKey?.vkey}"}}`,
        'verify: {missingAfter: 0s, sweepInterval: 1h}',
        'http: {enabled: false}',
        '',
      ].join('\n');
      central = new Central({ config: parseCentralConfig(yaml, 'central.yaml'), log: silentLogger(), store });
      await central.start();
      const url = `${central.httpsUrl}/api/punches`;
      await gateway.stop();
      feeds.clear();
      const again = await startTestGateway({ dir: dir.dir, httpsUrl: url, httpsToken: token, checkpointInterval: '200ms' });
      try {
        await feed('dev-a').push([rawPunch(11), rawPunch(12), rawPunch(13)]);
        await until(() => (central?.https?.counts.punchesStored ?? 0) >= 3, 20_000, 'the batch at the centre');
        const head = again.buffer.headSeq();
        const verified = async (): Promise<boolean> => {
          await central?.checker?.sweep();
          return (await count(store, "SELECT count(*)::int AS n FROM checkpoints WHERE gateway = 'gw-api' AND size >= $1 AND status = 'verified'", [head])) > 0;
        };
        for (let i = 0; i < 100 && !(await verified()); i++) await new Promise((r) => setTimeout(r, 100));
        expect(await verified()).toBe(true);
      } finally {
        await again.stop();
        feeds.clear();
      }
      const post = (body: unknown, auth = `Bearer ${token}`): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(body) });
      const punch = (await store.query<{ body: Record<string, unknown> }>("SELECT body FROM punches WHERE gateway = 'gw-api' LIMIT 1")).rows[0]!.body;
      const batch = { schema: 'punch-batch/v1', gateway: 'gw-api', site: punch.site, punches: [punch] };
      expect((await post(batch, 'Bearer not-a-known-token-at-all')).status).toBe(401);
      expect((await post(batch, '')).status).toBe(401);
      expect((await post({ ...batch, gateway: 'gw-other' })).status).toBe(403);
      const mixed = await post({ ...batch, punches: [punch, { ...punch, id: 'f'.repeat(32), pin: 'not a pin!' }, { ...punch, id: 'e'.repeat(32), site: 'ELSEWHERE' }] });
      expect(mixed.status).toBe(200);
      expect(await mixed.json()).toMatchObject({ accepted: 0, duplicates: 1, rejected: [{ id: 'f'.repeat(32) }, { id: 'e'.repeat(32) }] });
      expect(await count(store, "SELECT count(*)::int AS n FROM punches WHERE id IN ($1, $2)", ['f'.repeat(32), 'e'.repeat(32)])).toBe(0);
    } finally {
      await central?.stop();
      dir.cleanup();
    }
  }, 60_000);

  it('two centres in one group split the punches of three gateways; one killed mid-stream and restarted: each punch exactly once', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto');
    const prefix = `p${randomUUID().slice(0, 6)}`;
    const first = await startCentral(prefix, 'a');
    let second = await startCentral(prefix, 'b');
    const gateways = [new FakeGateway('DISDIK', 'gw-1', undefined, prefix), new FakeGateway('DISDIK', 'gw-2', undefined, prefix), new FakeGateway('BAPPEDA', 'gw-3', undefined, prefix)];
    await Promise.all(gateways.map((g) => g.connect(broker!.url)));
    const PER_GATEWAY = Number(process.env.CENTRAL_PUNCHES ?? 600);
    try {
      const sending = Promise.all(gateways.map(async (g) => {
        for (let sent = 0; sent < PER_GATEWAY; sent += 100) await g.publishPunches(g.make(100));
      }));
      await until(() => (second.receiver?.counts.punchesStored ?? 0) > 20, 20_000, 'the second centre took some');
      second.receiver?.kill();
      await sending;
      await second.stop().catch(() => undefined);
      second = await startCentral(prefix, 'b');
      const total = PER_GATEWAY * gateways.length;
      const stored = (): Promise<number> => count(store, 'SELECT count(*)::int AS n FROM punches WHERE gateway = ANY($1)', [gateways.map((g) => g.id)]);
      for (let i = 0; i < 400 && (await stored()) < total; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await stored()).toBe(total);
      expect(first.receiver?.counts.punchesStored).toBeGreaterThan(0);
      const doubled = await count(store, 'SELECT count(*)::int AS n FROM (SELECT gateway, seq FROM punches WHERE gateway = ANY($1) GROUP BY gateway, seq HAVING count(*) > 1) d', [gateways.map((g) => g.id)]);
      expect(doubled).toBe(0);
    } finally {
      await Promise.all(gateways.map((g) => g.close()));
      await first.stop();
      await second.stop();
    }
  }, 120_000);
});
