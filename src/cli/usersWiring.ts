// What the `users` commands need from the core: the config, each named device's entry and its
// family's users side (DriverDefinition.users), whether the running daemon holds the terminal, and
// a session to it.
// Invariants:
// - Every device of a command is resolved and checked before the first terminal is read: a typo,
//   a family without users or a terminal the daemon holds stops the command having touched nothing.
// - A family whose facet says alongsideDaemon: false is not opened while the running daemon (its
//   local API, as the config names it) reports the device online: the command says to stop it,
//   as `pull` does (pullViaDaemon.ts daemonHolding).
import { loadConfigFile } from '../config/load.js';
import type { DeviceConfig, GatewayConfig } from '../config/schema.js';
import { definitionOf, type AnyDriverDefinition } from '../devices/definition.js';
import type { UsersAccess, UsersFacet, UsersSession } from '../devices/facets.js';
import { GatewayError } from '../util/errors.js';
import { createLogger } from '../util/logger.js';
import { daemonHolding } from './pullViaDaemon.js';

export interface UsersDevice {
  device: DeviceConfig;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  facet: UsersFacet<any>;
}

export function loadUsersConfig(configPath: string, drivers: readonly AnyDriverDefinition[]): GatewayConfig {
  return loadConfigFile(configPath, { drivers });
}

/** Where a users command finds its devices: the config as loaded, from which file, with which families. */
export interface UsersScope {
  config: GatewayConfig;
  configPath: string;
  drivers: readonly AnyDriverDefinition[];
}

/** The entry of `deviceId` and its family's users side; a GatewayError saying why not otherwise. */
export function usersDeviceOf(scope: UsersScope, deviceId: string): UsersDevice {
  const { config, configPath, drivers } = scope;
  const device = config.devices.find((d) => d.id === deviceId);
  if (!device) throw new GatewayError('GW_ERR_CONFIG_INVALID', `no device "${deviceId}" in ${configPath}; it has: ${config.devices.map((d) => d.id).join(', ') || 'none'}`);
  const users = definitionOf(drivers, device.driver)?.users;
  if (!users) {
    const able = drivers.filter((d) => d.users && 'load' in d.users).map((d) => d.protocol);
    throw new GatewayError('GW_ERR_USERS_UNSUPPORTED', `"${deviceId}" is a ${device.driver} device, whose family has no users side in this build (users commands work with ${able.join(', ') || 'no family yet'})`);
  }
  if ('unsupported' in users) throw new GatewayError('GW_ERR_USERS_UNSUPPORTED', `"${deviceId}" is a ${device.driver} device: ${users.unsupported}`);
  if ('throughDaemon' in users) throw new GatewayError('GW_ERR_USERS_UNSUPPORTED', `"${deviceId}" is a ${device.driver} device: ${users.throughDaemon}; the users commands do not go through the daemon in this build`);
  return { device, facet: users };
}

/** Refuses a terminal the running daemon is connected to when its family serves one client at a time. */
export async function ensureNotHeld(scope: UsersScope, target: UsersDevice, commandLine: string): Promise<void> {
  if (target.facet.alongsideDaemon) return;
  const holding = await daemonHolding(target.device.id, scope.configPath, scope.drivers);
  if (!holding) return;
  throw new GatewayError(
    'GW_ERR_USERS_DAEMON_HOLDING',
    `the running gateway is connected to "${target.device.id}" (online in ${holding.apiUrl}/api/devices), and a ${target.device.driver} terminal serves one client at a time; stop the daemon for this command: sudo systemctl stop absensi-gateway && sudo ${commandLine}; sudo systemctl start absensi-gateway`,
  );
}

/** An open session to the terminal, logging warnings to stderr; close it when done. */
export async function openUsersSession(target: UsersDevice, signal: AbortSignal): Promise<UsersSession> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const access: UsersAccess<any> = await target.facet.load();
  const logger = createLogger({ level: 'warn', destination: process.stderr }).child({ device: target.device.id, command: 'users' });
  return access.open(target.device, { logger, signal });
}
