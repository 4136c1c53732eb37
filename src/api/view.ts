// The seam between the gateway and its local API. GatewayView is what the API may see of a running
// gateway and the few things it may do there: the API's only way in. The gateway builds it
// (src/gatewayView.ts, `Gateway.view`) and no module of src/api imports the Gateway. ApiStarter is
// how the gateway runs an API it does not know: the composition root (src/cli/run.ts, demo.ts)
// hands it `startApiServer` (server.ts), and the gateway closes the ApiServer it got when it stops.
// Invariants:
// - Reads answer for the moment of the call: `devices()` lists the entries the last reload left,
//   `states`, `sinkHealth()` and the buffer what is true now. `gateway` and `api` are the running
//   sections, which only a restart changes.
// - Buffer reads and the dead-letter actions throw GatewayError GW_ERR_BUFFER_UNAVAILABLE once the
//   buffer is closed (the app answers 503); `buffer.isClosed()` and `buffer.sinks()` never throw.
// - `watermark` and `watermarkFrozen` read what the buffer keeps (undefined once it is closed).
// - The API changes nothing but this: it replays or purges dead letters (a replay wakes the
//   dispatcher of every sink it queued punches for), queues a backfill on a push terminal, and
//   starts users jobs (the `users` CLI through the daemon, src/commands/usersJobs.ts).
// - `log` reads the punch log: the verifier key, the latest signed checkpoint, proofs. Proofs
//   throw RangeError for a leaf or size the log does not hold (the app answers 400) and
//   GW_ERR_BUFFER_UNAVAILABLE when there is no log to read (503).
import type { Logger } from 'pino';
import type { BufferStats } from '../buffer/punchBuffer.js';
import type { DeadLetterChange, DeadLetterRow, DeadLetterSelector, PunchQuery, PunchWithStates, QuarantineRow } from '../buffer/queries.js';
import type { HostClockStatus } from '../clock/hostClock.js';
import type { RecentCommand } from '../commands/commandRunner.js';
import type { DeviceConfig, GatewayConfig } from '../config/schema.js';
import type { DeviceStates } from '../devices/deviceState.js';
import type { PushTrust } from '../devices/facets.js';
import type { WatermarkFrozen } from '../devices/watermark.js';
import type { Watermark } from '../punch/watermark.js';
import type { SinkHealth } from '../publish/publisher.js';
import type { UnknownTerminal } from '../push/listener.js';
import type { KioskCertificateStatus } from '../kiosk/status.js';
import type { Metrics } from '../util/metrics.js';
import type { GroupRound } from '../commands/userSync.js';
import type { UsersJobView } from '../commands/usersJobs.js';
import type { UsersJobSpec } from '../users/job.js';

/** Serves the API of `view` on its api.listen; resolves undefined when it cannot listen (and logged why). */
export type ApiStarter = (view: GatewayView, log: Logger) => Promise<ApiServer | undefined>;

/** A local API that listens. */
export interface ApiServer {
  /** where it listens; port is the real one when api.listen asked for port 0 */
  address: { host: string; port: number };
  url: string;
  close(): Promise<void>;
}

export interface GatewayView {
  /** gateway.id, site and default zone; startedAt: when this gateway started, the one value /api/gateway and the MQTT status carry */
  readonly gateway: Pick<GatewayConfig['gateway'], 'id' | 'site' | 'timezone'> & { readonly startedAt?: Date };
  /** where the API listens, its token, and the Host names it answers besides loopback */
  readonly api: GatewayConfig['api'];
  /** the configured device entries (a reload replaces them) */
  devices(): readonly DeviceConfig[];
  /** for an entry whose terminal calls the gateway: what authenticates it (its family says); undefined for any other */
  pushTrust(device: DeviceConfig): PushTrust | undefined;
  /** for a kiosk entry: its certificate as the local kiosk CA lists it; undefined for any other entry */
  kiosk(device: DeviceConfig): KioskCertificateStatus | undefined;
  /** what each device's driver last reported */
  readonly states: Pick<DeviceStates, 'get' | 'list'>;
  /** the device's completeness watermark (watermark/v1); undefined while none was proven */
  watermark(deviceId: string): Watermark | undefined;
  /** why the device's watermark can no longer advance; undefined while it can */
  watermarkFrozen(deviceId: string): WatermarkFrozen | undefined;
  /** each sink's health, in the order the gateway created the sinks */
  sinkHealth(): SinkHealth[];
  /** the last host clock check; undefined before the first */
  hostClock(): HostClockStatus | undefined;
  /** push terminals that called with a serial no device entry names; none without a push listener */
  unknownPushTerminals(): UnknownTerminal[];
  /** the process's metrics: the API serves the registry and sets the scrape-time gauges */
  readonly metrics: Metrics;
  readonly buffer: BufferView;
  readonly log: LogView;
  replayDeadLetters(selector: DeadLetterSelector): DeadLetterChange;
  purgeDeadLetters(selector: DeadLetterSelector): DeadLetterChange;
  /**
   * Queues a backfill of [since, until] (terminal-local) on a push terminal, which uploads the range
   * on its next poll; undefined when the device has no running driver that takes one.
   */
  queueBackfill(deviceId: string, sinceLocal: string, untilLocal: string): { commandId: string } | undefined;
  /** the last remote commands (accepted or refused), newest first; empty when commands are disabled */
  recentCommands(): RecentCommand[];
  /** whether remote commands are enabled and listening */
  commandsEnabled(): boolean;
  /** each userSync group's last round, its conflicts included (never a template or a password); empty without groups */
  userSyncRounds(): UserSyncRoundView[];
  /**
   * Starts a users job in the daemon (list, export, copy, import); throws a GatewayError when it
   * cannot: GW_ERR_API_NOT_FOUND (no such device), GW_ERR_USERS_UNSUPPORTED, GW_ERR_USERS_INPUT_INVALID,
   * GW_ERR_USERS_JOB_BUSY (another job works on one of its devices).
   */
  startUsersJob(spec: UsersJobSpec): UsersJobView;
  /** a users job's progress and outcome; undefined for an id the daemon does not keep */
  usersJob(id: string): UsersJobView | undefined;
}

export interface UserSyncRoundView {
  group: string;
  devices: readonly string[];
  /** undefined before the group's first round ended */
  last: GroupRound | undefined;
}

/** The punch log as the API reads it (README "Punch log"). */
export interface LogView {
  /** the verifier key (vkey) the centre checks checkpoints with; undefined before the gateway started */
  key(): string | undefined;
  /** leaves in the punch log now (committed punches it covers); undefined when the buffer keeps none or is closed */
  treeSize(): number | undefined;
  /** the latest signed checkpoint; undefined before the first (signed at start) or when the buffer keeps no log */
  checkpoint(): { note: string; origin: string; size: number; time: string } | undefined;
  /** RFC 9162 §2.1.3: the audit path of leaf `index` (the punch with seq index + 1) in the tree of `size` */
  inclusion(index: number, size: number): { origin: string; leafHash: Buffer; rootHash: Buffer; path: Buffer[] };
  /** RFC 9162 §2.1.4: the proof that the tree of `from` leaves is a prefix of the tree of `to` */
  consistency(from: number, to: number): { origin: string; fromRoot: Buffer; toRoot: Buffer; path: Buffer[] };
}

/** The buffer as the API reads it: the daemon's own connection, the dispatchers' live cursors. */
export interface BufferView {
  isClosed(): boolean;
  /** the configured sink names, each with a cursor */
  sinks(): readonly string[];
  stats(): BufferStats;
  /** `stats()` without the punch row count: index look-ups only (scrape-time gauges) */
  backlog(): Omit<BufferStats, 'punches'>;
  /** punches with each sink's state, from the in-memory cursors (fresher than the persisted ones) */
  searchPunches(query: PunchQuery): PunchWithStates[];
  /** one punch by its id with its state per sink (in-memory cursors); undefined when the buffer holds none */
  findPunch(id: string): PunchWithStates | undefined;
  /** how many punches of a device are dated in [sinceUtc, untilUtc) (the status page's chart) */
  countPunches(deviceId: string, sinceUtc: string, untilUtc: string): number;
  deadLetters(options: { sink?: string | undefined; limit: number }): DeadLetterRow[];
  quarantine(options: { device?: string | undefined; limit: number }): QuarantineRow[];
  /** Calls `committed` after every commit and `failed` after every failed one, until the returned function is called. */
  watchCommits(watcher: { committed(): void; failed(error: Error): void }): () => void;
}
