// The users side of the driver seam for a terminal the running driver holds (DESIGN.md "Users and
// templates"): a family that serves one client at a time (zk-tcp), or that the daemon alone can
// reach (zk-push, whose terminal calls the gateway), lends its own session to a users command, a
// userSync round or a remote `users-import`, instead of the caller opening a second one.
// Invariants:
// - A loan runs on the driver's own connection, between its other requests: it never opens a
//   second connection. While a loan is out the driver asks the terminal nothing of its own; it
//   resumes when the borrowed session's `close()` is called (close ends the loan, not the link).
// - `borrowUsersSession` rejects with a GatewayError when the terminal is not connected, and a
//   borrowed session's calls reject once the link drops (per-user outcomes stay with `progress`).
// - `daemonUsersSession` is the one place that decides how the daemon reaches a device's users:
//   the running driver's loan when it lends, else the family's own connection when it may run
//   beside the daemon, else a GatewayError saying why not.
import type { Logger } from 'pino';
import type { UsersAccess, UsersSession } from '../users/session.js';
import { GatewayError } from '../util/errors.js';
import { definitionOf, type AnyDriverDefinition } from './definition.js';
import type { BaseDeviceConfig, Driver } from './driver.js';

export interface UsersLender {
  /** Lends the driver's own session; the returned session's close() hands it back. */
  borrowUsersSession(signal: AbortSignal): Promise<UsersSession>;
}

export function isUsersLender(driver: unknown): driver is UsersLender {
  return typeof (driver as Partial<UsersLender> | undefined)?.borrowUsersSession === 'function';
}

export interface DaemonUsersParts {
  readonly drivers: readonly AnyDriverDefinition[];
  readonly supervisor: { driverOf(deviceId: string): Driver | undefined };
}

/** A users session on `entry` from inside the daemon; rejects with GW_ERR_USERS_UNSUPPORTED or GW_ERR_USERS_DAEMON_HOLDING when there is none. */
export async function daemonUsersSession(parts: DaemonUsersParts, entry: BaseDeviceConfig, options: { logger: Logger; signal: AbortSignal }): Promise<UsersSession> {
  const driver = parts.supervisor.driverOf(entry.id);
  if (isUsersLender(driver)) return driver.borrowUsersSession(options.signal);
  const users = definitionOf(parts.drivers, entry.driver)?.users;
  if (!users || !('load' in users)) {
    const why = users && 'unsupported' in users ? users.unsupported : users ? `${users.throughDaemon}, and the driver of "${entry.id}" is not running` : 'its family has no users side in this build';
    throw new GatewayError('GW_ERR_USERS_UNSUPPORTED', `${entry.driver}: ${why}`);
  }
  if (!users.alongsideDaemon) {
    throw new GatewayError('GW_ERR_USERS_DAEMON_HOLDING', `device "${entry.id}" (${entry.driver}): the terminal serves one client at a time and its driver is ${driver ? 'running but does not lend its session' : 'not connected'}`);
  }
  const access = (await users.load()) as UsersAccess<unknown>;
  return access.open(entry, options);
}

/** The borrower's view of a driver's session: every call goes to it; close() only hands it back (once). */
export function lentSession(session: UsersSession, giveBack: () => void): UsersSession {
  let returned = false;
  const live = <T>(call: () => Promise<T>): Promise<T> =>
    returned ? Promise.reject(new GatewayError('GW_ERR_USERS_WRITE_FAILED', 'the users session was handed back to the driver')) : call();
  return {
    serial: session.serial,
    algorithms: () => live(() => session.algorithms()),
    listUsers: (progress) => live(() => session.listUsers(progress)),
    readTemplates: (pins, progress) => live(() => session.readTemplates(pins, progress)),
    writeUsers: (users, progress) => live(() => session.writeUsers(users, progress)),
    deleteUsers: (pins, progress) => live(() => session.deleteUsers(pins, progress)),
    close: () => {
      if (!returned) (returned = true), giveBack();
      return Promise.resolve();
    },
  };
}
