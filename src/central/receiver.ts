// The centre's MQTT consumer (DESIGN.md "The centre"): punches through a shared subscription, so
// the processes of one group split them with no coordination; checkpoints, gateway statuses and
// watermarks and device statuses (retained, which shared subscriptions do not deliver) through
// plain ones, so every process sees them. With `mqtt.shared: false` (a broker without shared
// subscriptions, the demo's) punches come through a plain subscription too.
// Invariants:
// - A QoS 1 message is acknowledged (PUBACK) only after what it carries is committed: mqtt.js sends
//   the PUBACK when `handleMessage` calls back, and this one calls back after the transaction. A
//   crash in between is a redelivery, which the punch's id absorbs.
// - The database being away holds the message (and so the stream) and retries with backoff:
//   nothing is acknowledged that was not stored. A message that is not what its topic carries is
//   acknowledged, logged (GW_ERR_CENTRAL_MESSAGE_INVALID) and counted: one bad message never jams
//   the stream.
// - The session is persistent (clean: false, a fixed client id per instance and connection), so
//   what arrives while the process is down waits at the broker.
// - `mqtt.connections` clients per process join the shared group (ids `{central.id}-{instance}`,
//   then `….1`, `….2` …): mqtt.js hands a client's messages over one at a time, each acknowledged
//   after its commit; the punches waiting on all of them are committed together (punchBatch.ts),
//   so a process commits up to as many punches per transaction as it has connections. Only the
//   first subscribes to the retained topics.
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { punchSchema } from '../punch/punch.js';
import { deviceStatusSchema } from '../punch/status.js';
import { watermarkSchema } from '../punch/watermark.js';
import { backoffDelayMs } from '../util/backoff.js';
import { errorMessage } from '../util/errors.js';
import type { CentralConfig } from './config.js';
import { contractProblem, recordProblem, storeDeviceStatus, storeStatus, storeWatermark } from './ingest.js';
import { PunchBatcher } from './punchBatch.js';
import type { LogChecker } from './logCheck.js';
import type { CentralStore } from './store.js';

export interface ReceiverCounts {
  punchesStored: number;
  punchesDuplicate: number;
  checkpoints: number;
  statuses: number;
  deviceStatuses: number;
  watermarks: number;
  invalid: number;
  storeRetries: number;
}

export interface ReceiverOptions {
  config: CentralConfig & { mqtt: NonNullable<CentralConfig['mqtt']> };
  store: CentralStore;
  checker: LogChecker;
  log: Logger;
  /** tells processes of one group apart: the MQTT client id is `{central.id}-{instance}` */
  instance: string;
}

type Route = { kind: 'punch' | 'watermark' | 'device-status'; site: string; device: string } | { kind: 'checkpoint' | 'status'; site: string; gateway: string };

export class CentralReceiver {
  readonly counts: ReceiverCounts = { punchesStored: 0, punchesDuplicate: 0, checkpoints: 0, statuses: 0, deviceStatuses: 0, watermarks: 0, invalid: 0, storeRetries: 0 };
  private readonly clients: MqttClient[] = [];
  private stopping = false;
  /** the latest checkpoint of a gateway whose key is not known yet, checked once a status names one */
  private readonly awaitingKey = new Map<string, { note: string; site: string }>();

  /** the punches of every connection of this process, committed together (punchBatch.ts) */
  private readonly batcher: PunchBatcher;

  constructor(private readonly options: ReceiverOptions) {
    this.batcher = new PunchBatcher({ store: options.store, retry: (work) => this.withStore(work), maxBatch: 500 });
  }

  get connected(): boolean {
    return this.clients.length > 0 && this.clients.every((client) => client.connected);
  }

  async start(): Promise<void> {
    const { mqtt: settings } = this.options.config;
    const prefix = settings.topicPrefix;
    const punches = { [settings.shared ? `$share/${settings.group}/${prefix}/+/+/punch` : `${prefix}/+/+/punch`]: { qos: 1 as const } };
    const retained = {
      [`${prefix}/+/gateway/+/checkpoint`]: { qos: 1 as const },
      [`${prefix}/+/gateway/+/status`]: { qos: 1 as const },
      [`${prefix}/+/+/watermark`]: { qos: 1 as const },
      [`${prefix}/+/+/status`]: { qos: 1 as const },
    };
    // without a shared subscription every connection would get every punch
    const connections = settings.shared ? settings.connections : 1;
    await Promise.all(Array.from({ length: connections }, (_, index) => this.connect(index, index === 0 ? { ...punches, ...retained } : punches)));
  }

  /** One connection of the group: the first takes the retained topics too, the others punches only. */
  private async connect(index: number, subscriptions: Record<string, { qos: 1 }>): Promise<void> {
    const { mqtt: settings, central } = this.options.config;
    const clientId = index === 0 ? `${central.id}-${this.options.instance}` : `${central.id}-${this.options.instance}.${index}`;
    const client = mqtt.connect(settings.url, {
      protocolVersion: settings.protocolVersion,
      clientId,
      clean: false,
      ...(settings.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 7 * 24 * 3600 } } : {}),
      reconnectPeriod: 1000,
      ...(settings.username ? { username: settings.username } : {}),
      ...(settings.password ? { password: settings.password } : {}),
      ...(settings.ca ? { ca: settings.ca } : {}),
    });
    this.clients.push(client);
    client.handleMessage = (packet, callback) => {
      this.handle(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    };
    client.on('error', (error) => this.options.log.warn({ code: 'GW_ERR_SINK_UNREACHABLE', err: error, clientId }, 'central: broker connection error'));
    client.on('connect', () => {
      // a resumed session keeps its subscriptions; subscribing again is harmless and covers a lost one
      client.subscribe(subscriptions, (error) => error && this.options.log.error({ code: 'GW_ERR_SINK_UNREACHABLE', err: error, clientId }, 'central: subscribe failed'));
      this.options.log.info({ url: settings.url, group: settings.group, clientId }, 'central: connected to broker');
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.clients.map((client) => client.endAsync()));
  }

  /** Ends the connections at once, without acknowledging what is being stored (tests: a crash). */
  kill(): void {
    this.stopping = true;
    for (const client of this.clients) client.end(true);
  }

  private route(topic: string): Route | undefined {
    const levels = topic.slice(this.options.config.mqtt.topicPrefix.length + 1).split('/');
    if (levels.length === 3 && (levels[2] === 'punch' || levels[2] === 'watermark')) return { kind: levels[2], site: levels[0] as string, device: levels[1] as string };
    if (levels.length === 3 && levels[2] === 'status') return { kind: 'device-status', site: levels[0] as string, device: levels[1] as string };
    if (levels.length === 4 && levels[1] === 'gateway' && (levels[3] === 'checkpoint' || levels[3] === 'status')) return { kind: levels[3], site: levels[0] as string, gateway: levels[2] as string };
    return undefined;
  }

  private invalid(topic: string, why: string): void {
    this.counts.invalid += 1;
    this.options.log.warn({ code: 'GW_ERR_CENTRAL_MESSAGE_INVALID', topic, why: why.slice(0, 300) }, 'central: message is not what its topic carries; acknowledged, not stored');
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    const route = this.route(topic);
    if (!route) return this.invalid(topic, 'not a topic the centre reads');
    if (route.kind === 'checkpoint') {
      if (payload.length === 0) return;
      const note = payload.toString('utf8');
      const outcome = await this.withStore(() => this.options.checker.checkpointArrived(note, route.site, route.gateway));
      this.counts.checkpoints += 1;
      if (outcome === 'awaiting-key') this.awaitingKey.set(route.gateway, { note, site: route.site });
      return;
    }
    let json: unknown;
    try {
      json = payload.length === 0 ? undefined : JSON.parse(payload.toString('utf8'));
    } catch (error) {
      return this.invalid(topic, `not JSON: ${errorMessage(error)}`);
    }
    if (json === undefined) return; // a retained message cleared
    if (route.kind === 'punch') {
      const punch = punchSchema.safeParse(json);
      if (!punch.success) return this.invalid(topic, punch.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      if (punch.data.site !== route.site || punch.data.device.id !== route.device) return this.invalid(topic, `a punch of ${punch.data.site}/${punch.data.device.id} on the topic of ${route.site}/${route.device}`);
      const problem = contractProblem(punch.data);
      if (problem) return this.invalid(topic, problem);
      const stored = await this.batcher.store(punch.data);
      if (stored) this.counts.punchesStored += 1;
      else this.counts.punchesDuplicate += 1;
      return;
    }
    if (route.kind === 'watermark') {
      const watermark = watermarkSchema.safeParse(json);
      if (!watermark.success) return this.invalid(topic, watermark.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      this.counts.watermarks += 1;
      await this.withStore(() => this.options.store.transaction((tx) => storeWatermark(tx, watermark.data)));
      return;
    }
    if (route.kind === 'device-status') {
      const status = deviceStatusSchema.safeParse(json);
      if (!status.success) return this.invalid(topic, status.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      this.counts.deviceStatuses += 1;
      await this.withStore(() => this.options.store.transaction((tx) => storeDeviceStatus(tx, route.site, route.device, status.data)));
      return;
    }
    if (route.kind !== 'status') return;
    const { gateway, site } = route;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return this.invalid(topic, 'a gateway status is a JSON object');
    this.counts.statuses += 1;
    const status = json as Record<string, unknown>;
    await this.withStore(() =>
      this.options.store.transaction(async (tx) => {
        const changedKey = await storeStatus(tx, gateway, site, status);
        if (changedKey && (await recordProblem(tx, { gateway: gateway, kind: 'key-changed', detail: changedKey }))) {
          this.options.log.error({ code: 'GW_ERR_CENTRAL_LOG_PROBLEM', gateway: gateway, kind: 'key-changed' }, changedKey);
        }
      }),
    );
    const waiting = this.awaitingKey.get(gateway);
    if (waiting && typeof status.logKey === 'string') {
      this.awaitingKey.delete(gateway);
      await this.withStore(() => this.options.checker.checkpointArrived(waiting.note, waiting.site, gateway));
    }
  }

  /** Runs `work` until it succeeds (the database may be away), with backoff; gives up only when stopping. */
  private async withStore<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (this.stopping) throw error;
        this.counts.storeRetries += 1;
        const waitMs = backoffDelayMs(attempt, { baseMs: 200, maxMs: 10_000 });
        this.options.log.warn({ code: 'GW_ERR_CENTRAL_STORE_UNAVAILABLE', err: error, attempt, waitMs }, 'central: cannot store a message; holding it (not acknowledged) and retrying');
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }
}
