// MQTT sink (DESIGN.md "MQTT (contract)").
// Invariants:
// - Punches go to `{prefix}/{site}/{deviceId}/punch` at QoS 1, not retained; an id is reported
//   acked only when mqtt.js resolves its publish, i.e. on PUBACK. The punch id, not the MQTT
//   message id, identifies a punch.
// - The retained `{prefix}/{site}/gateway/{gatewayId}/status` says online:true after every
//   connect; the broker's Last Will replaces it with online:false when the gateway vanishes.
// - MQTT 5 brokers get user property `punch-id` and content type application/json; with
//   protocolVersion auto, a broker refusing v5 is retried as 3.1.1 and remembered.
// - Reconnects back off exponentially from reconnectMinMs to reconnectMaxMs, reset on CONNACK.
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { backoffDelayMs } from '../util/backoff.js';
import type { OutgoingPunch, Publisher, SendResult, SinkHealth } from './publisher.js';
import { buildTopics, type Topics } from './topics.js';

export interface MqttPublisherOptions {
  url: string;
  gateway: string;
  site: string;
  version: string;
  log: Logger;
  topicPrefix?: string;
  clientId?: string;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  protocolVersion?: 'auto' | 4 | 5;
  keepaliveMs?: number;
  connectTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  maxInFlight?: number;
  batchSize?: number;
  ackTimeoutMs?: number;
  /** what goes in the `queue` field of the retained gateway status */
  queueSnapshot?: () => unknown;
  /** more fields for the retained gateway status (e.g. the host clock check) */
  statusExtras?: () => Record<string, unknown>;
  /** called after every CONNACK (e.g. to refresh retained device statuses) */
  onConnect?: () => void;
}

// CONNACK return code 1 (3.1.1 "unacceptable protocol version") or reason 0x84 (5.0 "unsupported
// protocol version"): the broker does not speak MQTT 5.
const V5_REFUSED_CODES = new Set([1, 0x84]);
const V5_REFUSED = /(unacceptable|unsupported) protocol version/i;
const AUTH_REFUSED = /not authorized|bad user ?name or password|bad username|unauthorized/i;

export class MqttPublisher implements Publisher {
  readonly sink = 'mqtt';
  readonly batchSize: number;
  readonly concurrency: number;
  readonly maxWaitMs = 0;
  readonly topics: Topics;
  private readonly options: MqttPublisherOptions;
  private readonly log: Logger;
  private readonly startedAt = new Date().toISOString();
  private client: MqttClient | undefined;
  private protocolVersion: 4 | 5;
  private triedFallback = false;
  private reconnectAttempt = 0;
  private lastError: string | null = null;
  private lastSuccessAt: string | null = null;
  private authRefused = false;

  constructor(options: MqttPublisherOptions) {
    this.options = options;
    this.log = options.log.child({ sink: 'mqtt' });
    this.batchSize = Math.min(options.batchSize ?? 100, options.maxInFlight ?? 500);
    this.concurrency = Math.max(1, Math.floor((options.maxInFlight ?? 500) / this.batchSize));
    this.protocolVersion = options.protocolVersion === 4 ? 4 : 5;
    this.topics = buildTopics(options.topicPrefix ?? 'absensi', options.site, options.gateway);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get mqttVersion(): 4 | 5 {
    return this.protocolVersion;
  }

  async start(): Promise<void> {
    this.connect();
  }

  private clientOptions(): IClientOptions {
    const o = this.options;
    const offline = JSON.stringify({ online: false, version: o.version, startedAt: this.startedAt, queue: null });
    const clientOptions: IClientOptions = {
      clientId: o.clientId ?? `absensi-gw-${o.gateway}`,
      protocolVersion: this.protocolVersion,
      clean: true,
      keepalive: Math.max(1, Math.round((o.keepaliveMs ?? 30_000) / 1000)),
      connectTimeout: o.connectTimeoutMs ?? 30_000,
      reconnectPeriod: o.reconnectMinMs ?? 1000,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: this.topics.gatewayStatus, payload: Buffer.from(offline), qos: 1, retain: true },
      rejectUnauthorized: o.rejectUnauthorized ?? true,
      // mqtt-packet would otherwise pre-build 65,536 message-id buffers (≈ 6 MB) for a few µs per publish
      writeCache: false,
    };
    if (o.username !== undefined) clientOptions.username = o.username;
    if (o.password !== undefined) clientOptions.password = o.password;
    if (o.ca) clientOptions.ca = o.ca;
    if (o.cert) clientOptions.cert = o.cert;
    if (o.key) clientOptions.key = o.key;
    return clientOptions;
  }

  private connect(): void {
    const client = mqtt.connect(this.options.url, this.clientOptions());
    this.client = client;
    client.on('connect', () => {
      this.reconnectAttempt = 0;
      this.authRefused = false;
      this.lastError = null;
      client.options.reconnectPeriod = this.options.reconnectMinMs ?? 1000;
      this.log.info({ url: redactUrl(this.options.url), protocolVersion: this.protocolVersion }, 'connected to broker');
      this.publishGatewayStatus();
      this.options.onConnect?.();
    });
    client.on('error', (error) => this.onError(client, error));
    client.on('close', () => {
      if (client !== this.client) return;
      this.reconnectAttempt += 1;
      client.options.reconnectPeriod = backoffDelayMs(this.reconnectAttempt, {
        baseMs: this.options.reconnectMinMs ?? 1000,
        maxMs: this.options.reconnectMaxMs ?? 60_000,
      });
    });
    client.on('offline', () => this.log.warn({ code: 'GW_ERR_SINK_UNREACHABLE', lastError: this.lastError }, 'broker offline; punches wait in the buffer'));
  }

  private onError(client: MqttClient, error: Error): void {
    this.lastError = error.message;
    if (this.options.protocolVersion === 'auto' && this.protocolVersion === 5 && !this.triedFallback && isV5Refusal(error)) {
      this.triedFallback = true;
      this.protocolVersion = 4;
      this.log.info({ error: error.message }, 'broker refused MQTT 5; falling back to 3.1.1');
      client.end(true);
      this.connect();
      return;
    }
    if (AUTH_REFUSED.test(error.message)) {
      this.authRefused = true;
      this.log.error({ code: 'GW_ERR_SINK_AUTH', error: error.message }, 'broker refused the credentials');
      return;
    }
    this.log.warn({ code: 'GW_ERR_SINK_UNREACHABLE', error: error.message }, 'mqtt error');
  }

  publishGatewayStatus(online = true): void {
    const payload = this.statusPayload(online);
    this.client?.publish(this.topics.gatewayStatus, payload, { qos: 1, retain: true, ...this.jsonProperties() }, (error) => {
      if (error) this.log.debug({ error: error.message }, 'gateway status not published');
    });
  }

  private statusPayload(online: boolean): string {
    const { version, queueSnapshot, statusExtras } = this.options;
    return JSON.stringify({ online, version, startedAt: this.startedAt, queue: queueSnapshot?.() ?? null, ...statusExtras?.() });
  }

  /** Retained device status; a no-op while offline (the next change or reconnect refreshes it). */
  publishDeviceStatus(deviceId: string, status: Record<string, unknown>): void {
    if (!this.client?.connected) return;
    this.client.publish(this.topics.deviceStatus(deviceId), JSON.stringify(status), { qos: 1, retain: true, ...this.jsonProperties() });
  }

  private jsonProperties(punchId?: string): Pick<IClientPublishOptions, 'properties'> {
    if (this.protocolVersion !== 5) return {};
    const properties: NonNullable<IClientPublishOptions['properties']> = { contentType: 'application/json', payloadFormatIndicator: true };
    if (punchId) properties.userProperties = { 'punch-id': punchId };
    return { properties };
  }

  async send(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult> {
    const client = this.client;
    if (!client) return { acked: [], rejected: [], error: 'not started' };
    // Publishing while offline would pile copies into mqtt.js's offline store on every retry.
    if (!client.connected) return { acked: [], rejected: [], error: `broker not connected${this.lastError ? `: ${this.lastError}` : ''}` };
    const timeoutMs = this.options.ackTimeoutMs ?? 60_000;
    // One timer and one abort listener per batch settle whatever has not been PUBACKed yet.
    const unsettled = new Set<(outcome: string) => void>();
    const settleRest = (outcome: string): void => {
      for (const settle of [...unsettled]) settle(outcome);
    };
    const timer = setTimeout(() => settleRest(`no PUBACK within ${timeoutMs} ms`), timeoutMs);
    const onAbort = (): void => settleRest('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    const outcomes = await Promise.all(batch.map((punch) => this.publishOne(client, punch, unsettled)));
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    const acked = batch.filter((_, i) => outcomes[i] === null).map((p) => p.id);
    const firstError = outcomes.find((o) => o !== null) ?? undefined;
    if (acked.length > 0) this.lastSuccessAt = new Date().toISOString();
    const result: SendResult = { acked, rejected: [] };
    if (firstError) result.error = firstError;
    return result;
  }

  /** Resolves null on PUBACK, else the reason; never rejects. */
  private publishOne(client: MqttClient, punch: OutgoingPunch, unsettled: Set<(outcome: string) => void>): Promise<string | null> {
    return new Promise((resolve) => {
      const finish = (outcome: string | null): void => {
        if (!unsettled.delete(settle)) return;
        resolve(outcome);
      };
      const settle = (outcome: string): void => finish(outcome);
      unsettled.add(settle);
      const options: IClientPublishOptions = { qos: 1, retain: false, ...this.jsonProperties(punch.id) };
      client.publish(this.topics.punch(punch.deviceId), punch.json, options, (error) => finish(error ? error.message : null));
    });
  }

  health(): SinkHealth {
    return {
      sink: this.sink,
      connected: this.connected,
      halted: this.authRefused ? 'auth' : null,
      lastError: this.lastError,
      lastSuccessAt: this.lastSuccessAt,
    };
  }

  async stop(signal?: AbortSignal): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    if (client.connected) {
      // A clean goodbye does not fire the Will, so say offline ourselves.
      const payload = this.statusPayload(false);
      const said = client.publishAsync(this.topics.gatewayStatus, payload, { qos: 1, retain: true, ...this.jsonProperties() }).catch(() => undefined);
      await Promise.race([said, delay(1000)]);
    }
    // mqtt.js may never call back from a graceful end() once the socket died (seen with a broker
    // that reset the connection): give it a moment, then force.
    const graceful = !(signal?.aborted ?? false) && client.connected;
    const ended = new Promise<void>((resolve) => client.end(!graceful, {}, () => resolve()));
    const gaveUp = await Promise.race([ended.then(() => false), delay(graceful ? 2000 : 500).then(() => true)]);
    if (gaveUp) client.end(true);
  }
}

function isV5Refusal(error: Error): boolean {
  const code = (error as Error & { code?: unknown }).code;
  return (typeof code === 'number' && V5_REFUSED_CODES.has(code)) || V5_REFUSED.test(error.message);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
