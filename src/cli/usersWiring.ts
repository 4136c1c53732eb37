// What the `users` commands need from the core: the config, each named device's entry and its
// family's users side (DriverDefinition.users), whether the job goes through the running daemon,
// and a session to a terminal when the CLI runs it itself.
// Invariants:
// - Every device of a command is resolved and checked before the first terminal is read: a typo
//   or a family without users stops the command having touched nothing.
// - The job goes through the daemon (usersViaDaemon.ts) when any of its devices needs it: a family
//   only the daemon reaches (zk-push, `throughDaemon`: with no daemon answering, the command says
//   so, GW_ERR_USERS_DAEMON_NEEDED), or a family serving one client at a time (zk-tcp,
//   alongsideDaemon: false) whose terminal the running daemon reports online. Otherwise the CLI
//   opens its own sessions, as before; a terminal the daemon holds is never opened a second time.
import { loadConfigFile } from '../config/load.js';
import type { DeviceConfig, GatewayConfig } from '../config/schema.js';
import { definitionOf, type AnyDriverDefinition } from '../devices/definition.js';
import type { UsersAccess, UsersFacet, UsersSession, UsersThroughDaemon } from '../devices/facets.js';
import { GatewayError } from '../util/errors.js';
import { createLogger } from '../util/logger.js';
import { daemonDevices, type DaemonApi } from './usersViaDaemon.js';

export interface UsersDevice {
  device: DeviceConfig;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  facet: UsersFacet<any> | UsersThroughDaemon;
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
  return { device, facet: users };
}

/** Where a users job runs: in the CLI on its own connections, or in the running daemon. */
export type UsersRoute = { via: 'local' } | { via: 'daemon'; api: DaemonApi };

/** Asks the daemon, when any device may need it, whether the job goes through it (see the invariants). */
export async function routeOf(scope: UsersScope, devices: readonly UsersDevice[]): Promise<UsersRoute> {
  const onlyDaemon = devices.filter((d) => 'throughDaemon' in d.facet);
  const oneClient = devices.filter((d) => 'load' in d.facet && !d.facet.alongsideDaemon);
  if (onlyDaemon.length === 0 && oneClient.length === 0) return { via: 'local' };
  const daemon = await daemonDevices(scope.config);
  if (!daemon.ok) {
    const [push] = onlyDaemon;
    if (!push) return { via: 'local' };
    throw new GatewayError(
      'GW_ERR_USERS_DAEMON_NEEDED',
      `"${push.device.id}" is a ${push.device.driver} terminal: ${(push.facet as UsersThroughDaemon).throughDaemon}, so its users commands need the running daemon, and ${daemon.why}; start it (sudo systemctl start absensi-gateway) and run the command again`,
    );
  }
  if (onlyDaemon.length > 0 || oneClient.some((d) => daemon.devices.online.has(d.device.id))) return { via: 'daemon', api: daemon.devices.api };
  return { via: 'local' };
}

/** An open session to the terminal, logging warnings to stderr; close it when done. */
export async function openUsersSession(target: UsersDevice, signal: AbortSignal): Promise<UsersSession> {
  const { facet } = target;
  if (!('load' in facet)) throw new GatewayError('GW_ERR_USERS_DAEMON_NEEDED', `"${target.device.id}" is a ${target.device.driver} terminal: ${facet.throughDaemon}`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const access: UsersAccess<any> = await facet.load();
  const logger = createLogger({ level: 'warn', destination: process.stderr }).child({ device: target.device.id, command: 'users' });
  return access.open(target.device, { logger, signal });
}
