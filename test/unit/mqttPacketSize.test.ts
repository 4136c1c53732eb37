// publishPacketBytes against mqtt-packet itself (the encoder mqtt.js writes with): every shape the
// MQTT sink sends, across the remaining-length boundaries where the size prefix grows a byte.
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { publishPacketBytes, varIntBytes, type PublishProperties } from '../../src/publish/mqttPacketSize.js';

const PUNCH_PROPERTIES: PublishProperties = { contentType: 'application/json', payloadFormatIndicator: true, userProperties: { 'punch-id': 'a'.repeat(32) } };
const STATUS_PROPERTIES: PublishProperties = { contentType: 'application/json', payloadFormatIndicator: true };

function generated(topic: string, payload: string, qos: 0 | 1, protocolVersion: 4 | 5, properties?: PublishProperties): number {
  const packet = { cmd: 'publish' as const, topic, payload, qos, retain: false, dup: false, messageId: qos > 0 ? 4242 : undefined, ...(properties ? { properties } : {}) };
  return mqttPacket.generate(packet, { protocolVersion }).length;
}

describe('publishPacketBytes', () => {
  const payloadSizes = [0, 1, 60, 100, 127, 128, 200, 16_300, 16_384, 16_500, 2_097_000, 2_097_152];
  const cases = payloadSizes.flatMap((n) => [
    { name: `punch v5, ${n} bytes`, topic: 'absensi/BKPP/lobby-1/punch', n, qos: 1 as const, v: 5 as const, properties: PUNCH_PROPERTIES },
    { name: `punch v3.1.1, ${n} bytes`, topic: 'absensi/BKPP/lobby-1/punch', n, qos: 1 as const, v: 4 as const, properties: undefined },
    { name: `status v5, ${n} bytes`, topic: 'absensi/BKPP/gateway/gw/status', n, qos: 1 as const, v: 5 as const, properties: STATUS_PROPERTIES },
    { name: `qos 0 v5 no properties, ${n} bytes`, topic: 't', n, qos: 0 as const, v: 5 as const, properties: undefined },
  ]);

  it.each(cases)('$name equals what mqtt-packet generates', ({ topic, n, qos, v, properties }) => {
    const payload = 'x'.repeat(n);
    expect(publishPacketBytes({ topic, payloadBytes: n, qos, protocolVersion: v, ...(properties ? { properties } : {}) })).toBe(generated(topic, payload, qos, v, properties));
  });

  it('counts UTF-8 bytes of the topic and of property strings', () => {
    const topic = 'absensi/Dinas-Pendidikan/ruang-guru/punch';
    const properties: PublishProperties = { contentType: 'application/json; charset=utf-8', userProperties: { 'punch-id': 'ü'.repeat(16), nama: 'Budi Śantoso' } };
    const payload = JSON.stringify({ name: 'Ñandú 👋' });
    expect(publishPacketBytes({ topic, payloadBytes: Buffer.byteLength(payload), qos: 1, protocolVersion: 5, properties })).toBe(generated(topic, payload, 1, 5, properties));
  });

  it('counts the correlation data of a command answer', () => {
    const topic = 'absensi/BKPP/gateway/gw/cmd/reply/0123456789abcdef';
    const properties: PublishProperties = { ...STATUS_PROPERTIES, correlationData: Buffer.from('0123456789abcdef0123456789abcdef', 'hex') };
    const payload = JSON.stringify({ schema: 'command-result/v1', ok: true });
    expect(publishPacketBytes({ topic, payloadBytes: Buffer.byteLength(payload), qos: 1, protocolVersion: 5, properties })).toBe(generated(topic, payload, 1, 5, properties));
  });

  it('refuses to size a property it does not know', () => {
    expect(() => publishPacketBytes({ topic: 't', payloadBytes: 1, qos: 1, protocolVersion: 5, properties: { messageExpiryInterval: 5 } as PublishProperties })).toThrow(/messageExpiryInterval/);
  });

  it.each([
    [0, 1], [127, 1], [128, 2], [16_383, 2], [16_384, 3], [2_097_151, 3], [2_097_152, 4], [268_435_455, 4],
  ])('variable byte integer %i takes %i bytes', (value, bytes) => {
    expect(varIntBytes(value)).toBe(bytes);
  });
});
