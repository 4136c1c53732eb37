// End to end: the ISAPI simulator (pulled over Digest, and pushing to the listener) → a real
// Gateway from YAML → an Aedes broker subscriber and an HTTPS receiver, all on loopback.
// Every punch arrives once on each sink; the same event pulled and pushed is one punch.
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../src/gateway.js';
import type { Punch } from '../../../src/punch/punch.js';
import type { HikvisionSimulator } from '../../../src/sim/hikvision/index.js';
import { collect, startAedes, type Collector, type TestBroker } from '../../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../../helpers/httpsReceiver.js';
import { tempDir } from '../../helpers/tmp.js';
import { punchesOf } from '../zk-push/punchesOf.js';
import { startHikGateway } from './gateway.js';
import { PASSWORD, startSim } from './harness.js';

let tmp: ReturnType<typeof tempDir> | undefined;
let sim: HikvisionSimulator | undefined;
let broker: TestBroker | undefined;
let receiver: HttpsReceiver | undefined;
let subscriber: Collector | undefined;
let gateway: Gateway | undefined;

afterEach(async () => {
  await gateway?.stop();
  await subscriber?.close();
  await receiver?.close();
  await broker?.close();
  await sim?.stop();
  tmp?.cleanup();
});

describe('hikvision-isapi e2e', () => {
  it('pulled and pushed punches reach MQTT and HTTPS once each', async () => {
    tmp = tempDir();
    sim = await startSim({ records: 45, pageCap: 20, shuffle: true });
    broker = await startAedes();
    receiver = await startHttpsReceiver();
    subscriber = await collect(broker.url, 'absensi/PUSHTEST/lobby-face/punch');
    gateway = await startHikGateway({
      dir: tmp.dir,
      mqttUrl: broker.url,
      httpsUrl: receiver.url,
      devices: [`{id: lobby-face, driver: hikvision-isapi, host: 127.0.0.1, port: ${sim.address.port}, password: ${PASSWORD}, push: true, pollInterval: 1h, pageSize: 20}`],
    });
    await subscriber.waitFor((n) => n >= 45);
    await receiver.waitForAccepted(45);

    // one new punch pushed by the terminal, and the same event seen again by the next pull
    const pushed = sim.addPunch('2001', { attendanceStatus: 'checkOut' });
    const address = gateway.push!.app.server.address() as { port: number };
    expect(await sim.push(`http://127.0.0.1:${address.port}/hikvision/lobby-face`, pushed)).toBe(200);
    await (gateway.supervisor.driverOf('lobby-face') as unknown as { syncOnce(): Promise<unknown> }).syncOnce();
    await subscriber.waitFor((n) => n >= 46);
    await receiver.waitForAccepted(46);

    const mqttPunches = subscriber.messages.map((m) => JSON.parse(m.payload) as Punch);
    const ids = new Set(mqttPunches.map((p) => p.id));
    expect(ids.size).toBe(46);
    expect(new Set(receiver.acceptedIds)).toEqual(ids);
    const committed = punchesOf(gateway.bufferFile, 'lobby-face');
    expect(committed).toHaveLength(46);
    const last = mqttPunches.find((p) => p.pin === '2001')!;
    expect(last).toMatchObject({ schema: 'punch/v1', state: 'check-out', verify: 'face', device: { id: 'lobby-face', serial: 'DS-K1T341AM20220101V030230ENG12345678', protocol: 'hikvision-isapi', model: 'DS-K1T341AM' } });
    expect(last.time).toMatch(/\+07:00$/);
    expect(gateway.states.get('lobby-face')).toMatchObject({ online: true, lastError: null, details: { ignoredEvents: expect.any(Number) } });
  });
});
