// MQTT sink (DESIGN.md "MQTT (contract)").
// Invariants:
// - Punches go to `{prefix}/{site}/{deviceId}/punch` at QoS 1, not retained; an id is reported
//   acked only when mqtt.js resolves its publish, i.e. on PUBACK. The punch id, not the MQTT
//   message id, identifies a punch.
// - The retained `{prefix}/{site}/gateway/{gatewayId}/status` says online:true after every
//   connect; the broker's Last Will replaces it with online:false when the gateway vanishes.
// - Retained device statuses and watermarks (`…/{deviceId}/status`, `…/{deviceId}/watermark`) are
//   published only while connected; `onConnect` lets the gateway publish them afresh after every
//   CONNACK, so a change made while the broker was away is never lost for good.
// - The retained `{prefix}/{site}/gateway/{gatewayId}/checkpoint` holds the punch log's latest
//   signed checkpoint (a signed note, content type text/plain; charset=utf-8 under MQTT 5): each
//   one handed over is published at once when connected, and the latest again after every
//   connect. Every gateway status, the Last Will's included, carries `logKey` when given.
// - MQTT 5 brokers get user property `punch-id` and content type application/json; with
//   protocolVersion auto, a broker refusing v5 is retried as 3.1.1 and remembered.
// - Reconnects back off exponentially from reconnectMinMs to reconnectMaxMs, reset on CONNACK.
// - `available` is the connection itself: false from start until the first CONNACK and whenever
//   the broker is away. Every CONNACK tells the `onAvailable` listeners (after the gateway status,
//   the checkpoint and `onConnect`), so the dispatcher drains the backlog on the new connection at
//   once and sends nothing to a broker that is not there.
// - One punch never holds up the others (oversizeGuard.ts has the rule): a punch whose PUBLISH
//   cannot fit the broker's limit is reported rejected (dead letter) and never written; a suspect
//   of a connection drop is written alone, everything before it in the batch PUBACKed first and
//   nothing after it written until it settles; while suspects exist one batch is in flight at a
//   time (`concurrency` 1), so "alone" holds across batches too.
// - When the connection drops with a suspect aboard, every publish awaiting PUBACK is settled as
//   failed and taken out of mqtt.js's store: mqtt.js would resend them one at a time on
//   reconnect, and one the broker refuses would hold back every other one forever. The dispatcher
//   resends them in commit order. Any other drop is left to mqtt.js's resend, as in an outage.
// - Topics handed to `listen` (the remote command topic) are subscribed at QoS 1 after every
//   CONNACK (the session is clean) and their messages go to the handler with their MQTT 5
//   properties; `respond` publishes an answer at QoS 1, not retained, with the correlation data.
// - URLs are logged only through redactUrl, and error texts are scrubbed of the URL's credentials
//   and the password before they are logged or shown in health().
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient, type Packet } from 'mqtt';
import type { Logger } from 'pino';
import type { OutgoingPunch } from '../buffer/punchBuffer.js';
import { backoffDelayMs } from '../util/backoff.js';
import { LogLimiter } from '../util/logLimiter.js';
import { hideUrlSecrets, redactUrl } from '../util/redactUrl.js';
import { MqttListeners, type ListenedMessage } from './mqttListener.js';
import { InFlightPublishes, type InFlight, type PublishOutcome } from './mqttInFlight.js';
import { publishPacketBytes } from './mqttPacketSize.js';
import { OversizeGuard, segmentsAroundSuspects, type Conviction, type DropCause } from './oversizeGuard.js';
import type { GatewayStatusPayload } from '../punch/status.js';
import { PhotoForwarder, type OutgoingPhoto, type PhotoOutcome, type PhotoSource } from './photos.js';
import { AvailabilityListeners, type Publisher, type SendResult, type SinkHealth } from './publisher.js';
import { buildTopics, type Topics } from './topics.js';

export { redactUrl } from '../util/redactUrl.js';
export type { ListenedMessage } from './mqttListener.js';

export interface MqttPublisherOptions {
  url: string;
  /** when the gateway started, for the retained status (default: when this publisher was made) */
  startedAt?: Date;
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
  queueSnapshot?: () => GatewayStatusPayload['queue'];
  /** more fields for the retained gateway status (e.g. the host clock check) */
  statusExtras?: () => Record<string, unknown>;
  /** called after every CONNACK (e.g. to refresh retained device statuses) */
  onConnect?: () => void;
  /** the punch log's verifier key (vkey), in every gateway status as `logKey` */
  logKey?: string;
  /** with publish.photos: where kiosk photos are read, each published before its punch */
  photos?: PhotoSource;
}

// CONNACK return code 1 (3.1.1 "unacceptable protocol version") or reason 0x84 (5.0 "unsupported
// protocol version"): the broker does not speak MQTT 5.
const V5_REFUSED_CODES = new Set([1, 0x84]);
const V5_REFUSED = /(unacceptable|unsupported) protocol version/i;
const AUTH_REFUSED = /not authorized|bad user ?name or password|bad username|unauthorized/i;
/** MQTT 5 reason code "Packet too large" (§4.13), in a DISCONNECT from the broker */
const PACKET_TOO_LARGE = 0x95;
/**
 * mqtt-packet refuses a PUBACK with a reason code the spec does not allow (Mosquitto's
 * message_size_limit answers a v5 client's oversize PUBLISH with 0x95 in a PUBACK) and then parses
 * nothing more on that connection: it is dropped at once, as a refusal of what was in flight.
 */
const BROKEN_ACK = /^Invalid (puback|pubrec) reason code/;

interface SizedPunch {
  punch: OutgoingPunch;
  bytes: number;
}

export class MqttPublisher implements Publisher {
  readonly sink = 'mqtt';
  readonly batchSize: number;
  readonly maxWaitMs = 0;
  readonly topics: Topics;
  private readonly options: MqttPublisherOptions;
  private readonly log: Logger;
  /** the gateway's start (MqttPublisherOptions.startedAt), the same instant /api/gateway says */
  private readonly startedAt: string;
  private client: MqttClient | undefined;
  private protocolVersion: 4 | 5;
  private triedFallback = false;
  private reconnectAttempt = 0;
  private lastError: string | null = null;
  private lastSuccessAt: string | null = null;
  private authRefused = false;
  private readonly maxConcurrency: number;
  private readonly guard = new OversizeGuard();
  private readonly inFlight = new InFlightPublishes((packet) => this.guard.acked(packet), (text) => this.scrub(text));
  /** whether the current connection's end may be blamed on what was in flight */
  private dropCause: DropCause = 'suspicious';
  /** refusals and suspicions, per device: a flood of poison punches is a few lines and a count */
  private readonly refusalLog: LogLimiter;
  /** the latest checkpoint note handed over, published again after every connect */
  private checkpointNote: string | undefined;
  private readonly availability = new AvailabilityListeners();
  private readonly listeners: MqttListeners;
  private readonly photos: PhotoForwarder | undefined;

  constructor(options: MqttPublisherOptions) {
    this.options = options;
    this.startedAt = (options.startedAt ?? new Date()).toISOString();
    this.log = options.log.child({ sink: 'mqtt' });
    this.refusalLog = new LogLimiter(this.log);
    this.listeners = new MqttListeners(this.log, (text) => this.scrub(text));
    this.photos = options.photos ? new PhotoForwarder(options.photos, { sink: this.sink, log: this.log }) : undefined;
    this.batchSize = Math.min(options.batchSize ?? 100, options.maxInFlight ?? 500);
    this.maxConcurrency = Math.max(1, Math.floor((options.maxInFlight ?? 500) / this.batchSize));
    this.protocolVersion = options.protocolVersion === 4 ? 4 : 5;
    this.topics = buildTopics(options.topicPrefix ?? 'absensi', options.site, options.gateway);
  }

  /** one batch at a time while a suspect must travel alone */
  get concurrency(): number {
    return this.guard.hasSuspects ? 1 : this.maxConcurrency;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get available(): boolean {
    return this.connected;
  }

  onAvailable(listener: () => void): () => void {
    return this.availability.add(listener);
  }

  get mqttVersion(): 4 | 5 {
    return this.protocolVersion;
  }

  async start(): Promise<void> {
    this.connect();
  }

  private clientOptions(): IClientOptions {
    const o = this.options;
    const will: GatewayStatusPayload = { online: false, version: o.version, startedAt: this.startedAt, queue: null, ...this.logKeyField() };
    const offline = JSON.stringify(will);
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
    client.on('packetreceive', (packet) => this.onPacket(client, packet));
    client.on('connect', () => {
      this.reconnectAttempt = 0;
      this.authRefused = false;
      this.lastError = null;
      client.options.reconnectPeriod = this.options.reconnectMinMs ?? 1000;
      const maximumPacketSize = client.serverProperties?.maximumPacketSize;
      this.log.info({ url: redactUrl(this.options.url), protocolVersion: this.protocolVersion, ...(maximumPacketSize ? { maximumPacketSize } : {}) }, 'connected to broker');
      this.publishGatewayStatus();
      this.listeners.subscribeAll(client, () => client === this.client);
      if (this.checkpointNote !== undefined) void this.publishRetained(this.topics.checkpoint, this.checkpointNote, this.textProperties());
      this.options.onConnect?.();
      if (client === this.client) this.availability.notify((err) => this.log.error({ code: 'GW_ERR_INTERNAL', err }, 'a listener of the broker connection failed'));
    });
    client.on('message', (topic, payload, packet) => this.listeners.deliver(topic, payload, packet));
    client.on('error', (error) => this.onError(client, error));
    client.on('close', () => {
      this.onDrop(client);
      if (client !== this.client) return;
      this.reconnectAttempt += 1;
      client.options.reconnectPeriod = backoffDelayMs(this.reconnectAttempt, {
        baseMs: this.options.reconnectMinMs ?? 1000,
        maxMs: this.options.reconnectMaxMs ?? 60_000,
      });
    });
    client.on('offline', () => this.log.warn({ code: 'GW_ERR_SINK_UNREACHABLE', lastError: this.lastError }, 'broker offline; punches wait in the buffer'));
  }

  /** Learns the limit from CONNACK before any publish of the new connection can be written. */
  private onPacket(client: MqttClient, packet: Packet): void {
    if (client !== this.client) return;
    if (packet.cmd === 'connack') {
      this.guard.connected(packet.properties?.maximumPacketSize);
      this.dropCause = 'suspicious';
    } else if (packet.cmd === 'disconnect') {
      this.dropCause = packet.reasonCode === PACKET_TOO_LARGE ? 'suspicious' : 'benign';
    }
  }

  /**
   * A drop with no suspect aboard is left to mqtt.js, which resends what awaited PUBACK once it is
   * back (a plain outage recovers the moment the broker returns). With a suspect aboard, or on our
   * own end, what was in flight is settled here and leaves mqtt.js's store, so the dispatcher
   * resends it in order and the suspect travels alone; a conviction makes one a dead letter.
   */
  private onDrop(client: MqttClient): void {
    const dropped = this.inFlight.of(client);
    if (client === this.client) {
      if (dropped.length === 0) return;
      const conviction = this.guard.dropped(dropped, this.dropCause);
      const suspects = dropped.filter((e) => e.punchId !== undefined && this.guard.isSuspect(e.punchId));
      if (conviction) this.logConviction(conviction, dropped);
      else if (suspects.length > 0) this.logSuspicion(suspects);
      if (conviction || suspects.length > 0) this.inFlight.dropped(client, dropped, conviction);
      return;
    }
    this.inFlight.dropped(client, dropped, undefined);
  }

  private onError(client: MqttClient, rawError: Error): void {
    const error = new Error(this.scrub(rawError.message));
    Object.assign(error, { code: (rawError as Error & { code?: unknown }).code });
    this.lastError = error.message;
    if (client === this.client) {
      if (error.message === 'Keepalive timeout') this.dropCause = 'benign';
      if (BROKEN_ACK.test(error.message)) client.stream?.destroy();
    }
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

  /** Subscribes to `topic` (QoS 1) on this and every later connection; its messages go to `handler`. */
  listen(topic: string, handler: (message: ListenedMessage) => void): void {
    this.listeners.add(topic, handler);
    const client = this.client;
    if (client?.connected) this.listeners.subscribeAll(client, () => client === this.client);
  }

  /** Whether the broker granted the subscription to a listened topic on the current connection. */
  listening(topic: string): boolean {
    return this.connected && this.listeners.isGranted(topic);
  }

  /** An answer (JSON) on `topic` at QoS 1, not retained, with the correlation data; true once acknowledged. */
  async respond(topic: string, payload: string, correlationData?: Buffer): Promise<boolean> {
    const client = this.client;
    if (!client?.connected) return false;
    const base = this.jsonProperties().properties;
    const options: IClientPublishOptions = { qos: 1, retain: false, ...(base ? { properties: { ...base, ...(correlationData ? { correlationData } : {}) } } : {}) };
    const bytes = this.fits(topic, payload, options);
    if (bytes === undefined) return false;
    const outcome = await this.inFlight.publish(client, { topic, payload, options, bytes });
    return outcome.kind === 'acked';
  }

  publishGatewayStatus(online = true): void {
    this.publishStatus(this.topics.gatewayStatus, this.statusPayload(online));
  }

  private statusPayload(online: boolean): string {
    const { version, queueSnapshot, statusExtras } = this.options;
    const status: GatewayStatusPayload = { online, version, startedAt: this.startedAt, queue: queueSnapshot?.() ?? null, ...statusExtras?.(), ...this.logKeyField() };
    return JSON.stringify(status);
  }

  private logKeyField(): { logKey?: string } {
    return this.options.logKey === undefined ? {} : { logKey: this.options.logKey };
  }

  /**
   * Publishes the punch log's checkpoint (a signed note) retained; resolves true once the broker
   * acknowledged it, false when it was not sent now (offline: the next connect publishes the latest).
   */
  publishCheckpoint(note: string): Promise<boolean> {
    this.checkpointNote = note;
    if (!this.client?.connected) return Promise.resolve(false);
    return this.publishRetained(this.topics.checkpoint, note, this.textProperties());
  }

  /** Retained device status; a no-op while offline (the next change or reconnect refreshes it). */
  publishDeviceStatus(deviceId: string, status: Record<string, unknown>): void {
    if (!this.client?.connected) return;
    this.publishStatus(this.topics.deviceStatus(deviceId), JSON.stringify(status));
  }

  /** Retained watermark/v1 of a device; a no-op while offline (the next change or reconnect publishes it). */
  publishDeviceWatermark(deviceId: string, watermark: Record<string, unknown>): void {
    if (!this.client?.connected) return;
    this.publishStatus(this.topics.deviceWatermark(deviceId), JSON.stringify(watermark));
  }

  /** Retained status at QoS 1; one too large for the broker is skipped with a warning, never written. */
  private publishStatus(topic: string, payload: string): void {
    const client = this.client;
    if (client && !client.connected) {
      const options: IClientPublishOptions = { qos: 1, retain: true, ...this.jsonProperties() };
      // mqtt.js keeps it for the next connection, which publishes a fresh status anyway
      if (this.fits(topic, payload, options)) client.publish(topic, payload, options);
      return;
    }
    void this.publishRetained(topic, payload, this.jsonProperties());
  }

  /** A retained message at QoS 1 on the connection; true once acknowledged. */
  private async publishRetained(topic: string, payload: string, properties: Pick<IClientPublishOptions, 'properties'>): Promise<boolean> {
    const client = this.client;
    if (!client?.connected) return false;
    const options: IClientPublishOptions = { qos: 1, retain: true, ...properties };
    const bytes = this.fits(topic, payload, options);
    if (bytes === undefined) return false;
    const outcome = await this.inFlight.publish(client, { topic, payload, options, bytes });
    if (outcome.kind !== 'acked') this.log.debug({ topic, outcome }, 'retained message not published');
    return outcome.kind === 'acked';
  }

  /** The packet's size when the broker can take it; undefined (and a warning) when not. */
  private fits(topic: string, payload: string, options: IClientPublishOptions): number | undefined {
    const bytes = this.packetBytes(topic, payload, options);
    const verdict = this.guard.verdict(bytes);
    if (verdict.fits) return bytes;
    this.refusalLog.warn(`status:${topic}`, { code: 'GW_ERR_SINK_REJECTED', topic, packetBytes: bytes, limitBytes: verdict.limitBytes }, 'retained message too large for the broker; not published');
    return undefined;
  }

  private textProperties(): Pick<IClientPublishOptions, 'properties'> {
    return this.protocolVersion === 5 ? { properties: { contentType: 'text/plain; charset=utf-8', payloadFormatIndicator: true } } : {};
  }

  private packetBytes(topic: string, payload: string | Buffer, options: IClientPublishOptions): number {
    const properties = options.properties as Parameters<typeof publishPacketBytes>[0]['properties'];
    return publishPacketBytes({ topic, payloadBytes: Buffer.byteLength(payload, 'utf8'), qos: 1, protocolVersion: this.protocolVersion, ...(properties ? { properties } : {}) });
  }

  private jsonProperties(punchId?: string): Pick<IClientPublishOptions, 'properties'> {
    if (this.protocolVersion !== 5) return {};
    const properties: NonNullable<IClientPublishOptions['properties']> = { contentType: 'application/json', payloadFormatIndicator: true };
    if (punchId) properties.userProperties = { 'punch-id': punchId };
    return { properties };
  }

  send(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult> {
    if (!this.photos) return this.sendPunches(batch, signal);
    return this.photos.send(batch, signal, { sendPunches: (b, s) => this.sendPunches(b, s), sendPhoto: (p, s) => this.sendPhoto(p, s) });
  }

  /** A photo as raw JPEG on its own topic, QoS 1; MQTT 5 says image/jpeg and whose punch it is. */
  private async sendPhoto(photo: OutgoingPhoto, signal: AbortSignal): Promise<PhotoOutcome> {
    const client = this.client;
    if (!client?.connected) return { kind: 'failed', error: 'broker not connected' };
    const topic = this.topics.photo(photo.deviceId, photo.sha256);
    const payload = Buffer.from(photo.jpeg.buffer, photo.jpeg.byteOffset, photo.jpeg.byteLength);
    const properties = this.protocolVersion === 5 ? { properties: { contentType: 'image/jpeg', userProperties: { 'punch-id': photo.punchId } } } : {};
    const options = { qos: 1, retain: false, ...properties } as const;
    const bytes = this.packetBytes(topic, payload, options);
    const verdict = this.guard.verdict(bytes);
    if (!verdict.fits) return { kind: 'refused', reason: verdict.reason };
    const subject = { id: `photo:${photo.punchId}`, deviceId: photo.deviceId };
    const [outcome] = await this.inFlight.publishAll(client, [{ topic, payload, options, bytes, punch: subject }], { timeoutMs: this.options.ackTimeoutMs ?? 60_000, signal });
    if (outcome?.kind === 'acked') return { kind: 'sent' };
    if (outcome?.kind === 'rejected') return { kind: 'refused', reason: outcome.reason };
    return { kind: 'failed', error: outcome?.error ?? 'not published' };
  }

  private async sendPunches(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult> {
    const client = this.client;
    if (!client) return { acked: [], rejected: [], error: 'not started' };
    // Publishing while offline would pile copies into mqtt.js's offline store on every retry.
    if (!client.connected) return { acked: [], rejected: [], error: `broker not connected${this.lastError ? `: ${this.lastError}` : ''}` };
    const result: SendResult = { acked: [], rejected: [] };
    const sendable: SizedPunch[] = [];
    for (const punch of batch) {
      const bytes = this.packetBytes(this.topics.punch(punch.deviceId), punch.json, this.jsonProperties(punch.id));
      const verdict = this.guard.verdict(bytes);
      if (verdict.fits) {
        sendable.push({ punch, bytes });
        continue;
      }
      result.rejected.push({ id: punch.id, reason: verdict.reason, tooLarge: true });
      this.refusalLog.error(`too-large:${punch.deviceId}`, { code: 'GW_ERR_SINK_REJECTED', punchId: punch.id, deviceId: punch.deviceId, packetBytes: bytes, limitBytes: verdict.limitBytes, basis: verdict.basis }, 'punch too large for the broker; dead-lettered alone, the other punches keep flowing');
    }
    for (const segment of segmentsAroundSuspects(sendable, (id) => this.guard.isSuspect(id))) {
      if (signal.aborted || !client.connected) {
        result.error = signal.aborted ? 'aborted' : 'connection to the broker lost';
        break;
      }
      const run = segment.map(({ punch, bytes }) => ({ topic: this.topics.punch(punch.deviceId), payload: punch.json, options: { qos: 1, retain: false, ...this.jsonProperties(punch.id) } as const, bytes, punch }));
      const outcomes = await this.inFlight.publishAll(client, run, { timeoutMs: this.options.ackTimeoutMs ?? 60_000, signal });
      segment.forEach(({ punch }, i) => {
        const outcome = outcomes[i] as PublishOutcome;
        if (outcome.kind === 'acked') result.acked.push(punch.id);
        else if (outcome.kind === 'rejected') result.rejected.push({ id: punch.id, reason: outcome.reason, tooLarge: true });
        else result.error ??= outcome.error;
      });
      // nothing after a punch that failed is written: the rest is retried in commit order
      if (result.error !== undefined) break;
    }
    if (result.acked.length > 0) this.lastSuccessAt = new Date().toISOString();
    return result;
  }

  private logConviction(conviction: Conviction, dropped: InFlight[]): void {
    const deviceId = dropped.find((e) => e.punchId === conviction.punchId)?.deviceId;
    this.refusalLog.error(`too-large:${deviceId ?? ''}`, { code: 'GW_ERR_SINK_REJECTED', punchId: conviction.punchId, deviceId, packetBytes: conviction.bytes, largestAckedBytes: this.guard.largestAckedBytes, basis: 'disconnects' }, 'punch too large for the broker (it drops the connection whenever the punch is sent alone); dead-lettered alone, the other punches keep flowing');
  }

  private logSuspicion(suspects: InFlight[]): void {
    const fields = suspects.map((e) => ({ punchId: e.punchId, deviceId: e.deviceId, packetBytes: e.bytes }));
    this.refusalLog.warn('suspect', { code: 'GW_ERR_SINK_UNREACHABLE', suspects: fields, largestAckedBytes: this.guard.largestAckedBytes }, 'connection dropped with an unusually large punch awaiting PUBACK; it is sent alone next, to tell a size limit from an outage');
  }

  /** Error texts may quote the URL or the password: neither reaches a log line or health(). */
  private scrub(text: string): string {
    return hideUrlSecrets(text, this.options.url, [this.options.password]);
  }

  health(): SinkHealth {
    return {
      sink: this.sink,
      connected: this.connected,
      halted: this.authRefused ? 'auth' : null,
      lastError: this.lastError,
      lastErrorCode: this.lastError === null ? null : this.authRefused ? 'GW_ERR_SINK_AUTH' : 'GW_ERR_SINK_UNREACHABLE',
      lastSuccessAt: this.lastSuccessAt,
    };
  }

  async stop(signal?: AbortSignal): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.refusalLog.flush();
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
