// config/asyncapi.yaml: an AsyncAPI 3.0 document of every MQTT topic a gateway publishes and its
// payload (DESIGN.md "MQTT (contract)", "The centre"), generated from the zod schemas.
// Invariants:
// - Every payload schema is z.toJSONSchema of the zod schema the gateway's payload is typed by
//   (punch/v1, watermark/v1, the statuses of src/punch/status.ts), draft-07 as AsyncAPI Schema
//   Objects are; nothing is written by hand but names, descriptions and the MQTT facts below.
// - Channel addresses are buildTopics' (topics.ts) with its parameters as `{…}`: a test checks
//   that each address, filled in, is the topic the gateway publishes to.
// - Never hand-edit the generated file: `npm run schema` writes it; a test fails when it is stale.
import { stringify } from 'yaml';
import { z } from 'zod';
import { punchSchema } from '../punch/punch.js';
import { deviceStatusSchema, gatewayStatusSchema } from '../punch/status.js';
import { watermarkSchema } from '../punch/watermark.js';
import { VERSION } from '../version.js';
import { buildTopics } from './topics.js';

export const ASYNCAPI_FILE = 'config/asyncapi.yaml';

/** The address template of each channel, from the gateway's own topic builder. */
export function channelAddresses(): Record<'punch' | 'photo' | 'deviceStatus' | 'deviceWatermark' | 'gatewayStatus' | 'checkpoint', string> {
  const topics = buildTopics('{prefix}', '{site}', '{gatewayId}');
  return {
    punch: topics.punch('{deviceId}'),
    photo: topics.photo('{deviceId}', '{sha256}'),
    deviceStatus: topics.deviceStatus('{deviceId}'),
    deviceWatermark: topics.deviceWatermark('{deviceId}'),
    gatewayStatus: topics.gatewayStatus,
    checkpoint: topics.checkpoint,
  };
}

const PARAMETERS = {
  prefix: { default: 'absensi', description: 'publish.mqtt.topicPrefix of the gateway' },
  site: { description: 'gateway.site: the OPD/building code' },
  gatewayId: { description: 'gateway.id' },
  deviceId: { description: 'the device id from the gateway config' },
  sha256: { description: 'SHA-256 of the payload, lower-case hex: the raw.photoSha256 of the punch the photo belongs to' },
};

function payloadOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _draft, ...json } = z.toJSONSchema(schema, { io: 'output', target: 'draft-7' }) as Record<string, unknown>;
  return json;
}

interface ChannelSpec {
  name: keyof ReturnType<typeof channelAddresses>;
  title: string;
  description: string;
  contentType: string;
  payload: Record<string, unknown>;
  retain: boolean;
}

const CHANNELS: ChannelSpec[] = [
  {
    name: 'punch',
    title: 'punch/v1',
    description: 'One punch per message, QoS 1, not retained. The gateway marks a punch delivered only on PUBACK; at-least-once, so a consumer drops duplicates by `id`. Under MQTT 5 the message carries the user property `punch-id` and content type application/json. Consumers scale out with a shared subscription, `$share/{group}/{prefix}/+/+/punch`.',
    contentType: 'application/json',
    payload: payloadOf(punchSchema),
    retain: false,
  },
  {
    name: 'photo',
    title: 'kiosk punch photo',
    description: 'Only with publish.photos: true (off by default: a photo is personal data, UU PDP No. 27/2022). The JPEG a kiosk sent with a punch, as raw bytes, QoS 1, not retained, published and PUBACKed before that punch; the last topic level is its SHA-256, which the punch names in raw.photoSha256. Under MQTT 5: content type image/jpeg and the user property punch-id. At-least-once, like punches.',
    contentType: 'image/jpeg',
    payload: { type: 'string', format: 'binary', description: 'the JPEG bytes, at most 200 KB' },
    retain: false,
  },
  {
    name: 'deviceStatus',
    title: 'device status',
    description: 'Retained status of one device, published when it changes (at most once a second) and after every connect.',
    contentType: 'application/json',
    payload: payloadOf(deviceStatusSchema),
    retain: true,
  },
  {
    name: 'deviceWatermark',
    title: 'watermark/v1',
    description: 'Retained completeness watermark of one device: every punch the terminal recorded with device time at or before completeThrough is committed with seq at or below seqThrough. Only devices whose driver can prove it have one.',
    contentType: 'application/json',
    payload: payloadOf(watermarkSchema),
    retain: true,
  },
  {
    name: 'gatewayStatus',
    title: 'gateway status',
    description: 'Retained status of the gateway: online:true after every connect and every publish.mqtt.statusInterval; the Last Will sets online:false with queue null, and a clean stop publishes online:false itself.',
    contentType: 'application/json',
    payload: payloadOf(gatewayStatusSchema),
    retain: true,
  },
  {
    name: 'checkpoint',
    title: 'punch log checkpoint',
    description: 'Retained latest signed checkpoint of the punch log (C2SP signed-note and tlog-checkpoint): origin, tree size, base64 root hash and `time …` lines, a blank line, then the Ed25519 signature line. Published when the tree grew, at most every log.checkpointInterval, and at stop.',
    contentType: 'text/plain; charset=utf-8',
    payload: { type: 'string', description: 'the signed note, UTF-8 text' },
    retain: true,
  },
];

export function asyncApiDocument(): Record<string, unknown> {
  const addresses = channelAddresses();
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const spec of CHANNELS) {
    const address = addresses[spec.name];
    const used = [...address.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as keyof typeof PARAMETERS);
    messages[spec.name] = { name: spec.name, title: spec.title, contentType: spec.contentType, payload: spec.payload };
    channels[spec.name] = {
      address,
      title: spec.title,
      description: spec.description,
      parameters: Object.fromEntries(used.map((p) => [p, PARAMETERS[p]])),
      messages: { [spec.name]: { $ref: `#/components/messages/${spec.name}` } },
    };
    operations[`publish${spec.name[0]?.toUpperCase()}${spec.name.slice(1)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${spec.name}` },
      messages: [{ $ref: `#/channels/${spec.name}/messages/${spec.name}` }],
      bindings: { mqtt: { qos: 1, retain: spec.retain, bindingVersion: '0.2.0' } },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'absensi-gateway',
      version: VERSION,
      description: 'What an absensi-gateway publishes to its MQTT broker (MQTT 3.1.1 or 5): punches, device and gateway statuses, completeness watermarks and punch log checkpoints. Consumers must ignore fields they do not know.',
    },
    servers: {
      broker: { host: 'broker.example.go.id:8883', protocol: 'secure-mqtt', description: 'publish.mqtt.url of the gateway (mqtt:// or mqtts://)' },
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}

export function renderAsyncApi(): string {
  const header = '# Generated from the zod schemas by `npm run schema` (src/publish/asyncApi.ts); never hand-edit.\n';
  return header + stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false });
}
