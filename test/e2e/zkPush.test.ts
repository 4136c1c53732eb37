// End to end with the shipped push-terminal simulator: simulator → push listener → zk-push driver →
// SQLite → Aedes subscriber and HTTPS receiver, over real sockets on 127.0.0.1 port 0.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ZkPushDriver } from '../../drivers/zk-push/index.js';
import type { Gateway } from '../../src/gateway.js';
import type { Punch } from '../../src/punch/punch.js';
import { simRequest } from '../../src/sim/zkPush/index.js';
import { ZkPushSimulator, type ZkPushSimOptions } from '../../src/sim/zkPush/index.js';
import { collect, startAedes, until, type Collector, type TestBroker } from '../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { tempDir } from '../helpers/tmp.js';
import { pushUrl, startPushGateway, type PushGatewaySetup } from '../drivers/zk-push/gatewayHarness.js';
import { punchesOf } from '../drivers/zk-push/punchesOf.js';

const SN = 'SIMPUSH00001';
let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let receiver: HttpsReceiver;
let sub: Collector;
const gateways: Gateway[] = [];
const sims: ZkPushSimulator[] = [];

beforeEach(async () => {
  tmp = tempDir();
  broker = await startAedes();
  receiver = await startHttpsReceiver();
  sub = await collect(broker.url, 'absensi/PUSHTEST/+/punch');
});
afterEach(async () => {
  for (const sim of sims.splice(0)) await sim.stop();
  for (const gw of gateways.splice(0)) await gw.stop();
  await sub.close();
  await receiver.close();
  await broker.close();
  tmp.cleanup();
});

async function gateway(extra: Partial<PushGatewaySetup> = {}): Promise<Gateway> {
  const gw = await startPushGateway({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: SN }], mqttUrl: broker.url, httpsUrl: receiver.url, ...extra });
  gateways.push(gw);
  return gw;
}

function simulator(gw: Gateway, options: Partial<ZkPushSimOptions> = {}): ZkPushSimulator {
  const sim = new ZkPushSimulator({ target: pushUrl(gw), serial: SN, retryMs: 20, ...options });
  sims.push(sim);
  return sim;
}

const mqttIds = (): Set<string> => new Set(sub.messages.map((m) => (JSON.parse(m.payload) as Punch).id));

describe('zk-push end to end', () => {
  it('handshake, realtime punches over HTTP/1.0 + gzip, delivered to MQTT and HTTPS once each', async () => {
    const gw = await gateway();
    const sim = simulator(gw, { quirks: { gzip: true, http10: true, stamp9999: true, extendedFields: true } });
    const options = await sim.handshake();
    expect(options).toMatchObject({ Delay: '30', TimeZone: '7', Realtime: '1', ATTLOGStamp: 'None' });
    for (const pin of ['1', '2', '3']) sim.addPunch({ pin, state: 0, verify: 15 });
    expect(await sim.upload()).toBe(3);
    await sub.waitFor((n) => n >= 3);
    await receiver.waitForAccepted(3);
    const punches = sub.messages.map((m) => JSON.parse(m.payload) as Punch);
    expect(punches.map((p) => [p.pin, p.state, p.verify, p.device.serial, p.device.protocol])).toEqual([
      ['1', 'check-in', 'face', SN, 'zk-push'], ['2', 'check-in', 'face', SN, 'zk-push'], ['3', 'check-in', 'face', SN, 'zk-push'],
    ]);
    expect(new Set(receiver.acceptedIds)).toEqual(mqttIds());
    expect(gw.states.get('loket-1')).toMatchObject({ online: true, serial: SN, punchesCommitted: 3 });
  });

  it('a gateway restart in the middle of an upload: the terminal retries; nothing lost, no id twice', async () => {
    const first = await gateway();
    const sim = simulator(first, { batchSize: 40 });
    await sim.handshake();
    for (let i = 0; i < 200; i += 1) sim.addPunch({ pin: String(1000 + i), localTime: `2026-01-05T07:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}` });
    let batches = 0;
    let restarted: Promise<void> | undefined;
    sim.onUploaded = () => {
      batches += 1;
      if (batches === 2) {
        // the gateway goes away between two bodies; the third is refused and retried
        restarted = (async () => {
          gateways.splice(gateways.indexOf(first), 1);
          await first.stop();
          const second = await gateway();
          sim.dropNextReplies = 1; // and one body commits whose OK the terminal never hears
          sim.target = new URL(pushUrl(second));
        })();
      }
    };
    const uploading = sim.upload();
    await until(() => restarted !== undefined, 20_000, 'two batches');
    await restarted;
    expect(await uploading).toBe(200);
    expect(sim.attempts['cdata-post']).toBeGreaterThan(5);
    const second = gateways[0]!;
    const stored = punchesOf(second.bufferFile);
    expect(stored).toHaveLength(200);
    expect(new Set(stored.map((p) => p.id)).size).toBe(200);
    await sub.waitFor(() => mqttIds().size >= 200);
    await receiver.waitForAccepted(200);
    expect(mqttIds().size).toBe(200);
  });

  it('a terminal clock 2 hours ahead: punches before the handshake keep its time; after it, the terminal follows the gateway', async () => {
    const gw = await gateway();
    const sim = simulator(gw, { clockOffsetSec: 7200 });
    sim.addPunch({ pin: 'early' });
    await sim.handshake();
    expect(Math.abs(sim.clockOffsetSec)).toBeLessThan(60);
    sim.addPunch({ pin: 'later' });
    await sim.upload();
    const [early, later] = punchesOf(gw.bufferFile);
    const aheadSec = (p: Punch): number => (Date.parse(p.utc) - Date.parse(p.receivedAt)) / 1000;
    expect(early!.pin).toBe('early');
    expect(aheadSec(early!)).toBeGreaterThan(3600);
    expect(Math.abs(aheadSec(later!))).toBeLessThan(60);
  });

  it('an unknown serial keeps being told to retry, and is listed (also in /api/devices)', async () => {
    const gw = await gateway({ api: true });
    const stranger = simulator(gw, { serial: 'STRANGER0001' });
    void stranger.handshake().catch(() => undefined);
    await until(() => (gw.push?.unknown()[0]?.requests ?? 0) >= 2, 10_000, 'two refused handshakes');
    expect(gw.push!.unknown()[0]).toMatchObject({ serial: 'STRANGER0001', remoteAddress: '127.0.0.1' });
    expect(punchesOf(gw.bufferFile)).toHaveLength(0);
    const devices = (await (await fetch(`${gw.api!.url}/api/devices`)).json()) as { devices: { id: string; enabled: boolean; lastError: string | null }[] };
    expect(devices.devices.map((d) => d.id)).toEqual(['loket-1', 'unknown:STRANGER0001']);
    expect(devices.devices[1]).toMatchObject({ enabled: false, lastError: expect.stringMatching(/^GW_ERR_PUSH_UNKNOWN_DEVICE: unknown, asking to connect/), lastErrorCode: 'GW_ERR_PUSH_UNKNOWN_DEVICE' });
    expect(((await (await fetch(`${gw.api!.url}/api/push/unknown`)).json()) as { terminals: unknown[] }).terminals).toHaveLength(1);
    const backfill = async (id: string, body: unknown) => fetch(`${gw.api!.url}/api/devices/${id}/backfill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await backfill('nope', {})).status).toBe(404);
    expect((await backfill('loket-1', { since: 'yesterday' })).status).toBe(400);
    expect(await (await backfill('loket-1', { since: '2026-01-05', until: '2026-01-05' })).json()).toMatchObject({ since: '2026-01-05T00:00:00', until: '2026-01-05T23:59:59' });
  });

  it('backfill and INFO through the command queue: the terminal uploads the range again, all duplicates', async () => {
    const gw = await gateway();
    const sim = simulator(gw, { model: 'MB160' });
    await sim.handshake();
    sim.addPunch({ pin: '7', localTime: '2026-01-05T07:00:00' });
    sim.addPunch({ pin: '8', localTime: '2026-01-06T07:00:00' });
    await sim.upload();
    const driver = gw.supervisor.driverOf('loket-1') as ZkPushDriver;
    const query = driver.queueBackfill('2026-01-05T00:00:00', '2026-01-05T23:59:59');
    // INFO was queued by the handshake; the backfill after it
    expect(await sim.poll()).toBe(2);
    await expect(query.result).resolves.toMatchObject({ returnCode: 0 });
    expect(sim.commandsRun.map((c) => c.command.split(' ')[0])).toEqual(['INFO', 'DATA']);
    expect(sim.attempts['cdata-post']).toBe(2);
    expect(punchesOf(gw.bufferFile)).toHaveLength(2);
    expect(gw.states.get('loket-1')).toMatchObject({ model: 'MB160' });
  });

  it('a body over maxBodyBytes is refused over a real socket, and the Date header is always there', async () => {
    const gw = await gateway({ maxBodyBytes: 1024 });
    const target = new URL(pushUrl(gw));
    const big = await simRequest({ target, method: 'POST', pathAndQuery: `/iclock/cdata?SN=${SN}&table=ATTLOG`, body: '1\t2026-01-05 07:00:00\t0\t1\t\t0\t0\t\r\n'.repeat(100) });
    expect(big.status).toBe(413);
    const ping = await simRequest({ target, method: 'GET', pathAndQuery: `/iclock/ping?SN=${SN}`, http10: true });
    expect(ping).toMatchObject({ status: 200, body: 'OK' });
    expect(Number.isFinite(Date.parse(ping.headers.date ?? ''))).toBe(true);
  });
});
