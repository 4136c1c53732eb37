// A push terminal polls the gateway every few seconds; its retained MQTT status goes out when it
// changes, not on every poll (issue 19, finding 5).
import { afterEach, expect, it } from 'vitest';
import type { Gateway } from '../../../src/gateway.js';
import { ZkPushSimulator } from '../../../src/sim/zkPush/index.js';
import { collect, startAedes, type Collector, type TestBroker } from '../../helpers/broker.js';
import { until } from '../../helpers/until.js';
import { tempDir } from '../../helpers/tmp.js';
import { pushUrl, startPushGateway } from './gatewayHarness.js';

let tmp: ReturnType<typeof tempDir> | undefined;
let broker: TestBroker | undefined;
let gateway: Gateway | undefined;
let sim: ZkPushSimulator | undefined;
let status: Collector | undefined;

afterEach(async () => {
  await sim?.stop();
  await gateway?.stop();
  await status?.close();
  await broker?.close();
  tmp?.cleanup();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

it('polls that change nothing re-publish nothing; a change is published', async () => {
  tmp = tempDir();
  broker = await startAedes();
  gateway = await startPushGateway({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: 'SIMPUSH00001' }], mqttUrl: broker.url });
  await until(() => gateway!.publishers.every((p) => p.health().connected), 'mqtt connected');
  status = await collect(broker.url, 'absensi/PUSHTEST/loket-1/status');
  sim = new ZkPushSimulator({ target: pushUrl(gateway), serial: 'SIMPUSH00001', retryMs: 20 });
  await sim.handshake();
  await sim.poll(); // the first poll's INFO names the model: a change
  await until(() => status!.messages.some((m) => (JSON.parse(m.payload) as { model: string | null }).model === 'SIM-PUSH'), 'online with its model published');
  const afterHandshake = status.messages.length;
  // each poll reports the terminal online again; past the 1 s throttle each would have been a publish
  for (let i = 0; i < 3; i += 1) {
    await sleep(1100);
    await sim.poll();
  }
  await sleep(1100);
  expect(status.messages.length).toBe(afterHandshake);
  sim.addPunch({ pin: '1' });
  await sim.upload();
  await until(() => status!.messages.length > afterHandshake, 'the new lastPunchAt published');
  expect(JSON.parse(status.messages.at(-1)!.payload)).toMatchObject({ online: true, lastPunchAt: expect.any(String) });
});
