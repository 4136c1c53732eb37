// The MQTT sink against real brokers: in-process Aedes (MQTT 3.1.1 only) always, and Mosquitto
// (MQTT 5) whenever the binary or the shared broker on 127.0.0.1:1883 is there.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttPublisher } from '../../src/publish/mqttPublisher.js';
import { createLogger, silentLogger } from '../../src/util/logger.js';
import type { Punch } from '../../src/punch/punch.js';
import type { OutgoingPunch } from '../../src/buffer/punchBuffer.js';
import { collect, mosquittoInstalled, startAedes, startMosquitto, systemMosquitto, until, type TestBroker } from '../helpers/broker.js';
import { toOutgoing, unsequenced } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { tlsFixture } from '../helpers/tls.js';

function punches(n: number, deviceId = 'lobby-1'): OutgoingPunch[] {
  return Array.from({ length: n }, (_, i) => toOutgoing({ ...unsequenced(i, deviceId), seq: i + 1 }));
}

type BrokerFactory = { name: string; start(dir: string): Promise<TestBroker | undefined>; v5: boolean };

const FACTORIES: BrokerFactory[] = [
  { name: 'aedes', start: () => startAedes(), v5: false },
  { name: 'mosquitto (private process)', start: async (dir) => (mosquittoInstalled() ? startMosquitto(dir) : undefined), v5: true },
];

for (const factory of FACTORIES) {
  describe(`MqttPublisher on ${factory.name}`, () => {
    const tmp = tempDir();
    let broker: TestBroker | undefined;
    const site = `T${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      broker = await factory.start(tmp.dir);
    });
    afterAll(async () => {
      await broker?.close();
      tmp.cleanup();
    });

    function publisher(extra: Partial<ConstructorParameters<typeof MqttPublisher>[0]> = {}): MqttPublisher {
      return new MqttPublisher({
        url: broker!.url,
        gateway: 'gw-1',
        site,
        version: '0.0.0-test',
        log: silentLogger(),
        protocolVersion: 'auto',
        reconnectMinMs: 100,
        reconnectMaxMs: 500,
        ackTimeoutMs: 5000,
        ...extra,
      });
    }

    it('publishes each punch at QoS 1 to its device topic and acks it on PUBACK', async (t) => {
      if (!broker) return t.skip();
      const sub = await collect(broker.url, `absensi/${site}/+/punch`, factory.v5 ? 5 : 4);
      const pub = publisher({ clientId: `t-${randomUUID()}` });
      await pub.start();
      await until(() => pub.connected, 10_000, 'connect');
      const batch = punches(20);
      const result = await pub.send(batch, new AbortController().signal);
      expect(result.acked).toEqual(batch.map((p) => p.id));
      await sub.waitFor((n) => n >= 20);
      expect(sub.messages.map((m) => m.payload)).toEqual(batch.map((p) => p.json));
      expect(sub.messages.every((m) => m.topic === `absensi/${site}/lobby-1/punch` && !m.retain)).toBe(true);
      if (factory.v5) {
        expect(pub.mqttVersion).toBe(5);
        expect(sub.messages[0]?.properties).toMatchObject({ contentType: 'application/json', userProperties: { 'punch-id': batch[0]!.id } });
      } else {
        expect(pub.mqttVersion).toBe(4);
      }
      await pub.stop();
      await sub.close();
    });

    it('keeps a retained online status and the Last Will marks it offline when the gateway vanishes', async (t) => {
      if (!broker) return t.skip();
      const pub = publisher({ clientId: `t-${randomUUID()}`, gateway: 'gw-will' });
      await pub.start();
      await until(() => pub.connected, 10_000, 'connect');
      const statusTopic = `absensi/${site}/gateway/gw-will/status`;
      const sub = await collect(broker.url, statusTopic);
      await sub.waitFor((n) => n >= 1);
      expect(JSON.parse(sub.messages[0]!.payload)).toMatchObject({ online: true, version: '0.0.0-test' });
      // vanish without DISCONNECT: the broker must publish the Will
      (pub as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
      await until(() => sub.messages.some((m) => JSON.parse(m.payload).online === false), 10_000, 'will');
      // and after the automatic reconnect it says online again
      await until(() => JSON.parse(sub.messages.at(-1)!.payload).online === true, 10_000, 'online again');
      await pub.stop();
      await until(() => JSON.parse(sub.messages.at(-1)!.payload).online === false, 10_000, 'offline on clean stop');
      await sub.close();
    });

    it('keeps the latest checkpoint retained (text/plain under MQTT 5), publishes it again on connect, and puts logKey in every status', async (t) => {
      if (!broker) return t.skip();
      const gatewayId = `gw-cp-${randomUUID().slice(0, 6)}`;
      const pub = publisher({ clientId: `t-${randomUUID()}`, gateway: gatewayId, logKey: 'absensi-gateway/S/g+01234567+AAAA' });
      expect(await pub.publishCheckpoint('note 1\n')).toBe(false);
      await pub.start();
      await until(() => pub.connected, 10_000, 'connect');
      const topic = `absensi/${site}/gateway/${gatewayId}/checkpoint`;
      const sub = await collect(broker.url, topic, factory.v5 ? 5 : 4);
      await sub.waitFor((n) => n >= 1);
      expect(sub.messages[0]).toMatchObject({ topic, payload: 'note 1\n', retain: true });
      if (factory.v5) expect(sub.messages[0]?.properties).toMatchObject({ contentType: 'text/plain; charset=utf-8', payloadFormatIndicator: true });
      expect(await pub.publishCheckpoint('note 2\n')).toBe(true);
      await sub.waitFor((n) => n >= 2);
      const statuses = await collect(broker.url, `absensi/${site}/gateway/${gatewayId}/status`);
      await statuses.waitFor((n) => n >= 1);
      expect(JSON.parse(statuses.messages[0]!.payload)).toMatchObject({ online: true, logKey: 'absensi-gateway/S/g+01234567+AAAA' });
      (pub as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
      await until(() => statuses.messages.some((m) => JSON.parse(m.payload).online === false), 10_000, 'will');
      expect(JSON.parse(statuses.messages.find((m) => JSON.parse(m.payload).online === false)!.payload)).toMatchObject({ logKey: 'absensi-gateway/S/g+01234567+AAAA' });
      await until(() => sub.messages.length >= 3, 10_000, 'checkpoint again after reconnect');
      expect(sub.messages.at(-1)?.payload).toBe('note 2\n');
      await pub.stop();
      const late = await collect(broker.url, topic);
      await late.waitFor((n) => n >= 1);
      expect(late.messages[0]).toMatchObject({ payload: 'note 2\n', retain: true });
      await Promise.all([sub.close(), statuses.close(), late.close()]);
    });

    it('reports sends while the broker is away as failures and delivers after it returns', async (t) => {
      if (!broker) return t.skip();
      const sub = await collect(broker.url, `absensi/${site}/outage/punch`);
      const pub = publisher({ clientId: `t-${randomUUID()}` });
      await pub.start();
      await until(() => pub.connected, 10_000, 'connect');
      await sub.close();
      await broker.stop();
      await until(() => !pub.connected, 10_000, 'disconnect');
      const batch = punches(5, 'outage');
      const offline = await pub.send(batch, new AbortController().signal);
      expect(offline.acked).toEqual([]);
      expect(offline.error).toMatch(/not connected/);
      await broker.restart();
      const sub2 = await collect(broker.url, `absensi/${site}/outage/punch`);
      await until(() => pub.connected, 20_000, 'reconnect');
      const online = await pub.send(batch, new AbortController().signal);
      expect(online.acked).toHaveLength(5);
      await sub2.waitFor((n) => n >= 5);
      await pub.stop();
      await sub2.close();
    });
  });
}

describe('MqttPublisher on the shared Mosquitto at 127.0.0.1:1883', () => {
  it('speaks MQTT 5 with punch-id when the broker does', async (t) => {
    const broker = await systemMosquitto();
    if (!broker) return t.skip();
    const site = `T${randomUUID().slice(0, 8)}`;
    const sub = await collect(broker.url, `absensi/${site}/+/punch`, 5);
    const pub = new MqttPublisher({ url: broker.url, gateway: 'gw-sys', site, version: 'test', log: silentLogger(), clientId: `t-${randomUUID()}` });
    await pub.start();
    await until(() => pub.connected, 10_000, 'connect');
    const batch = punches(3);
    expect((await pub.send(batch, new AbortController().signal)).acked).toHaveLength(3);
    await sub.waitFor((n) => n >= 3);
    expect(sub.messages[2]?.properties).toMatchObject({ userProperties: { 'punch-id': batch[2]!.id } });
    await pub.stop();
    await sub.close();
  });
});

describe('MqttPublisher over TLS (private Mosquitto with mutual TLS)', () => {
  it('connects with the CA and a client certificate, and is refused without the certificate', async (t) => {
    if (!mosquittoInstalled()) return t.skip();
    const tmp = tempDir();
    const pki = tlsFixture();
    const broker = await startMosquitto(tmp.dir, { caFile: pki.ca.certPath, certFile: pki.server.certPath, keyFile: pki.server.keyPath, requireClientCert: true });
    const site = `T${randomUUID().slice(0, 8)}`;
    const base = { url: broker.url, gateway: 'gw-tls', site, version: 'test', log: silentLogger(), reconnectMinMs: 100, reconnectMaxMs: 300 };
    try {
      const good = new MqttPublisher({ ...base, clientId: `t-${randomUUID()}`, ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
      await good.start();
      await until(() => good.connected, 10_000, 'TLS connect');
      expect((await good.send(punches(2), new AbortController().signal)).acked).toHaveLength(2);
      await good.stop();

      const noCert = new MqttPublisher({ ...base, clientId: `t-${randomUUID()}`, ca: pki.ca.cert });
      await noCert.start();
      await until(() => noCert.health().lastError !== null, 10_000, 'refusal');
      expect(noCert.connected).toBe(false);
      await noCert.stop();

      const wrongCa = new MqttPublisher({ ...base, clientId: `t-${randomUUID()}`, ca: pki.otherCa.cert, cert: pki.client.cert, key: pki.client.key });
      await wrongCa.start();
      await until(() => wrongCa.health().lastError !== null, 10_000, 'untrusted server');
      expect(wrongCa.health().lastError).toMatch(/certificate/i);
      await wrongCa.stop();
    } finally {
      await broker.close();
      tmp.cleanup();
    }
  });
});

describe('MqttPublisher on a Mosquitto with max_packet_size (announced in the MQTT 5 CONNACK)', () => {
  it('rejects a punch that cannot fit before writing it; the rest of the batch is acked and the connection stays up', async (t) => {
    if (!mosquittoInstalled()) return t.skip('/usr/sbin/mosquitto is not installed');
    const tmp = tempDir();
    const broker = await startMosquitto(tmp.dir, undefined, { maxPacketBytes: 2048 });
    const site = `T${randomUUID().slice(0, 8)}`;
    const sub = await collect(broker.url, `absensi/${site}/+/punch`, 5);
    const pub = new MqttPublisher({ url: broker.url, gateway: 'gw-max', site, version: 'test', log: silentLogger(), clientId: `t-${randomUUID()}`, reconnectMinMs: 100, ackTimeoutMs: 5000 });
    try {
      await pub.start();
      await until(() => pub.connected, 10_000, 'connect');
      const batch = punches(6);
      const big = { ...batch[2]!, json: JSON.stringify({ ...(JSON.parse(batch[2]!.json) as Punch), raw: { blob: 'B'.repeat(3000) } }) };
      batch[2] = big;
      const result = await pub.send(batch, new AbortController().signal);
      expect(result.acked).toEqual(batch.filter((p) => p !== big).map((p) => p.id));
      expect(result.rejected).toHaveLength(1);
      expect(result.rejected[0]).toMatchObject({ id: big.id, tooLarge: true });
      expect(result.rejected[0]?.reason).toMatch(/^PUBLISH packet of \d{4} bytes exceeds the broker's Maximum Packet Size of 2048 bytes/);
      expect(result.error).toBeUndefined();
      expect(pub.connected).toBe(true);
      await sub.waitFor((n) => n >= 5);
      expect(sub.messages.map((m) => m.payload)).not.toContain(big.json);
    } finally {
      await pub.stop();
      await sub.close();
      await broker.close();
      tmp.cleanup();
    }
  });
});

describe('MqttPublisher: the broker URL in logs', () => {
  it('shows a URL whose password holds an @ with its credentials hidden, and never the password', async () => {
    const broker = await startAedes();
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', destination: new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString('utf8')), done()) }) });
    const url = `mqtt://gw:Pa55@w0rd-Xq@127.0.0.1:${broker.port}`;
    const pub = new MqttPublisher({ url, gateway: 'gw-url', site: 'T', version: 'test', log, clientId: `t-${randomUUID()}`, protocolVersion: 4, reconnectMinMs: 100 });
    try {
      await pub.start();
      await until(() => pub.connected, 10_000, 'connect');
      await broker.stop();
      await until(() => pub.health().lastError !== null, 10_000, 'an error');
      const connected = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'connected to broker');
      expect(connected?.url).toBe(`mqtt://***@127.0.0.1:${broker.port}`);
      const text = lines.join('') + JSON.stringify(pub.health());
      expect(text).not.toContain('Pa55');
      expect(text).not.toContain('w0rd-Xq');
    } finally {
      await pub.stop();
      await broker.close();
    }
  });
});
