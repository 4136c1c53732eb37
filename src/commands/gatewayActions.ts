// What each remote command does on a gateway (README "Remote commands"), over the gateway's parts
// as a structural view (the Gateway itself), like gatewayView.ts.
// Invariants:
// - `info` reads only: version, devices with their retained status fields, the backlog per sink.
// - `sync-clock` goes to the running driver's ClockSetter (its own session); `backfill` queues a
//   read on a push terminal exactly as `pull` does through the local API (POST
//   /api/devices/:id/backfill): same range rules, same driver call. What a driver cannot do is
//   GW_ERR_COMMAND_UNSUPPORTED; a device that is not configured or not running is
//   GW_ERR_COMMAND_FAILED. Nothing here touches a device other than the one named.
// - `users-import` is usersImport.ts: the employee list through the users engine, never a delete.
import type { GatewayConfig } from '../config/schema.js';
import { isClockSetter } from '../devices/clockSetter.js';
import type { DeviceStates } from '../devices/deviceState.js';
import type { Driver } from '../devices/driver.js';
import { isBackfillTarget } from '../devices/push.js';
import { formatLocal, fullLocalTime, zoneOffsetMinutes } from '../punch/time.js';
import { GatewayError } from '../util/errors.js';
import type { Command } from './command.js';
import type { CommandActions } from './commandRunner.js';
import { importUsersRemotely, type UsersImportParts } from './usersImport.js';

export interface ActionParts extends UsersImportParts {
  readonly config: GatewayConfig;
  readonly startedAt: Date;
  readonly states: DeviceStates;
  readonly supervisor: { driverOf(deviceId: string): Driver | undefined };
  queueSnapshot(): Record<string, { pending: number; deadLetters: number }>;
  readonly logKey: { vkey: string } | undefined;
}

export function gatewayActions(parts: ActionParts, version: string): CommandActions {
  return {
    run: async (command, signal) => {
      switch (command.action) {
        case 'info':
          return info(parts, version);
        case 'sync-clock': {
          const driver = runningDriver(parts, command.args.device);
          if (!isClockSetter(driver)) throw new GatewayError('GW_ERR_COMMAND_UNSUPPORTED', `device "${command.args.device}" (${deviceEntry(parts, command.args.device).driver}): its driver cannot set the terminal clock on request`);
          return { device: command.args.device, ...(await driver.setClockNow(signal)) };
        }
        case 'backfill':
          return backfill(parts, command);
        case 'users-import':
          return importUsersRemotely(parts, command.args, signal);
      }
    },
  };
}

function info(parts: ActionParts, version: string): unknown {
  const { gateway } = parts.config;
  return {
    gateway: gateway.id,
    site: gateway.site,
    version,
    startedAt: parts.startedAt.toISOString(),
    logKey: parts.logKey?.vkey ?? null,
    devices: parts.config.devices.map((entry) => {
      const state = parts.states.get(entry.id);
      return {
        id: entry.id,
        driver: entry.driver,
        enabled: entry.enabled,
        online: state?.online ?? false,
        lastSeen: state?.lastSeen ?? null,
        lastPunchAt: state?.lastPunchAt ?? null,
        serial: state?.serial ?? null,
        clockSkewSec: state?.clockSkewSec ?? null,
        lastError: state?.lastError ?? null,
      };
    }),
    backlog: parts.queueSnapshot(),
  };
}

function backfill(parts: ActionParts, command: Extract<Command, { action: 'backfill' }>): unknown {
  const { device: id, since } = command.args;
  const driver = runningDriver(parts, id);
  const entry = deviceEntry(parts, id);
  if (!isBackfillTarget(driver)) throw new GatewayError('GW_ERR_COMMAND_UNSUPPORTED', `device "${id}" (${entry.driver}) takes no queued backfill: only terminals that call the gateway (zk-push) do; a pulled terminal's whole log is read on every poll`);
  const zone = entry.timezone ?? parts.config.gateway.timezone;
  const sinceLocal = fullLocalTime(since ?? '2000-01-01');
  // as POST /api/devices/:id/backfill: a day past the gateway's "now", for a terminal clock somewhat ahead
  const untilLocal = formatLocal(Date.now() + 86_400_000, zoneOffsetMinutes(zone, Date.now()));
  const queued = driver.queueBackfill(sinceLocal, untilLocal);
  return { device: id, commandId: queued.id, since: sinceLocal, until: untilLocal, queued: true };
}

function deviceEntry(parts: ActionParts, id: string): GatewayConfig['devices'][number] {
  const entry = parts.config.devices.find((d) => d.id === id);
  if (!entry) throw new GatewayError('GW_ERR_COMMAND_FAILED', `no device "${id}" in this gateway's config`);
  return entry;
}

function runningDriver(parts: ActionParts, id: string): Driver {
  deviceEntry(parts, id);
  const driver = parts.supervisor.driverOf(id);
  if (!driver) throw new GatewayError('GW_ERR_COMMAND_FAILED', `device "${id}" is not running (disabled, or its driver is restarting)`);
  return driver;
}
