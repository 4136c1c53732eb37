// Trust at the edge for Hikvision push (issue #15 finding 2): a whole Gateway with its real push
// listener on 127.0.0.1 port 0 and a real SQLite buffer; the terminal posts from 127.0.0.1, the
// forger from 127.0.0.2, over real sockets. Bodies: the synthetic multipart fixture and synthetic
// JSON events in its shape.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configWarnings } from '../../../src/cli/check.js';
import { parseConfigText } from '../../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import type { Gateway } from '../../../src/gateway.js';
import { FORGER_ADDRESS, sendFrom, TERMINAL_ADDRESS } from '../../helpers/pushClient.js';
import { tempDir } from '../../helpers/tmp.js';
import { pushConfigYaml } from '../zk-push/gatewayHarness.js';
import { punchesOf } from '../zk-push/punchesOf.js';
import { startHikGateway } from './gateway.js';

const MULTIPART = readFileSync(join(import.meta.dirname, 'fixtures', 'push-multipart-face_synthetic', 'input.bin'));
const MULTIPART_TYPE = 'multipart/form-data; boundary=MIME_boundary';
const MAC = '24:32:ae:55:c9:c0';
const ENTRY = '{id: lobby-face, driver: hikvision-isapi, pull: false, push: true, serial: DS-K1T341AM-SIM';

/** A synthetic face punch event as plain JSON, with the given macAddress (or none). */
function jsonEvent(pin: string, serialNo: number, macAddress?: string): string {
  return JSON.stringify({
    ...(macAddress ? { macAddress } : {}),
    dateTime: '2026-01-19T07:31:05+07:00',
    eventType: 'AccessControllerEvent',
    AccessControllerEvent: { majorEventType: 5, subEventType: 75, employeeNoString: pin, serialNo, attendanceStatus: 'checkIn' },
  });
}

let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway;
let port: number;

async function start(extra: string): Promise<void> {
  gateway = await startHikGateway({ dir: tmp.dir, devices: [`${ENTRY}${extra}}`] });
  port = (gateway.push!.app.server.address() as { port: number }).port;
}

const push = (from: string, body: string | Buffer = MULTIPART, contentType = MULTIPART_TYPE, path = '/hikvision/lobby-face') =>
  sendFrom({ port, from, method: 'POST', path, body, headers: { 'content-type': contentType } });

async function refused(reason: string): Promise<number> {
  const metric = await gateway.metrics.pushRefused.get();
  return metric.values.find((v) => v.labels.device === 'lobby-face' && v.labels.reason === reason)?.value ?? 0;
}

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await gateway?.stop();
  tmp.cleanup();
});

describe('hikvision push trust', () => {
  it('with macAddress configured, an event without a MAC or with another one is refused; the right one is taken', async () => {
    await start(`, macAddress: "${MAC}"`);
    expect(await push(TERMINAL_ADDRESS, jsonEvent('0012', 1), 'application/json')).toMatchObject({ status: 403 });
    expect(await push(TERMINAL_ADDRESS, jsonEvent('0012', 2, 'aa:bb:cc:dd:ee:ff'), 'application/json')).toMatchObject({ status: 403 });
    expect(punchesOf(gateway.bufferFile)).toEqual([]);
    expect(await refused('mac')).toBe(2);
    expect(await push(TERMINAL_ADDRESS, jsonEvent('0012', 3, MAC.toUpperCase().replace(/:/g, '-')), 'application/json')).toMatchObject({ status: 200 });
    expect(punchesOf(gateway.bufferFile).map((p) => p.pin)).toEqual(['0012']);
  });

  it('allowFrom: an event from another address is refused with 403 ERROR: source and never committed', async () => {
    await start(`, allowFrom: ["${TERMINAL_ADDRESS}"]`);
    expect(await push(FORGER_ADDRESS)).toMatchObject({ status: 403, body: 'ERROR: source' });
    expect(punchesOf(gateway.bufferFile)).toEqual([]);
    expect(await refused('source')).toBe(1);
    expect(gateway.states.get('lobby-face')!.lastSeen).toBeNull();
    expect(await push(TERMINAL_ADDRESS)).toMatchObject({ status: 200 });
    expect(punchesOf(gateway.bufferFile).map((p) => [p.pin, p.device.address])).toEqual([['0012', TERMINAL_ADDRESS]]);
  });

  it('without allowFrom, only the configured host may push (an address, or a name as resolved)', async () => {
    await start(`, host: "${TERMINAL_ADDRESS}", password: sim`);
    expect(await push(FORGER_ADDRESS)).toMatchObject({ status: 403, body: 'ERROR: source' });
    expect(await push(TERMINAL_ADDRESS)).toMatchObject({ status: 200 });
    expect(punchesOf(gateway.bufferFile).map((p) => p.device.address)).toEqual([TERMINAL_ADDRESS]);
    await gateway.stop();
    await start(', host: localhost, password: sim');
    expect(await push(FORGER_ADDRESS, jsonEvent('0013', 7), 'application/json')).toMatchObject({ status: 403 });
    expect(await push(TERMINAL_ADDRESS, jsonEvent('0013', 7), 'application/json')).toMatchObject({ status: 200 });
  });

  it('the device is reachable through /hikvision/<id> only: SN=hikvision/<id> on /iclock is an unknown serial', async () => {
    await start('');
    for (const endpoint of ['cdata?table=ATTLOG&', 'devicecmd?', 'getrequest?']) {
      const reply = await push(TERMINAL_ADDRESS, MULTIPART, MULTIPART_TYPE, `/iclock/${endpoint}SN=hikvision/lobby-face`);
      expect(reply).toMatchObject({ status: 503, body: 'UNKNOWN DEVICE' });
    }
    expect(punchesOf(gateway.bufferFile)).toEqual([]);
    expect(gateway.push!.unknown().map((u) => u.serial)).toEqual(['hikvision/lobby-face']);
    expect(await push(TERMINAL_ADDRESS)).toMatchObject({ status: 200 });
  });

  it('a push entry without allowFrom or host is unauthenticated: check warns by name', () => {
    const yaml = pushConfigYaml({ dir: tmp.dir, devices: [] }).replace(
      'devices:\n',
      `devices:\n  - ${ENTRY}}\n  - {id: gate-face, driver: hikvision-isapi, pull: false, push: true, host: 192.0.2.10, password: x}\n  - {id: pull-face, driver: hikvision-isapi, host: 192.0.2.11, password: x}\n`,
    );
    const warnings = configWarnings(parseConfigText(yaml, 'hik.yaml', { drivers: BUILTIN_DRIVERS })).filter((w) => /any host/.test(w));
    expect(warnings).toEqual([expect.stringMatching(/^devices\[0\] \(lobby-face\): push device accepts punches from any host.*allowFrom or host/)]);
  });
});
