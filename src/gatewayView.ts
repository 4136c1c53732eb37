// The gateway's side of the local API's view (src/api/view.ts): the one place that knows both the
// gateway's parts and what the API may see of them.
// Invariants:
// - Every read goes to the part at the moment of the call (a reload replaces `config.devices`,
//   the buffer and the push listener exist only once the gateway has started).
// - Buffer reads and dead-letter actions use the daemon's own connection through queries.ts and
//   throw GW_ERR_BUFFER_UNAVAILABLE once the buffer is closed.
// - Watermarks are read from the buffer's per-device store (src/devices/watermark.ts) with the
//   running gateway's identity; none once the buffer is closed.
// - A replay wakes the dispatcher of every sink it queued punches for, so they go out at once
//   instead of at the next idle poll.
import type { BufferView, GatewayView, LogView } from './api/view.js';
import { countPunchesBetween, findPunch, listDeadLetters, listQuarantine, purgeDeadLetters, replayDeadLetters, searchPunches } from './buffer/queries.js';
import type { SqlitePunchBuffer } from './buffer/sqlitePunchBuffer.js';
import type { ClockMonitor } from './clock/clockMonitor.js';
import type { GatewayConfig } from './config/schema.js';
import { isKioskEntry, pushTrustOf, type AnyDriverDefinition } from './devices/definition.js';
import { kioskCertificateStatus } from './kiosk/status.js';
import type { DeviceStates } from './devices/deviceState.js';
import { storedFreeze, storedWatermark } from './devices/watermark.js';
import type { Driver } from './devices/driver.js';
import { isBackfillTarget } from './devices/push.js';
import type { RecentCommand } from './commands/commandRunner.js';
import type { Checkpointer } from './log/checkpointer.js';
import { logOrigin } from './log/checkpoint.js';
import type { LogKey } from './log/logKey.js';
import type { PunchLog } from './log/punchLog.js';
import type { Dispatcher } from './publish/dispatcher.js';
import type { Publisher } from './publish/publisher.js';
import type { PushListener } from './push/listener.js';
import type { UserSync } from './commands/userSync.js';
import type { UsersJobs } from './commands/usersJobs.js';
import { GatewayError } from './util/errors.js';
import type { Metrics } from './util/metrics.js';

/** The parts of a Gateway the view reads (the Gateway itself, structurally). */
export interface ViewedParts {
  readonly config: GatewayConfig;
  readonly startedAt: Date;
  readonly drivers: readonly AnyDriverDefinition[];
  readonly buffer: SqlitePunchBuffer;
  readonly publishers: readonly Publisher[];
  readonly dispatchers: readonly Dispatcher[];
  readonly states: DeviceStates;
  readonly clock: ClockMonitor;
  readonly push: PushListener | undefined;
  readonly supervisor: { driverOf(deviceId: string): Driver | undefined };
  readonly metrics: Metrics;
  readonly logKey: LogKey | undefined;
  readonly punchLog: PunchLog | undefined;
  readonly checkpointer: Checkpointer | undefined;
  readonly commands: { recent(): RecentCommand[] } | undefined;
  readonly userSync: Pick<UserSync, 'rounds'> | undefined;
  readonly usersJobs: Pick<UsersJobs, 'start' | 'get'> | undefined;
}

export function createGatewayView(parts: ViewedParts): GatewayView {
  const { gateway, api } = parts.config;
  return {
    gateway: { id: gateway.id, site: gateway.site, timezone: gateway.timezone, startedAt: parts.startedAt },
    api,
    devices: () => parts.config.devices,
    pushTrust: (device) => pushTrustOf(device, parts.drivers),
    kiosk: (device) => (isKioskEntry(device, parts.drivers) ? kioskCertificateStatus(gateway.dataDir, device.id) : undefined),
    states: parts.states,
    watermark: (deviceId) => (parts.buffer && !parts.buffer.isClosed ? storedWatermark(parts.buffer, { gateway: gateway.id, site: gateway.site }, deviceId) : undefined),
    watermarkFrozen: (deviceId) => (parts.buffer && !parts.buffer.isClosed ? storedFreeze(parts.buffer, deviceId) : undefined),
    sinkHealth: () => parts.publishers.map((p) => p.health()),
    hostClock: () => parts.clock.latest,
    unknownPushTerminals: () => parts.push?.unknown() ?? [],
    metrics: parts.metrics,
    buffer: bufferView(parts),
    log: logView(parts),
    replayDeadLetters: (selector) => {
      const change = replayDeadLetters(openDatabase(parts.buffer), selector);
      const sinks = new Set(change.rows.map((r) => r.sink));
      for (const dispatcher of parts.dispatchers) if (sinks.has(dispatcher.sink)) dispatcher.poke();
      return change;
    },
    purgeDeadLetters: (selector) => purgeDeadLetters(openDatabase(parts.buffer), selector),
    queueBackfill: (deviceId, sinceLocal, untilLocal) => {
      const driver = parts.supervisor.driverOf(deviceId);
      return isBackfillTarget(driver) ? { commandId: driver.queueBackfill(sinceLocal, untilLocal).id } : undefined;
    },
    recentCommands: () => parts.commands?.recent() ?? [],
    commandsEnabled: () => parts.commands !== undefined,
    userSyncRounds: () => parts.userSync?.rounds() ?? [],
    startUsersJob: (spec) => {
      if (!parts.usersJobs) throw new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'the gateway has not started its devices');
      return parts.usersJobs.start(spec);
    },
    usersJob: (id) => parts.usersJobs?.get(id),
  };
}

function bufferView(parts: ViewedParts): BufferView {
  return {
    isClosed: () => parts.buffer.isClosed,
    sinks: () => parts.buffer.sinks,
    stats: () => parts.buffer.stats(),
    backlog: () => parts.buffer.backlog(),
    // the in-memory cursors, not stats(): its count(*) would make every search scan the buffer
    searchPunches: (query) => searchPunches(openDatabase(parts.buffer), query, { sinks: parts.buffer.sinks, cursors: parts.buffer.ackedSeqs() }),
    findPunch: (id) => findPunch(openDatabase(parts.buffer), id, { sinks: parts.buffer.sinks, cursors: parts.buffer.ackedSeqs() }),
    countPunches: (deviceId, sinceUtc, untilUtc) => countPunchesBetween(openDatabase(parts.buffer), deviceId, sinceUtc, untilUtc),
    deadLetters: (options) => listDeadLetters(openDatabase(parts.buffer), options),
    quarantine: (options) => listQuarantine(openDatabase(parts.buffer), options),
    watchCommits: ({ committed, failed }) => {
      const { buffer } = parts;
      buffer.on('committed', committed);
      buffer.on('commitError', failed);
      return () => {
        buffer.off('committed', committed);
        buffer.off('commitError', failed);
      };
    },
  };
}

function logView(parts: ViewedParts): LogView {
  /** the log with its origin; GW_ERR_BUFFER_UNAVAILABLE (503) when there is none or the buffer is closed */
  const open = (): { log: PunchLog; origin: string } => {
    const log = parts.punchLog;
    if (!log || !parts.logKey) throw new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'the buffer keeps no punch log');
    if (parts.buffer.isClosed) throw new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'the buffer is closed');
    return { log, origin: logOrigin(parts.logKey.name, log.epoch) };
  };
  const withinHead = (log: PunchLog, size: number): void => {
    const head = log.head().size;
    if (size > head) throw new RangeError(`size ${size} is beyond the log's ${head}`);
  };
  return {
    key: () => parts.logKey?.vkey,
    treeSize: () => (parts.punchLog && !parts.buffer.isClosed ? parts.punchLog.head().size : undefined),
    checkpoint: () => {
      const latest = parts.checkpointer?.latest;
      return latest && { note: latest.note, origin: latest.origin, size: latest.size, time: latest.time };
    },
    inclusion: (index, size) => {
      const { log, origin } = open();
      withinHead(log, size);
      if (index >= size) throw new RangeError(`no leaf ${index} in a tree of ${size}`);
      return { origin, leafHash: log.leafHash(index), rootHash: log.root(size), path: log.inclusionProof(index, size) };
    },
    consistency: (from, to) => {
      const { log, origin } = open();
      withinHead(log, to);
      if (from > to) throw new RangeError(`from ${from} is beyond to ${to}`);
      return { origin, fromRoot: log.root(from), toRoot: log.root(to), path: log.consistencyProof(from, to) };
    },
  };
}

/** The daemon's connection; GW_ERR_BUFFER_UNAVAILABLE (503) once the buffer is closed. */
function openDatabase(buffer: SqlitePunchBuffer) {
  if (buffer.isClosed) throw new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'the buffer is closed');
  return buffer.database;
}
