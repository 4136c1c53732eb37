// Simulator → whole Gateway (YAML config) → SQLite buffer → an Aedes subscriber and an HTTPS receiver:
// every punch arrives once on both sinks as punch/v1 with the device zone offset and the contract id.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import { Gateway } from '../../../src/gateway.js';
import { punchId, punchSchema, type Punch } from '../../../src/punch/punch.js';
import { ZkSoapSimulator } from '../../../src/sim/zkSoap/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { collect, startAedes, type Collector, type TestBroker } from '../../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../../helpers/httpsReceiver.js';
import { tempDir } from '../../helpers/tmp.js';

let sim: ZkSoapSimulator | undefined;
let broker: TestBroker | undefined;
let subscriber: Collector | undefined;
let receiver: HttpsReceiver | undefined;
let gateway: Gateway | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;

afterEach(async () => {
  await gateway?.stop();
  await subscriber?.close();
  await receiver?.close();
  await broker?.close();
  await sim?.stop();
  tmp?.cleanup();
  gateway = undefined;
});

function soapConfigYaml(o: { dir: string; simPort: number; mqttUrl: string; httpsUrl: string }): string {
  return [
    'gateway:',
    '  id: gw-soap',
    '  site: SOAPTEST',
    '  timezone: Asia/Jakarta',
    `  dataDir: ${join(o.dir, 'data')}`,
    '  logLevel: silent',
    'devices:',
    `  - {id: gate-1, driver: zk-soap, host: 127.0.0.1, port: ${o.simPort}, commKey: 135, serial: SOAPSN0001, timezone: Asia/Makassar, pollInterval: 1h, timeout: 5s}`,
    'publish:',
    '  mqtt:',
    `    url: ${o.mqttUrl}`,
    `    clientId: gw-soap-${Math.random().toString(36).slice(2)}`,
    '  https:',
    `    url: ${o.httpsUrl}`,
    '    maxWait: 50ms',
    '    rejectUnauthorized: false',
    'supervisor:',
    '  restartMin: 50ms',
    '  restartMax: 200ms',
    '  shutdownTimeout: 2s',
  ].join('\n');
}

describe('zk-soap end to end', () => {
  it('delivers every punch of the terminal to MQTT and HTTPS as punch/v1', async () => {
    tmp = tempDir('absensi-soap-e2e-');
    sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, records: 25, commKey: '135', timeZone: 'Asia/Makassar' });
    await sim.start();
    broker = await startAedes();
    subscriber = await collect(broker.url, 'absensi/SOAPTEST/gate-1/punch');
    receiver = await startHttpsReceiver();
    const config = parseConfigText(soapConfigYaml({ dir: tmp.dir, simPort: sim.address.port, mqttUrl: broker.url, httpsUrl: receiver.url }), 'soap.yaml', { drivers: BUILTIN_DRIVERS });
    gateway = new Gateway(config, { log: silentLogger(), api: false, drivers: BUILTIN_DRIVERS });
    await gateway.start();

    await subscriber.waitFor((n) => n >= 25);
    await receiver.waitForAccepted(25);
    const punches = subscriber.messages.map((m) => punchSchema.parse(JSON.parse(m.payload)) as Punch);
    expect(new Set(punches.map((p) => p.id)).size).toBe(25);
    expect(new Set(receiver.acceptedIds)).toEqual(new Set(punches.map((p) => p.id)));

    const first = punches.find((p) => p.raw.row === 0)!;
    expect(first).toMatchObject({
      schema: 'punch/v1', gateway: 'gw-soap', site: 'SOAPTEST', pin: '1',
      device: { id: 'gate-1', serial: 'SOAPSN0001', protocol: 'zk-soap' },
      time: '2026-01-05T07:00:00+08:00', utc: '2026-01-04T23:00:00Z',
      state: 'check-in', verify: 'fingerprint', workCode: 0,
    });
    expect(first.id).toBe(punchId({ serial: 'SOAPSN0001', pin: '1', localTime: '2026-01-05T07:00:00', state: 'check-in', verify: 'fingerprint' }));
    expect(first.raw).toMatchObject({ source: 'soap', PIN: '1', DateTime: '2026-01-05 07:00:00', Verified: '1', Status: '0' });
    expect(sim.stats.refused).toBe(0);
  });
});
