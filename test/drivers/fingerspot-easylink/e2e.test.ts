// End to end: bridge simulator → Gateway (from YAML, real SQLite buffer in a temp dir) → an Aedes
// broker subscriber and an HTTPS receiver, all on 127.0.0.1. The punches are the real Revo rows of
// fixtures/scanlog-new-44rows_* replayed into the simulated terminal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import { Gateway } from '../../../src/gateway.js';
import { punchSchema, type Punch } from '../../../src/punch/punch.js';
import type { FingerspotSimulator } from '../../../src/sim/fingerspot/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { collect, startAedes, type Collector, type TestBroker } from '../../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../../helpers/httpsReceiver.js';
import { tempDir } from '../../helpers/tmp.js';
import { FIXTURES } from './cases.js';
import { SERIAL, startSim } from './harness.js';

interface RevoRow { PIN: string; ScanDate: string; VerifyMode: number; IOMode: number; WorkCode: number }

const revoRows = (JSON.parse(readFileSync(join(FIXTURES, 'scanlog-new-44rows_easylink-frontend-sdk-response', 'input.json'), 'utf8')) as { Data: RevoRow[] }).Data;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function configYaml(o: { dir: string; port: number; mqttUrl: string; httpsUrl: string }): string {
  return `${[
    'gateway:', '  id: gw-fsp', '  site: BKPP', '  timezone: Asia/Makassar', `  dataDir: ${join(o.dir, 'data')}`, '  logLevel: silent',
    'api:', '  listen: 127.0.0.1:0',
    'devices:',
    '  - id: revo-lobby',
    '    driver: fingerspot-easylink',
    '    host: 127.0.0.1',
    `    port: ${o.port}`,
    `    serial: ${SERIAL}`,
    '    pollInterval: 50ms',
    '    timeout: 5s',
    '    verifyMap: {"20": face}',
    'publish:',
    '  mqtt:', `    url: ${o.mqttUrl}`, '    clientId: gw-fsp-e2e', '    reconnectMin: 100ms', '    reconnectMax: 500ms',
    '  https:', `    url: ${o.httpsUrl}`, '    maxWait: 50ms', '    rejectUnauthorized: false',
    'supervisor:', '  restartMin: 50ms', '  restartMax: 200ms', '  shutdownTimeout: 2s',
  ].join('\n')}\n`;
}

describe('fingerspot-easylink end to end', () => {
  it('delivers the 44 real Revo scans once each to MQTT and HTTPS as punch/v1 in WITA', async () => {
    const { dir, cleanup: rmDir } = tempDir('fsp-e2e-');
    cleanup.push(async () => rmDir());
    const sim: FingerspotSimulator = await startSim({ timeZone: 'Asia/Makassar' });
    cleanup.push(() => sim.stop());
    const broker: TestBroker = await startAedes();
    cleanup.push(() => broker.close());
    const receiver: HttpsReceiver = await startHttpsReceiver();
    cleanup.push(() => receiver.close());
    const subscriber: Collector = await collect(broker.url, 'absensi/BKPP/revo-lobby/punch');
    cleanup.push(() => subscriber.close());

    // half the rows were in the log before the gateway first started (backfill), half come later (/scanlog/new)
    const add = (rows: RevoRow[]): void => rows.forEach((r) => sim.addPunch({ pin: r.PIN, scanDate: r.ScanDate, verifyMode: r.VerifyMode, ioMode: r.IOMode, workCode: r.WorkCode }));
    add(revoRows.slice(0, 22));
    const gateway = new Gateway(parseConfigText(configYaml({ dir, port: sim.address.port, mqttUrl: broker.url, httpsUrl: receiver.url }), 'fsp.yaml', { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), api: false, drivers: BUILTIN_DRIVERS });
    await gateway.start();
    cleanup.push(() => gateway.stop());
    await subscriber.waitFor((n) => n >= 22);
    add(revoRows.slice(22));

    await subscriber.waitFor((n) => n >= 44);
    await receiver.waitForAccepted(44);
    const punches = subscriber.messages.map((m) => punchSchema.parse(JSON.parse(m.payload)) as Punch);
    expect(new Set(punches.map((p) => p.id)).size).toBe(44);
    expect(new Set(receiver.acceptedIds)).toEqual(new Set(punches.map((p) => p.id)));
    const first = punches.find((p) => p.pin === '20')!;
    expect(first).toMatchObject({
      device: { id: 'revo-lobby', serial: SERIAL, protocol: 'fingerspot-easylink' },
      time: '2026-03-27T19:54:35+08:00', utc: '2026-03-27T11:54:35Z', state: 'check-out', verify: 'fingerprint', workCode: null,
      raw: { SN: SERIAL, ScanDate: '2026-03-27 19:54:35', VerifyMode: 1, IOMode: 2 },
    });
    expect(punches.find((p) => p.pin === '112')?.verify).toBe('face');
    expect(punches.find((p) => p.pin === '2')?.verify).toBe('other');
    expect(sim.stats.consumedByNew).toBe(44);
  });
});
