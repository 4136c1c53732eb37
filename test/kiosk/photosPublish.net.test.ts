// `publish.photos: true` end to end (README "Publishing photos"): a kiosk punch with a photo, posted
// over real mutual TLS, reaches an MQTT subscriber and an HTTP endpoint as its photo first (bytes
// equal to what the kiosk sent, named by the SHA-256 that the punch's raw names), then the punch.
// A sink that does not take the photo holds the punch back until it does: nothing is lost or sent
// twice across an outage. Without the setting no photo leaves the gateway.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { collect, mosquittoInstalled, startAedes, startMosquitto, type Collector, type TestBroker } from '../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { captureLog } from '../helpers/logLines.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { caOf, kioskRequest, startKioskGateway, witaTime, type ClientIdentity } from './harness.js';

const JPEG = readFileSync(join(import.meta.dirname, 'fixtures', 'python.jpg'));
const SHA256 = createHash('sha256').update(JPEG).digest('hex');

let tmp: ReturnType<typeof tempDir> | undefined;
let gateway: Gateway | undefined;
let broker: TestBroker | undefined;
let central: Collector | undefined;
let receiver: HttpsReceiver | undefined;

afterEach(async () => {
  await gateway?.stop();
  await central?.close();
  await broker?.close();
  await receiver?.close();
  tmp?.cleanup();
  gateway = central = broker = receiver = tmp = undefined;
});

function enroll(g: Gateway, dir: string): ClientIdentity {
  const out = join(dir, 'kiosk-a.p12');
  caOf(g).enroll('kiosk-a', { out, password: 'pw' });
  return { pfx: readFileSync(out), passphrase: 'pw' };
}

async function punchWithPhoto(g: Gateway, who: ClientIdentity, pin: string): Promise<string> {
  const answer = await kioskRequest(g, { path: '/kiosk/v1/punch', identity: who, body: { pin, time: witaTime(Date.now()), photo: JPEG.toString('base64') } });
  expect(answer.status).toBe(200);
  return answer.body.id as string;
}

const mqttLines = (url: string) => ['mqtt:', `  url: ${url}`, `  clientId: gw-photos-${Math.random().toString(36).slice(2)}`, '  reconnectMin: 100ms', '  reconnectMax: 300ms'];
const httpsLines = (url: string) => ['https:', `  url: ${url}`, '  token: photo-test-token', '  maxWait: 50ms'];

describe('publish.photos: true', () => {
  it('MQTT: the photo on {prefix}/{site}/{device}/photo/{sha256} as raw JPEG (MQTT 5: image/jpeg, punch-id), before its punch', async () => {
    tmp = tempDir();
    // Aedes speaks MQTT 3.1.1 only: the MQTT 5 properties are checked where Mosquitto is installed
    const v5 = mosquittoInstalled();
    broker = v5 ? await startMosquitto(tmp.dir) : await startAedes();
    central = await collect(broker.url, 'absensi/KIOSKTEST/kiosk-a/#', v5 ? 5 : 4);
    gateway = await startKioskGateway(tmp.dir, ['kiosk-a'], { publish: [...mqttLines(broker.url), 'photos: true'] });
    const id = await punchWithPhoto(gateway, enroll(gateway, tmp.dir), '501');
    const c = central;
    await until(() => c.messages.some((m) => m.topic.endsWith('/punch')), 'the punch');
    const photo = c.messages.findIndex((m) => m.topic === `absensi/KIOSKTEST/kiosk-a/photo/${SHA256}`);
    const punch = c.messages.findIndex((m) => m.topic === 'absensi/KIOSKTEST/kiosk-a/punch');
    expect(photo).toBeGreaterThanOrEqual(0);
    expect(photo).toBeLessThan(punch);
    const message = c.messages[photo]!;
    expect(message.bytes.equals(JPEG)).toBe(true);
    expect(message.retain).toBe(false);
    if (v5) expect(message.properties).toMatchObject({ contentType: 'image/jpeg', userProperties: { 'punch-id': id } });
    expect(JSON.parse(c.messages[punch]!.payload)).toMatchObject({ id, raw: { photoSha256: SHA256 } });
  });

  it('HTTPS: PUT <url>/photos/<sha256> (image/jpeg, bearer, X-Punch-Id) before the batch; a 503 for the photo holds the punch back until the photo is taken', async () => {
    tmp = tempDir();
    let photoReplies = 0;
    receiver = await startHttpsReceiver({
      tls: false,
      respond: (req) => (req.method === 'PUT' && photoReplies++ < 2 ? { status: 503, headers: { 'retry-after': '0' }, body: 'busy' } : { status: 200, body: { ok: true } }),
    });
    gateway = await startKioskGateway(tmp.dir, ['kiosk-a'], { publish: [...httpsLines(receiver.url), 'photos: true'] });
    const id = await punchWithPhoto(gateway, enroll(gateway, tmp.dir), '502');
    const r = receiver;
    await r.waitForAccepted(1);
    const puts = r.requests.filter((q) => q.method === 'PUT');
    expect(puts.length).toBe(3); // two refused for now, one taken
    for (const put of puts) {
      expect(put.path).toBe(`/api/punches/photos/${SHA256}`);
      expect(put.rawBody.equals(JPEG)).toBe(true);
      expect(put.headers).toMatchObject({ 'content-type': 'image/jpeg', authorization: 'Bearer photo-test-token', 'x-punch-id': id, 'x-device-id': 'kiosk-a' });
    }
    const batches = r.requests.filter((q) => q.method === 'POST');
    expect(batches.map((b) => b.punchIds)).toEqual([[id]]); // the punch went once, after its photo was taken
    expect(r.requests.indexOf(batches[0]!)).toBeGreaterThan(r.requests.indexOf(puts[2]!));
  });

  it('across a broker outage: the photo and its punch both arrive once the broker is back, the photo first', async () => {
    tmp = tempDir();
    broker = await startAedes();
    // a persistent session: the broker keeps what it takes while the subscriber is reconnecting
    central = await collect(broker.url, 'absensi/KIOSKTEST/kiosk-a/#', 4, `central-photos-${Math.random().toString(36).slice(2)}`);
    gateway = await startKioskGateway(tmp.dir, ['kiosk-a'], { publish: [...mqttLines(broker.url), 'photos: true'] });
    const who = enroll(gateway, tmp.dir);
    const g = gateway;
    await until(() => g.publishers[0]!.available, 'connected to the broker');
    await broker.stop();
    await until(() => !g.publishers[0]!.available, 'the sink sees the outage');
    const id = await punchWithPhoto(g, who, '503');
    await broker.restart();
    const c = central;
    await until(() => c.messages.some((m) => m.topic.endsWith('/punch')), 'the punch after the outage', 20_000);
    const topics = c.messages.filter((m) => !m.topic.endsWith('/status')).map((m) => m.topic);
    expect(topics.filter((t) => t.endsWith('/punch'))).toHaveLength(1);
    expect(topics.indexOf(`absensi/KIOSKTEST/kiosk-a/photo/${SHA256}`)).toBeLessThan(topics.indexOf('absensi/KIOSKTEST/kiosk-a/punch'));
    expect(JSON.parse(c.messages.find((m) => m.topic.endsWith('/punch'))!.payload).id).toBe(id);
  });

  it('a photo gone from the gateway does not hold its punch back: published without it, logged GW_ERR_KIOSK_PHOTO_GONE', async () => {
    tmp = tempDir();
    const captured = captureLog('warn');
    receiver = await startHttpsReceiver({ tls: false, respond: [{ status: 503, body: 'down for now' }] });
    gateway = await startKioskGateway(tmp.dir, ['kiosk-a'], { publish: [...httpsLines(receiver.url), 'photos: true'], log: captured.log });
    const g = gateway;
    // the first PUT is answered 503; remove the photo before the retry finds it
    const r = receiver;
    const sent = punchWithPhoto(g, enroll(g, tmp.dir), '504');
    await r.waitForRequests(1);
    rmSync(join(g.config.gateway.dataDir, 'photos', 'kiosk-a', `${SHA256}.jpg`));
    const id = await sent;
    await r.waitForAccepted(1);
    expect(r.requests.filter((q) => q.method === 'POST').flatMap((q) => q.punchIds)).toEqual([id]);
    expect(captured.lines.some((line) => line.code === 'GW_ERR_KIOSK_PHOTO_GONE' && line.punchId === id)).toBe(true);
  });
});

describe('publish.photos off (the default)', () => {
  it('no photo leaves the gateway: MQTT carries the punch alone, HTTPS gets no PUT', async () => {
    tmp = tempDir();
    broker = await startAedes();
    receiver = await startHttpsReceiver({ tls: false });
    central = await collect(broker.url, 'absensi/KIOSKTEST/#');
    gateway = await startKioskGateway(tmp.dir, ['kiosk-a'], { publish: [...mqttLines(broker.url), ...httpsLines(receiver.url)] });
    await punchWithPhoto(gateway, enroll(gateway, tmp.dir), '505');
    const c = central;
    await until(() => c.messages.some((m) => m.topic.endsWith('/punch')), 'the punch');
    await receiver.waitForAccepted(1);
    expect(c.messages.filter((m) => m.topic.includes('/photo'))).toEqual([]);
    expect(receiver.requests.map((q) => q.method)).toEqual(['POST']);
  });
});
