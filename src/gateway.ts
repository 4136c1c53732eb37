// One gateway instance: buffer, sinks, dispatchers, push listener, device supervisor and host clock
// monitor wired from a config. Data flows one way: driver → normalize → buffer (committed) →
// dispatcher → publisher → ack. The local API sees it only through `view` (src/api/view.ts) and
// is served with the starter its owner hands in (GatewayDeps.api); nothing outside changes its
// parts: a new config comes in through `reload`.
// Invariants:
// - `start` opens the buffer before any driver runs, so no punch can arrive without a place to go;
//   the API starts last, once there is something to show.
// - The punch log's signing key (<dataDir>/log-key.pem) is read, or created, before anything
//   else: a key others may have read, or a broken one, stops the start (GW_ERR_LOG_KEY_*). The
//   checkpointer signs the buffer's log from before the first dispatch until after the last one
//   (DESIGN.md "Punch log: tamper-evident, signed"): retained on MQTT, in every HTTPS batch.
// - The kiosk listener (src/kiosk/start.ts) starts, like the push listener, only when an enabled
//   kiosk entry is configured at start; the first kiosk added by a reload needs a restart.
// - `stop` closes the API, the push and the kiosk listener, stops drivers (no new punches), then lets
//   dispatchers flush in-flight publishes for at most `supervisor.shutdownTimeout`, publishes a
//   last checkpoint if the log grew, then closes sinks and finally the buffer.
// - `reload` (SIGHUP): an invalid file changes nothing (logged with every problem, counted as
//   `refused`). Only `devices` changes live: an unchanged device keeps running untouched, a removed
//   one is stopped, a changed one is stopped completely before its new instance starts (never two
//   sessions to one terminal), an added one is started. Punches are never lost or doubled by it: a
//   driver's emit commits before it acknowledges and the buffer de-duplicates by id. Every other
//   section needs a restart (logged; the running value is kept), and so does the first push device
//   of a gateway that started without a push listener. A removed device's retained MQTT status
//   turns `online: false`. Reloads run one after another, never interleaved.
// - userSync groups (src/commands/userSync.ts) and users jobs (src/commands/usersJobs.ts) run once
//   the devices do, and stop before them.
// - Remote commands (commands.enabled) listen on the MQTT sink's connection once the devices run,
//   and stop before the devices do (src/commands/commandRunner.ts has their rules).
// - Each device's watermark (src/devices/watermark.ts) lives in the buffer; it is published
//   retained (`{prefix}/{site}/{deviceId}/watermark`) when it changes, after every CONNACK and when
//   a reload starts the device, so a restart or an outage of the broker republishes it.
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ApiServer, ApiStarter, GatewayView } from './api/view.js';
import { SqlitePunchBuffer } from './buffer/sqlitePunchBuffer.js';
import { ClockMonitor } from './clock/clockMonitor.js';
import type { HostClockProbe } from './clock/hostClock.js';
import { diffConfig, withZone } from './config/diff.js';
import { ConfigError, loadConfigFile, type LoadOptions } from './config/load.js';
import { bufferFileOf, type GatewayConfig } from './config/schema.js';
import { createDriverContext } from './devices/context.js';
import { DeviceStates, type DeviceSnapshot } from './devices/deviceState.js';
import { needsKioskListener, needsPushListener, type AnyDriverDefinition } from './devices/definition.js';
import { DeviceSupervisor } from './devices/supervisor.js';
import { storedWatermark } from './devices/watermark.js';
import { createGatewayView } from './gatewayView.js';
import type { Checkpointer } from './log/checkpointer.js';
import type { LogKey } from './log/logKey.js';
import { loadGatewayLogKey, startSigning } from './log/startSigning.js';
import type { PunchLog } from './log/punchLog.js';
import type { CommandRunner } from './commands/commandRunner.js';
import { startGatewayCommands } from './commands/gatewayCommands.js';
import { Dispatcher } from './publish/dispatcher.js';
import { UserSync } from './commands/userSync.js';
import { UsersJobs } from './commands/usersJobs.js';
import { createPublishers } from './publish/fromConfig.js';
import { MqttPublisher } from './publish/mqttPublisher.js';
import type { Publisher } from './publish/publisher.js';
import type { Watermark } from './punch/watermark.js';
import { PushListener } from './push/listener.js';
import type { KioskListener } from './kiosk/listener.js';
import { PhotoStore, photosDir } from './kiosk/photos.js';
import { prunePhotos, startKioskListener } from './kiosk/start.js';
import { codeOf } from './util/errors.js';
import { createMetrics, type Metrics } from './util/metrics.js';
import { Throttle } from './util/throttle.js';
import { ChangeGate } from './util/changeGate.js';
import { VERSION } from './version.js';
import type { DeviceStatusPayload, GatewayStatusPayload } from './punch/status.js';

export interface GatewayDeps {
  log: Logger;
  /** the families this gateway can run (the build's: src/drivers.ts) */
  drivers: readonly AnyDriverDefinition[];
  /**
   * Serves the local API on api.listen once the gateway runs: the composition root passes
   * `startApiServer` (src/api/server.ts). Absent or false: no API (library use, most tests).
   */
  api?: ApiStarter | false;
  /** how the host clock is read (tests: an unsynchronized one); default the real clock and timedatectl */
  hostClock?: HostClockProbe;
}

/** How long `stop` waits for the broker to acknowledge the last checkpoint. */
const LAST_CHECKPOINT_WAIT_MS = 2000;

/** What a reload did: the devices it added, removed and restarted, and the sections it could not apply. */
export interface ReloadOutcome {
  applied: boolean;
  added: string[];
  removed: string[];
  changed: string[];
  /** top-level sections that differ but need a restart; their running values were kept */
  needsRestart: string[];
}

/** How often a retained device status whose only change is lastSeen is published again. */
const STATUS_REFRESH_MS = 5 * 60_000;

const REFUSED: ReloadOutcome = { applied: false, added: [], removed: [], changed: [], needsRestart: [] };

export class Gateway {
  readonly metrics: Metrics = createMetrics();
  readonly states = new DeviceStates();
  /** host clock checks (GW_ERR_CLOCK_UNSYNCHRONIZED, gateway_host_clock_synchronized) */
  readonly clock: ClockMonitor;
  readonly publishers: Publisher[] = [];
  readonly dispatchers: Dispatcher[] = [];
  readonly log: Logger;
  buffer!: SqlitePunchBuffer;
  supervisor!: DeviceSupervisor;
  /** what the local API may see and do (src/api/view.ts) */
  readonly view: GatewayView;
  /** the local API server, once listening (undefined when not asked for or it could not listen) */
  api: ApiServer | undefined;
  /** the push listener (pushListener.listen), once listening; only when a push device is configured */
  push: PushListener | undefined;
  /** the kiosk listener (kiosk.listen, mutual TLS), once listening; only when a kiosk is configured */
  kiosk: KioskListener | undefined;
  private photos: PhotoStore | undefined;
  /** the punch log's signing key, once started */
  logKey: LogKey | undefined;
  /** the buffer's punch log, once started; undefined when the buffer keeps none */
  punchLog: PunchLog | undefined;
  /** signs and publishes checkpoints of `punchLog` */
  checkpointer: Checkpointer | undefined;
  /** runs signed remote commands (commands.enabled, over the MQTT sink), once started */
  commands: CommandRunner | undefined;
  /** the userSync groups' rounds (src/commands/userSync.ts), once the devices run */
  userSync: UserSync | undefined;
  /** users jobs the local API started (the `users` CLI through the daemon), once the devices run */
  usersJobs: UsersJobs | undefined;
  readonly drivers: readonly AnyDriverDefinition[];
  private runningConfig: GatewayConfig;
  private readonly startApi: ApiStarter | undefined;
  /** the last reload asked for; the next one waits for it */
  private reloads: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  /** at most one retained device-status publish per device per second: a download of 10,000 punches is one status, not 10,000 */
  private readonly statusPublishes = new Throttle(1000, (deviceId) => this.publishDeviceStatus(deviceId));
  /** a retained device status is published again only when it changed (lastSeen alone: every 5 minutes) */
  private readonly statusChanges = new ChangeGate(['lastSeen'], STATUS_REFRESH_MS);
  private started = false;
  /** when this gateway was made (it starts right after): one value for /api/gateway and the MQTT status */
  readonly startedAt = new Date();

  constructor(config: GatewayConfig, deps: GatewayDeps) {
    this.runningConfig = config;
    this.log = deps.log.child({ gateway: config.gateway.id, site: config.gateway.site });
    this.drivers = deps.drivers;
    this.startApi = deps.api || undefined;
    this.clock = new ClockMonitor({ log: this.log, metrics: this.metrics, states: this.states, ...(deps.hostClock ? { probe: deps.hostClock } : {}), onChange: () => this.mqtt?.publishGatewayStatus() });
    this.view = createGatewayView(this);
  }

  /** the running config; `reload` replaces its `devices` (nothing else changes live) */
  get config(): GatewayConfig {
    return this.runningConfig;
  }

  get bufferFile(): string {
    return bufferFileOf(this.config);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { config } = this;
    mkdirSync(config.gateway.dataDir, { recursive: true });
    this.loadLogKey();
    this.createPublishers();
    this.buffer = new SqlitePunchBuffer({ file: this.bufferFile, sinks: this.publishers.map((p) => p.sink), synchronous: config.buffer.synchronous, writer: config.buffer.writer });
    this.buffer.on('commitError', () => this.metrics.commitErrors.inc());
    this.startCheckpointer();
    for (const publisher of this.publishers) {
      await publisher.start();
      const authRetryMs = publisher.sink === 'https' ? config.publish.https?.authRetry : undefined;
      const dispatcher = new Dispatcher({ buffer: this.buffer, publisher, log: this.log, metrics: this.metrics, ...(authRetryMs ? { authRetryMs } : {}) });
      dispatcher.start();
      this.dispatchers.push(dispatcher);
    }
    await this.startPushListener();
    if (config.devices.some((device) => needsKioskListener(device, this.drivers))) {
      const started = await startKioskListener(config, { log: this.log, metrics: this.metrics });
      this.kiosk = started?.listener;
      this.photos = started?.photos;
    }
    this.supervisor = new DeviceSupervisor({
      factories: this.drivers,
      states: this.states,
      log: this.log,
      metrics: this.metrics,
      restartMinMs: config.supervisor.restartMin,
      restartMaxMs: config.supervisor.restartMax,
      makeContext: (device, signal, onFail, log) =>
        createDriverContext({
          device, gateway: config.gateway, punches: config.punches, buffer: this.buffer, states: this.states, log, metrics: this.metrics, signal, onFail,
          onWatermark: (deviceId) => this.publishWatermark(deviceId),
          ...(this.push ? { push: this.push } : {}),
          ...(this.kiosk ? { kiosk: this.kiosk } : {}),
        }),
    });
    this.states.on('change', (device: DeviceSnapshot) => this.onDeviceChange(device));
    // drivers see their zone explicitly: the device's own, else the gateway's
    await this.supervisor.startAll(config.devices.map((d) => withZone(d, config.gateway.timezone)));
    this.commands = startGatewayCommands(this, VERSION);
    this.userSync = new UserSync({ groups: config.userSync, devices: () => this.config.devices, drivers: this.drivers, supervisor: this.supervisor, dataDir: config.gateway.dataDir, log: this.log, metrics: this.metrics });
    this.userSync.start();
    this.usersJobs = new UsersJobs({ devices: () => this.config.devices, drivers: this.drivers, supervisor: this.supervisor, dataDir: config.gateway.dataDir, log: this.log });
    this.startTimers();
    this.metrics.runtime.start();
    this.clock.start();
    if (this.startApi) this.api = await this.startApi(this.view, this.log);
    this.log.info({ version: VERSION, node: process.version, nodeFlags: process.execArgv, buffer: this.bufferFile, sinks: this.publishers.map((p) => p.sink), devices: config.devices.length }, 'gateway started');
  }

  private loadLogKey(): void {
    this.logKey = loadGatewayLogKey(this.config.gateway, this.log);
  }

  /** Signs the buffer's log from now on (before the first dispatch, so every HTTPS batch finds a checkpoint). */
  private startCheckpointer(): void {
    const { log, logProblem } = this.buffer;
    this.punchLog = log;
    const key = this.logKey;
    if (!key) return;
    this.checkpointer = startSigning({
      log, logProblem, key, dataDir: this.config.gateway.dataDir, bufferFile: this.bufferFile, intervalMs: this.config.log.checkpointInterval, logger: this.log,
      publish: (note) => this.mqtt?.publishCheckpoint(note),
    });
  }

  /** Terminals that call the gateway (zk-push, hikvision-isapi with push) need the push listener; nothing listens otherwise. */
  private async startPushListener(): Promise<void> {
    if (!this.config.devices.some((device) => needsPushListener(device, this.drivers))) return;
    const { maxBodyBytes, requestTimeout, idleTimeout, keepAliveTimeout, maxConnections, maxConnectionsPerAddress } = this.config.pushListener;
    const limits = { requestTimeoutMs: requestTimeout, idleTimeoutMs: idleTimeout, keepAliveTimeoutMs: keepAliveTimeout, maxConnections, maxConnectionsPerAddress };
    const listener = new PushListener({ log: this.log, metrics: this.metrics, maxBodyBytes, limits });
    try {
      await listener.listen(this.config.pushListener.listen);
      this.push = listener;
    } catch (error) {
      this.log.error({ code: 'GW_ERR_PUSH_UNAVAILABLE', err: error, ...this.config.pushListener.listen }, 'push listener not started; push terminals cannot deliver');
      await listener.close().catch(() => undefined);
    }
  }

  private createPublishers(): void {
    const { gateway, publish } = this.config;
    const sinks = createPublishers(this.config, {
      log: this.log,
      startedAt: this.startedAt,
      queueSnapshot: () => this.queueSnapshot(),
      statusExtras: () => ({ hostClock: this.clock.latest ?? null }),
      ...(this.logKey ? { logKey: this.logKey.vkey } : {}),
      onMqttConnect: () => {
        this.statusChanges.forget();
        for (const device of this.states.list()) this.statusPublishes.request(device.id);
        for (const device of this.config.devices) this.publishWatermark(device.id);
      },
      checkpointFor: (seq) => this.checkpointer?.covering(seq)?.note,
      ...(publish.photos ? { photos: new PhotoStore(photosDir(gateway.dataDir)) } : {}),
    });
    this.publishers.push(...sinks);
  }

  private startTimers(): void {
    const mqtt = this.mqtt;
    if (mqtt) this.timers.push(setInterval(() => mqtt.publishGatewayStatus(), this.config.publish.mqtt?.statusInterval ?? 60_000));
    this.timers.push(setInterval(() => this.prune(), this.config.buffer.pruneInterval));
    const photos = this.photos;
    if (photos) this.timers.push(setInterval(() => void prunePhotos(photos, this.config.kiosk.photoRetention, this.log), this.config.buffer.pruneInterval));
    this.timers.push(setInterval(() => this.refreshSinkGauges(), 5_000));
    for (const timer of this.timers) timer.unref();
  }

  get mqtt(): MqttPublisher | undefined {
    return this.publishers.find((p): p is MqttPublisher => p instanceof MqttPublisher);
  }

  private onDeviceChange(device: DeviceSnapshot): void {
    if (device.online) this.supervisor.markHealthy(device.id);
    this.statusPublishes.request(device.id);
  }

  /** Publishes the retained status of one device (throttled by `statusPublishes`). */
  private publishDeviceStatus(deviceId: string): void {
    const device = this.states.get(deviceId);
    const mqtt = this.mqtt;
    if (!device || !mqtt?.health().connected) return;
    const status = retainedStatusOf(this.config.gateway.id, device);
    if (this.statusChanges.admit(device.id, status)) mqtt.publishDeviceStatus(device.id, status);
  }

  /** A device's watermark as the buffer keeps it (undefined: none, or the buffer is not open). */
  watermarkOf(deviceId: string): Watermark | undefined {
    if (!this.buffer || this.buffer.isClosed) return undefined;
    return storedWatermark(this.buffer, { gateway: this.config.gateway.id, site: this.config.gateway.site }, deviceId);
  }

  /** Publishes a device's retained watermark, when it has one. */
  private publishWatermark(deviceId: string): void {
    const watermark = this.watermarkOf(deviceId);
    if (watermark) this.mqtt?.publishDeviceWatermark(deviceId, watermark);
  }

  queueSnapshot(): NonNullable<GatewayStatusPayload['queue']> {
    if (!this.buffer || this.buffer.isClosed) return {};
    return Object.fromEntries(this.buffer.backlog().sinks.map((s) => [s.sink, { pending: s.pending, deadLetters: s.deadLetters, oldestPendingAt: s.oldestPendingAt }]));
  }

  private refreshSinkGauges(): void {
    for (const publisher of this.publishers) {
      const health = publisher.health();
      this.metrics.sinkUp.set({ sink: publisher.sink }, health.connected && !health.halted ? 1 : 0);
    }
  }

  prune(): number {
    try {
      const removed = this.buffer.prune(this.config.buffer.retention);
      if (removed > 0) this.log.info({ removed }, 'retention: delivered punches removed');
      return removed;
    } catch (error) {
      this.log.error({ code: codeOf(error, 'GW_ERR_BUFFER_UNAVAILABLE'), err: error }, 'retention failed');
      return 0;
    }
  }

  /** Applies an already validated config to the running gateway (see the invariants above). */
  reload(next: GatewayConfig): Promise<ReloadOutcome> {
    return this.oneReloadAtATime(() => this.applyConfig(next));
  }

  /** Re-reads `file` (with this gateway's drivers unless `options` names others) and applies it; never throws for a bad file. */
  reloadFromFile(file: string, options: Partial<LoadOptions> = {}): Promise<ReloadOutcome> {
    return this.oneReloadAtATime(async () => {
      let next: GatewayConfig;
      try {
        next = loadConfigFile(file, { drivers: this.drivers, ...options });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        this.metrics.configReloads.inc({ result: 'refused' });
        this.log.error({ code: error.code, file, problems: error.problems }, 'config reload refused: the new file is invalid; the running config is kept');
        return REFUSED;
      }
      return this.applyConfig(next);
    });
  }

  private oneReloadAtATime<T>(task: () => Promise<T>): Promise<T> {
    const run = this.reloads.then(task, task);
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private async applyConfig(next: GatewayConfig): Promise<ReloadOutcome> {
    if (!this.supervisor) {
      this.log.warn({ code: 'GW_ERR_CONFIG_WARNING' }, 'config reload ignored: the gateway has not started yet');
      return REFUSED;
    }
    const current = this.runningConfig;
    const { added, removed, changed, sections } = diffConfig(current, next);
    const needsRestart = [...sections];
    const entries = new Map(next.devices.map((d) => [d.id, d]));
    const starting = [...changed, ...added].map((id) => entries.get(id)!);
    // the push listener starts with the gateway, and only when a push device is configured then
    if (!this.push && starting.some((device) => needsPushListener(device, this.drivers)) && !needsRestart.includes('pushListener')) needsRestart.push('pushListener');
    if (!this.kiosk && starting.some((device) => needsKioskListener(device, this.drivers)) && !needsRestart.includes('kiosk')) needsRestart.push('kiosk');

    const timeoutMs = current.supervisor.shutdownTimeout;
    const lastKnown = new Map(removed.map((id) => [id, this.states.get(id)]));
    await Promise.all([...removed, ...changed].map((id) => this.supervisor.remove(id, timeoutMs)));
    for (const id of removed) {
      this.metrics.deviceUp.remove({ device: id });
      // the retained status must not go on saying "online" for a device the gateway no longer reads
      this.statusChanges.forget(id);
      this.mqtt?.publishDeviceStatus(id, { ...retainedStatusOf(this.config.gateway.id, lastKnown.get(id)), online: false, lastError: 'removed from the gateway config', lastErrorCode: null });
    }
    this.runningConfig = { ...current, devices: next.devices };
    for (const device of starting) {
      this.supervisor.add(withZone(device, current.gateway.timezone));
      this.publishWatermark(device.id);
    }
    this.clock.annotate();
    this.metrics.configReloads.inc({ result: 'applied' });
    this.log.info({ added, removed, changed, devices: next.devices.length }, 'config reloaded');
    if (needsRestart.length > 0) {
      this.log.warn({ code: 'GW_ERR_CONFIG_WARNING', sections: needsRestart }, 'config sections changed that only a restart applies (systemctl restart absensi-gateway); running values kept');
    }
    return { applied: true, added, removed, changed, needsRestart };
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const timeoutMs = this.config.supervisor.shutdownTimeout;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.statusPublishes.cancelAll();
    this.metrics.runtime.stop();
    this.clock.stop();
    await this.api?.close().catch((error: unknown) => this.log.warn({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error }, 'local API close failed'));
    this.api = undefined;
    // no new push requests; those in flight finish while the buffer is still open
    await this.push?.close().catch((error: unknown) => this.log.warn({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error }, 'push listener close failed'));
    this.push = undefined;
    await this.commands?.stop();
    await this.userSync?.stop();
    await this.usersJobs?.stop(timeoutMs);
    await this.kiosk?.close().catch((error: unknown) => this.log.warn({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error }, 'kiosk listener close failed'));
    this.kiosk = undefined;
    await this.supervisor.stopAll(timeoutMs);
    await Promise.all(this.dispatchers.map((d) => d.stop(timeoutMs)));
    await Promise.race([this.checkpointer?.stop(), new Promise((resolve) => setTimeout(resolve, LAST_CHECKPOINT_WAIT_MS).unref())]);
    await Promise.all(this.publishers.map((p) => p.stop(AbortSignal.timeout(timeoutMs)).catch((error: unknown) => this.log.warn({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error, sink: p.sink }, 'sink stop failed'))));
    await this.buffer.drain();
    this.buffer.close();
    this.log.info('gateway stopped');
  }
}

/** A device's retained MQTT status (`{prefix}/{site}/{deviceId}/status`); all null for a device never heard of. */
function retainedStatusOf(gateway: string, device: DeviceSnapshot | undefined): DeviceStatusPayload {
  return {
    gateway,
    online: device?.online ?? false,
    lastSeen: device?.lastSeen ?? null,
    lastPunchAt: device?.lastPunchAt ?? null,
    serial: device?.serial ?? null,
    model: device?.model ?? null,
    clockSkewSec: device?.clockSkewSec ?? null,
    lastError: device?.lastError ?? null,
    lastErrorCode: device?.lastErrorCode ?? null,
  };
}
