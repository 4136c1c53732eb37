// The signed punch log end to end: a simulated ZK terminal (real protocol over TCP) → the real
// gateway → Aedes (MQTT 3.1.1) and an HTTPS receiver. What the centre receives — punches and
// checkpoints from MQTT, punches and checkpoints from HTTPS batches — verifies with the verifier
// module alone (src/log/verify.ts); the local API's checkpoint and proofs agree with it; the
// retained status names the key.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { loadConfigFile } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { checkConsistency, checkInclusion, openGatewayCheckpoint, verifyLog } from '../../src/log/verify.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { collect, startAedes, until, type Collector, type TestBroker } from '../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { tempDir } from '../helpers/tmp.js';
import { tlsFixture } from '../helpers/tls.js';


const SITE = 'LOGE2E';
const RECORDS = 260;
const REALTIME = 15;
const tmp = tempDir();
const sim = new ZkTcpSimulator({ serial: 'LOG0000000001', records: RECORDS, users: 30 });
let broker: TestBroker;
let receiver: HttpsReceiver;
let gateway: Gateway;
let punches: Collector;
let checkpoints: Collector;
let statuses: Collector;
let vkey: string;

interface Batch {
  schema: string;
  punches: { seq: number }[];
  checkpoint?: string;
}

beforeAll(async () => {
  broker = await startAedes();
  receiver = await startHttpsReceiver({ tls: true });
  const { port } = await sim.start();
  punches = await collect(broker.url, `absensi/${SITE}/+/punch`);
  checkpoints = await collect(broker.url, `absensi/${SITE}/gateway/+/checkpoint`);
  statuses = await collect(broker.url, `absensi/${SITE}/gateway/+/status`);
  const configFile = join(tmp.dir, 'config.yaml');
  writeFileSync(
    configFile,
    [
      `gateway: {id: gw-log, site: ${SITE}, dataDir: ${join(tmp.dir, 'data')}, logLevel: silent}`,
      'api: {listen: "127.0.0.1:0"}',
      'devices:',
      `  - {id: lobby, driver: zk-tcp, host: 127.0.0.1, port: ${port}, realtime: true, pollInterval: 1m}`,
      'publish:',
      `  mqtt: {url: "${broker.url}", reconnectMin: 100ms, reconnectMax: 500ms}`,
      `  https: {url: "${receiver.url}", caFile: ${tlsFixture().ca.certPath}, batchSize: 40, maxWait: 20ms}`,
      'log: {checkpointInterval: 200ms}',
      '',
    ].join('\n'),
  );
  gateway = new Gateway(loadConfigFile(configFile, { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), drivers: BUILTIN_DRIVERS, api: startApiServer });
  await gateway.start();
  vkey = gateway.logKey?.vkey as string;
  await until(() => gateway.states.get('lobby')?.online === true, 20_000, 'terminal online');
  await until(() => gateway.buffer.stats().headSeq >= RECORDS, 30_000, 'download committed');
  for (let i = 0; i < REALTIME; i++) sim.addPunch({ pin: String(100 + i), localTime: `2026-01-19T07:${String(10 + i).padStart(2, '0')}:00`, verify: 1, state: 0 });
  const total = RECORDS + REALTIME;
  await until(() => gateway.buffer.stats().headSeq >= total && gateway.buffer.stats().sinks.every((s) => s.pending === 0), 30_000, 'everything delivered');
  await punches.waitFor((n) => n >= total);
  await until(() => checkpoints.messages.some((m) => openGatewayCheckpoint(m.payload, vkey).size === total), 10_000, 'a checkpoint of the whole log on MQTT');
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([punches.close(), checkpoints.close(), statuses.close()]);
  await sim.stop();
  await receiver.close();
  await broker.close();
  tmp.cleanup();
});

describe('what the centre receives verifies with the verifier module alone', () => {
  it('MQTT: every punch and every retained checkpoint published', () => {
    const report = verifyLog({ key: vkey, punches: punches.messages.map((m) => JSON.parse(m.payload) as unknown), checkpoints: checkpoints.messages.map((m) => m.payload) });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.epochs).toHaveLength(1);
    expect(report.epochs[0]).toMatchObject({ size: RECORDS + REALTIME, verifiedSize: RECORDS + REALTIME, missing: [], altered: [] });
    expect(report.epochs[0]?.origin).toBe(`absensi-gateway/${SITE}/gw-log/${gateway.punchLog?.epoch}`);
    expect(checkpoints.messages.every((m) => m.topic === `absensi/${SITE}/gateway/gw-log/checkpoint`)).toBe(true);
  });

  it('HTTPS: the punches and checkpoints of the batches; each batch\'s checkpoint covers its highest seq', () => {
    const bodies = receiver.requests.map((r) => r.json as Batch);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) {
      expect(body.schema).toBe('punch-batch/v1');
      const cp = openGatewayCheckpoint(body.checkpoint as string, vkey);
      expect(cp.size).toBeGreaterThanOrEqual(Math.max(...body.punches.map((p) => p.seq)));
    }
    const report = verifyLog({ key: vkey, punches: bodies.flatMap((b) => b.punches), checkpoints: bodies.map((b) => b.checkpoint as string) });
    expect(report.problems).toEqual([]);
    expect(report.epochs[0]?.verifiedSize).toBe(RECORDS + REALTIME);
  });

  it('one punch altered on the way is caught', () => {
    const received = punches.messages.map((m) => JSON.parse(m.payload) as { seq: number; pin: string });
    const altered = received.map((p) => (p.seq === 100 ? { ...p, pin: '9999' } : p));
    const report = verifyLog({ key: vkey, punches: altered, checkpoints: checkpoints.messages.map((m) => m.payload) });
    expect(report.ok).toBe(false);
    const range = report.epochs[0]?.altered[0];
    expect(range && range.from <= 100 && 100 <= range.to).toBe(true);
  });
});

describe('the gateway says what it signs', () => {
  it('the retained status carries the verifier key', () => {
    const last = JSON.parse(statuses.messages.at(-1)?.payload ?? '{}') as { logKey?: string };
    expect(last.logKey).toBe(vkey);
    expect(vkey).toMatch(new RegExp(`^absensi-gateway/${SITE}/gw-log\\+[0-9a-f]{8}\\+`));
  });

  it('the local API: the latest checkpoint as text, inclusion and consistency proofs that check against it', async () => {
    const api = gateway.api?.url as string;
    const res = await fetch(`${api}/api/log/checkpoint`);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const latest = openGatewayCheckpoint(await res.text(), vkey);
    expect(latest.size).toBe(RECORDS + REALTIME);
    const first = JSON.parse(punches.messages.find((m) => (JSON.parse(m.payload) as { seq: number }).seq === 1)?.payload as string) as { seq: number };
    const inclusion = (await (await fetch(`${api}/api/log/inclusion?index=0&size=${latest.size}`)).json()) as { path: string[]; rootHash: string; origin: string };
    expect(inclusion.origin).toBe(latest.origin);
    expect(inclusion.rootHash).toBe(latest.root.toString('base64'));
    expect(checkInclusion(first, latest, inclusion.path)).toBe(true);
    const earliest = openGatewayCheckpoint(checkpoints.messages[0]?.payload as string, vkey);
    const consistency = (await (await fetch(`${api}/api/log/consistency?from=${earliest.size}&to=${latest.size}`)).json()) as { path: string[] };
    expect(checkConsistency(earliest, latest, consistency.path)).toBe(true);
    expect((await fetch(`${api}/api/log/inclusion?index=0&size=${latest.size + 1}`)).status).toBe(400);
    const gw = (await (await fetch(`${api}/api/gateway`)).json()) as { log: { key: string; checkpoint: { size: number } } };
    expect(gw.log).toMatchObject({ key: vkey, checkpoint: { size: latest.size } });
    expect(await (await fetch(`${api}/metrics`)).text()).toMatch(/^gateway_log_checkpoint_age_seconds \d/m);
  });
});
