// Size on the wire of the PUBLISH packets the MQTT sink sends, computed without building them
// (MQTT 5.0 §3.3, §2.2.2; MQTT 3.1.1 §3.3), so every punch can be checked against the broker's
// Maximum Packet Size before it is written.
// Invariants:
// - The result equals the byte length of the packet mqtt-packet generates for the same fields
//   (test/unit/mqttPacketSize.test.ts checks it against mqtt-packet itself).
// - Pure arithmetic: no allocation of the payload, so it costs nothing per punch.
// - Only the properties the sink sends are known here; any other property is a programming error
//   and throws, rather than silently under-counting.

export interface PublishProperties {
  contentType?: string;
  payloadFormatIndicator?: boolean;
  userProperties?: Record<string, string>;
  /** binary data (§1.5.6): a 2-byte length and the bytes */
  correlationData?: Buffer;
}

export interface PublishShape {
  topic: string;
  /** UTF-8 byte length of the payload */
  payloadBytes: number;
  qos: 0 | 1 | 2;
  protocolVersion: 3 | 4 | 5;
  /** MQTT 5 only; ignored for 3.1.1 */
  properties?: PublishProperties;
}

const KNOWN_PROPERTIES = new Set(['contentType', 'payloadFormatIndicator', 'userProperties', 'correlationData']);

export function publishPacketBytes(shape: PublishShape): number {
  let remaining = 2 + Buffer.byteLength(shape.topic, 'utf8') + shape.payloadBytes;
  if (shape.qos > 0) remaining += 2;
  if (shape.protocolVersion === 5) {
    const propertiesBytes = propertiesLength(shape.properties ?? {});
    remaining += varIntBytes(propertiesBytes) + propertiesBytes;
  }
  return 1 + varIntBytes(remaining) + remaining;
}

/** Byte length of the properties (without their own length prefix). */
function propertiesLength(properties: PublishProperties): number {
  for (const name of Object.keys(properties)) {
    if (!KNOWN_PROPERTIES.has(name)) throw new Error(`publishPacketBytes: property ${name} is not sized here`);
  }
  let bytes = 0;
  // each property: 1 byte identifier, then its value (UTF-8 string = 2-byte length + bytes)
  if (properties.payloadFormatIndicator !== undefined) bytes += 1 + 1;
  if (properties.contentType !== undefined) bytes += 1 + utf8StringBytes(properties.contentType);
  if (properties.correlationData !== undefined) bytes += 1 + 2 + properties.correlationData.length;
  for (const [key, value] of Object.entries(properties.userProperties ?? {})) {
    bytes += 1 + utf8StringBytes(key) + utf8StringBytes(value);
  }
  return bytes;
}

function utf8StringBytes(text: string): number {
  return 2 + Buffer.byteLength(text, 'utf8');
}

/** Variable Byte Integer (MQTT 5.0 §1.5.5): 7 bits per byte. */
export function varIntBytes(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  return 4;
}
