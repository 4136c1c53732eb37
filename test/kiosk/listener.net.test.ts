// The kiosk listener on a real TLS socket on loopback (DESIGN.md "Kiosks and apps"): an enrolled
// kiosk's punch reaches the buffer and the MQTT sink; every way to speak without being that kiosk — no certificate,
// another CA's, an expired one, one revoked while the listener runs, a body naming another kiosk —
// is refused, counted and commits nothing; a wrong clock is refused with the gateway's time; the
// same punch posted twice answers the same id and seq; every refusal is logged with its code.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { punchesOf } from '../drivers/zk-push/punchesOf.js';
import { collect, startAedes, type Collector, type TestBroker } from '../helpers/broker.js';
import { captureLog } from '../helpers/logLines.js';
import { tlsFixture } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';
import { caOf, kioskRequest, rejectedCount, startKioskGateway, witaTime, type ClientIdentity } from './harness.js';

const PASSWORD = 'kiosk-test-pass';
const JPEG = readFileSync(join(import.meta.dirname, 'fixtures', 'python.jpg'));

let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway;
let broker: TestBroker;
let central: Collector;
const captured = captureLog('warn');
const identity: Record<string, ClientIdentity> = {};

function enroll(deviceId: string, days?: number): ClientIdentity {
  const out = join(tmp.dir, `${deviceId}-${days ?? 'default'}.p12`);
  caOf(gateway).enroll(deviceId, { out, password: PASSWORD, ...(days !== undefined ? { days } : {}) });
  return { pfx: readFileSync(out), passphrase: PASSWORD };
}

const post = (who: ClientIdentity, body: unknown, agent?: Agent) => kioskRequest(gateway, { path: '/kiosk/v1/punch', body, identity: who, ...(agent ? { agent } : {}) });
const head = (): number => gateway.buffer.headSeq();

beforeAll(async () => {
  tmp = tempDir();
  broker = await startAedes();
  central = await collect(broker.url, 'absensi/KIOSKTEST/+/punch');
  gateway = await startKioskGateway(tmp.dir, ['kiosk-a', 'kiosk-b', 'kiosk-c'], { mqttUrl: broker.url, log: captured.log });
  identity.a = enroll('kiosk-a');
  identity.c = enroll('kiosk-c');
  identity.expired = enroll('kiosk-b', -1);
  // issued by this gateway's CA for a device no entry names
  identity.stranger = enroll('kiosk-x');
});

afterAll(async () => {
  await gateway?.stop();
  await central?.close();
  await broker?.close();
  tmp?.cleanup();
});

describe('an enrolled kiosk', () => {
  it("punches: 200 { id, seq } after the commit, the punch in the buffer as the certificate's device", async () => {
    const before = Date.now();
    const answer = await post(identity.a!, { pin: '00123', time: witaTime(before), state: 'check-in' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), seq: head() });
    const [punch] = punchesOf(gateway.bufferFile, 'kiosk-a');
    expect(punch).toMatchObject({
      id: answer.body.id,
      seq: answer.body.seq,
      pin: '00123',
      state: 'check-in',
      verify: 'password',
      time: witaTime(Math.floor(before / 1000) * 1000),
      device: { id: 'kiosk-a', serial: 'kiosk-a', protocol: 'kiosk', address: '127.0.0.1' },
      raw: { time: witaTime(before), certificateSerial: expect.stringMatching(/^[0-9A-F]+$/) },
    });
    expect(typeof punch?.clockSkewSec).toBe('number');
    expect(gateway.states.get('kiosk-a')).toMatchObject({ online: true, clockSkewSec: punch?.clockSkewSec });
    // and on to the sink, as the centre receives it
    await central.waitFor(() => central.messages.some((m) => m.topic === 'absensi/KIOSKTEST/kiosk-a/punch' && (JSON.parse(m.payload) as { id: string }).id === answer.body.id));
  });

  it('the same punch posted again answers the same id and seq, and commits nothing new', async () => {
    const body = { pin: '4711', time: witaTime(Date.now()), state: 'check-out', verify: 'face' };
    const first = await post(identity.a!, body);
    const headAfterFirst = head();
    const second = await post(identity.a!, body);
    expect(first.status).toBe(200);
    expect(second).toEqual(first);
    expect(head()).toBe(headAfterFirst);
  });

  it('keeps a photo under dataDir/photos (0600) and only its SHA-256 in the punch', async () => {
    const answer = await post(identity.a!, { pin: '555', time: witaTime(Date.now()), photo: JPEG.toString('base64') });
    expect(answer.status).toBe(200);
    const sha256 = createHash('sha256').update(JPEG).digest('hex');
    const punch = punchesOf(gateway.bufferFile, 'kiosk-a').find((p) => p.id === answer.body.id);
    expect(punch?.raw).toEqual({ time: expect.any(String), certificateSerial: expect.any(String), photoSha256: sha256 });
    const file = join(gateway.config.gateway.dataDir, 'photos', 'kiosk-a', `${sha256}.jpg`);
    expect(readFileSync(file)).toEqual(JPEG);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a clock 10 minutes off is refused 409 GW_ERR_KIOSK_CLOCK with the gateway time; nothing committed, counted', async () => {
    const before = head();
    const sentAt = Date.now();
    const answer = await post(identity.a!, { pin: '00123', time: witaTime(sentAt - 10 * 60_000) });
    const after = Date.now();
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: 'GW_ERR_KIOSK_CLOCK', reason: 'kiosk-clock', clockSkewSec: expect.any(Number) });
    const gatewayTime = Date.parse(String(answer.body.gatewayTime));
    expect(gatewayTime).toBeGreaterThanOrEqual(sentAt);
    expect(gatewayTime).toBeLessThanOrEqual(after);
    expect(answer.body.clockSkewSec as number).toBeLessThanOrEqual(-599);
    expect(head()).toBe(before);
    expect(await rejectedCount(gateway, { device: 'kiosk-a', reason: 'kiosk-clock' })).toBe(1);
  });

  it('a queued punch (sentAt now, time earlier) is taken: the clock check is on sentAt', async () => {
    const now = Date.now();
    const answer = await post(identity.a!, { pin: '777', time: witaTime(now - 3_600_000), sentAt: witaTime(now), state: 'break-out' });
    expect(answer.status).toBe(200);
  });

  it('bad bodies get 400 with a code and commit nothing', async () => {
    const before = head();
    const cases: [unknown, string][] = [
      ['{not json', 'kiosk-body'],
      [{ pin: '1', time: '2026-01-19 07:31:05' }, 'kiosk-body'],
      [{ pin: '1', time: witaTime(Date.now()), extra: 1 }, 'kiosk-body'],
      [{ pin: 'bad pin!', time: witaTime(Date.now()) }, 'kiosk-pin'],
      [{ pin: '1', time: witaTime(Date.now()), photo: Buffer.from('not a jpeg').toString('base64') }, 'kiosk-photo'],
    ];
    for (const [body, reason] of cases) {
      const answer = await post(identity.a!, body);
      expect({ status: answer.status, reason: answer.body.reason, code: answer.body.code }).toEqual({ status: 400, reason, code: 'GW_ERR_KIOSK_BAD_REQUEST' });
    }
    expect(head()).toBe(before);
    expect(await rejectedCount(gateway, { device: 'kiosk-a', reason: 'kiosk-body' })).toBe(3);
  });
});

describe('refused, counted, nothing committed', () => {
  it('no client certificate: the handshake fails', async () => {
    const before = head();
    await expect(post({}, { pin: '9', time: witaTime(Date.now()) })).rejects.toThrow();
    await waitForCount({ device: '(kiosk)', reason: 'kiosk-no-certificate' });
    expect(head()).toBe(before);
  });

  it('a certificate of another CA: the handshake fails', async () => {
    const before = head();
    const { strangerClient } = tlsFixture();
    await expect(post({ cert: strangerClient.cert, key: strangerClient.key }, { pin: '9', time: witaTime(Date.now()) })).rejects.toThrow();
    await waitForCount({ device: '(kiosk)', reason: 'kiosk-certificate-untrusted' });
    expect(head()).toBe(before);
  });

  it("an expired certificate of the gateway's own CA: the handshake fails", async () => {
    const before = head();
    await expect(post(identity.expired!, { pin: '9', time: witaTime(Date.now()) })).rejects.toThrow();
    await waitForCount({ device: '(kiosk)', reason: 'kiosk-certificate-expired' });
    expect(head()).toBe(before);
    expect(punchesOf(gateway.bufferFile, 'kiosk-b')).toEqual([]);
  });

  it('a certificate of the CA naming no configured kiosk: 403', async () => {
    const before = head();
    const answer = await post(identity.stranger!, { pin: '9', time: witaTime(Date.now()) });
    expect(answer).toMatchObject({ status: 403, body: { code: 'GW_ERR_KIOSK_REFUSED', reason: 'kiosk-unknown' } });
    expect(await rejectedCount(gateway, { reason: 'kiosk-unknown' })).toBe(1);
    expect(head()).toBe(before);
  });

  it("kiosk A's certificate with a body naming kiosk B: refused, nothing under either", async () => {
    const before = head();
    const answer = await post(identity.a!, { pin: '31337', time: witaTime(Date.now()), device: 'kiosk-b' });
    expect(answer).toMatchObject({ status: 400, body: { code: 'GW_ERR_KIOSK_BAD_REQUEST', reason: 'kiosk-device-claim' } });
    expect(await rejectedCount(gateway, { device: 'kiosk-a', reason: 'kiosk-device-claim' })).toBe(1);
    expect(head()).toBe(before);
    expect(punchesOf(gateway.bufferFile).filter((p) => p.pin === '31337')).toEqual([]);
  });

  it('a certificate revoked after the listener started: refused from the next request on, on the open connection too', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ok = await post(identity.c!, { pin: '42', time: witaTime(Date.now()) }, agent);
      expect(ok.status).toBe(200);
      const before = head();
      expect(caOf(gateway).revoke('kiosk-c')).toHaveLength(1);
      const refused = await post(identity.c!, { pin: '43', time: witaTime(Date.now()) }, agent);
      expect(refused).toMatchObject({ status: 403, body: { code: 'GW_ERR_KIOSK_REFUSED', reason: 'kiosk-revoked' } });
      const fresh = await post(identity.c!, { pin: '44', time: witaTime(Date.now()) });
      expect(fresh.status).toBe(403);
      expect(await rejectedCount(gateway, { device: 'kiosk-c', reason: 'kiosk-revoked' })).toBe(2);
      expect(head()).toBe(before);
      expect(punchesOf(gateway.bufferFile, 'kiosk-c').map((p) => p.pin)).toEqual(['42']);
    } finally {
      agent.destroy();
    }
  });
});

it('logged every refusal with its catalogue code and reason', () => {
  const logged = (code: string) => new Set(captured.withCode(code).map((line) => line.reason));
  expect(logged('GW_ERR_KIOSK_REFUSED')).toEqual(new Set(['kiosk-no-certificate', 'kiosk-certificate-untrusted', 'kiosk-certificate-expired', 'kiosk-unknown', 'kiosk-revoked']));
  expect(logged('GW_ERR_KIOSK_BAD_REQUEST')).toEqual(new Set(['kiosk-body', 'kiosk-pin', 'kiosk-photo', 'kiosk-device-claim']));
  expect(logged('GW_ERR_KIOSK_CLOCK')).toEqual(new Set(['kiosk-clock']));
});

/** A refused handshake is counted when the server sees the failure, which may be after the client did. */
async function waitForCount(labels: Record<string, string>): Promise<void> {
  // bounded by the test's timeout; polling, never a time threshold
  while ((await rejectedCount(gateway, labels)) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(await rejectedCount(gateway, labels)).toBe(1);
}
