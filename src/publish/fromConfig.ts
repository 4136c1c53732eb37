// The sinks a config names (publish.mqtt, publish.https), built with what the running gateway
// supplies: its identity, status callbacks, the punch log's key and checkpoints, and the photo
// store when publish.photos is on.
// Invariants:
// - MQTT first, then HTTPS: the buffer's sink cursors are keyed by the sinks' names, not by order,
//   but logs and /api/queue list them in this order.
// - An optional setting left out of the config is left out of the options (the sink's own
//   default applies), never passed as undefined.
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { GatewayStatusPayload } from '../punch/status.js';
import { pickDefined } from '../util/pickDefined.js';
import { VERSION } from '../version.js';
import { HttpsPublisher } from './httpsPublisher.js';
import { MqttPublisher } from './mqttPublisher.js';
import type { PhotoSource } from './photos.js';
import type { Publisher } from './publisher.js';

export interface SinkDeps {
  log: Logger;
  startedAt: Date;
  queueSnapshot: () => NonNullable<GatewayStatusPayload['queue']>;
  statusExtras: () => Record<string, unknown>;
  /** the punch log's verifier key, in the retained gateway status */
  logKey?: string;
  /** after every MQTT connect */
  onMqttConnect: () => void;
  /** a signed checkpoint covering `seq`, for HTTPS bodies */
  checkpointFor: (seq: number) => string | undefined;
  /** with publish.photos: where kiosk photos are read */
  photos?: PhotoSource;
}

export function createPublishers(config: Pick<GatewayConfig, 'gateway' | 'publish'>, deps: SinkDeps): Publisher[] {
  const { gateway, publish } = config;
  const photos = publish.photos && deps.photos ? { photos: deps.photos } : {};
  const publishers: Publisher[] = [];
  if (publish.mqtt) {
    const m = publish.mqtt;
    publishers.push(
      new MqttPublisher({
        ...pickDefined({ clientId: m.clientId, username: m.username, password: m.password, ca: m.ca, cert: m.cert, key: m.key, logKey: deps.logKey }),
        url: m.url,
        gateway: gateway.id,
        site: gateway.site,
        version: VERSION,
        startedAt: deps.startedAt,
        log: deps.log,
        topicPrefix: m.topicPrefix,
        rejectUnauthorized: m.rejectUnauthorized,
        protocolVersion: m.protocolVersion,
        keepaliveMs: m.keepalive,
        connectTimeoutMs: m.connectTimeout,
        reconnectMinMs: m.reconnectMin,
        reconnectMaxMs: m.reconnectMax,
        maxInFlight: m.maxInFlight,
        batchSize: m.batchSize,
        ackTimeoutMs: m.ackTimeout,
        queueSnapshot: deps.queueSnapshot,
        statusExtras: deps.statusExtras,
        onConnect: deps.onMqttConnect,
        ...photos,
      }),
    );
  }
  if (publish.https) {
    const h = publish.https;
    publishers.push(
      new HttpsPublisher({
        ...pickDefined({ token: h.token, ca: h.ca, cert: h.cert, key: h.key, photosUrl: h.photosUrl }),
        url: h.url,
        gateway: gateway.id,
        site: gateway.site,
        log: deps.log,
        rejectUnauthorized: h.rejectUnauthorized,
        gzip: h.gzip,
        batchSize: h.batchSize,
        maxWaitMs: h.maxWait,
        timeoutMs: h.timeout,
        checkpointFor: deps.checkpointFor,
        ...photos,
      }),
    );
  }
  return publishers;
}

