// The forger's flood in short (issue #15 "How it is tested"; the 10 s measurement is
// `npm run bench:flood`): a real Gateway (push listener on 127.0.0.1, SQLite buffer, Aedes sink),
// a forger on 127.0.0.2 sending forged uploads, wrong-key handshakes, forged polls and results,
// unknown serials and slow sockets for 2.5 s, while two real terminals on 127.0.0.1 keep
// uploading. Asserts outcomes only: no real punch lost (committed and delivered), no forged punch
// committed, every kind of refusal counted.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../../src/gateway.js';
import type { Punch } from '../../../src/punch/punch.js';
import { FLOOD_TERMINALS, runFlood } from '../../bench/flood.js';
import { startPushGateway } from '../../drivers/zk-push/gatewayHarness.js';
import { punchesOf } from '../../drivers/zk-push/punchesOf.js';
import { collect, startAedes, until, type Collector, type TestBroker } from '../../helpers/broker.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let sub: Collector;
let gateway: Gateway;

beforeAll(async () => {
  tmp = tempDir();
  broker = await startAedes();
  sub = await collect(broker.url, 'absensi/PUSHTEST/+/punch');
  gateway = await startPushGateway({ dir: tmp.dir, devices: FLOOD_TERMINALS.map((t) => ({ id: t.id, serial: t.serial, extra: t.entry })), mqttUrl: broker.url, pushListener: ['requestTimeout: 1s'] });
});
afterAll(async () => {
  await gateway?.stop();
  await sub?.close();
  await broker?.close();
  tmp.cleanup();
});

async function counter(metric: 'pushRefused' | 'rejected', labels: Record<string, string>): Promise<number> {
  const values = (await gateway.metrics[metric].get()).values;
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k as keyof typeof v.labels] === want)).reduce((sum, v) => sum + v.value, 0);
}

it('a 2.5 s flood from one host: every real punch committed and delivered, no forged punch committed, every refusal counted', async () => {
  const port = (gateway.push!.app.server.address() as { port: number }).port;
  const outcome = await runFlood({ port, durationMs: 2500, terminals: FLOOD_TERMINALS });
  for (const t of FLOOD_TERMINALS) {
    const sent = outcome.sent[t.serial]!;
    expect(sent.length).toBeGreaterThan(0);
    const committed = punchesOf(gateway.bufferFile, t.id);
    expect(committed.map((p) => p.pin)).toEqual(sent);
    expect(committed.every((p) => p.device.address === '127.0.0.1')).toBe(true);
  }
  const all = punchesOf(gateway.bufferFile);
  expect(all.filter((p) => p.pin.startsWith('9'))).toEqual([]);
  await until(() => new Set(sub.messages.map((m) => (JSON.parse(m.payload) as Punch).id)).size >= all.length, 20_000, 'every real punch delivered');
  expect(new Set(sub.messages.map((m) => (JSON.parse(m.payload) as Punch).id))).toEqual(new Set(all.map((p) => p.id)));

  expect(await counter('pushRefused', { device: 'loket-kunci', reason: 'pin' })).toBeGreaterThan(0);
  expect(await counter('pushRefused', { device: 'loket-kunci', reason: 'comm-key' })).toBeGreaterThan(0);
  expect(await counter('pushRefused', { device: 'loket-alamat', reason: 'source' })).toBeGreaterThan(0);
  expect(await counter('pushRefused', { device: '(push)', reason: 'connections-per-address' })).toBeGreaterThan(0);
  expect(await counter('rejected', { reason: 'unknown-serial' })).toBeGreaterThan(0);
  // the pin stayed with the real terminal, and nothing the forger sent became the device's identity
  expect(gateway.buffer.getCheckpoint('loket-kunci', 'pinnedAddress')).toMatchObject({ address: '127.0.0.1' });
  expect(gateway.states.get('loket-kunci')).toMatchObject({ model: null, lastError: null });
  expect(Object.keys(outcome.forger).some((k) => k.startsWith('forged-upload '))).toBe(true);
});
