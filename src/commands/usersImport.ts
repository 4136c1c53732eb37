// The `users-import` remote command (README "Remote commands"): the centre's employee list onto
// terminals of this gateway, as `users import --csv` does on the gateway PC, through the same
// engine (src/users: diff, a backup of every target before its first write, per-user outcomes).
// Invariants:
// - A list with any bad row writes nothing anywhere (GW_ERR_COMMAND_FAILED with the rows named),
//   like the CLI.
// - Never deletes and never overwrites a conflict: a remote command cannot pass --delete-missing
//   or --overwrite-conflicts; conflicts are reported in the answer.
// - The daemon reaches each target as daemonUsersSession decides (src/devices/usersLender.ts): the
//   running driver's loan (zk-tcp, zk-push), the family's own connection beside the daemon
//   (zk-soap, EasyLink); a terminal that serves one client at a time is never opened behind the
//   driver's back: with no running driver to lend, that target answers GW_ERR_COMMAND_UNSUPPORTED
//   and the others go on. So does a family with no users side.
// - The answer carries counts, failures with codes, the backup path; never a template, a
//   password or the list itself.
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { definitionOf, type AnyDriverDefinition } from '../devices/definition.js';
import type { UsersSession } from '../devices/facets.js';
import { daemonUsersSession } from '../devices/usersLender.js';
import type { Driver } from '../devices/driver.js';
import { writeBackup } from '../users/backup.js';
import { parseEmployeeCsv } from '../users/employeeCsv.js';
import { syncTarget } from '../users/syncTarget.js';
import { codeOf, errorMessage, GatewayError } from '../util/errors.js';

export interface UsersImportParts {
  readonly config: GatewayConfig;
  readonly drivers: readonly AnyDriverDefinition[];
  readonly log: Logger;
  readonly supervisor: { driverOf(deviceId: string): Driver | undefined };
}

export interface UsersImportTargetResult {
  device: string;
  ok: boolean;
  counts?: Record<string, number>;
  written?: number;
  backup?: string;
  failures?: { pin: string; code: string; message: string }[];
  conflicts?: string[];
  code?: string;
  message?: string;
}

/** Imports the list onto `devices` (default: every enabled device whose family holds users). */
export async function importUsersRemotely(parts: UsersImportParts, args: { csv: string; devices?: string[] | undefined }, signal: AbortSignal): Promise<{ users: number; targets: UsersImportTargetResult[] }> {
  const list = parseEmployeeCsv(args.csv);
  if (list.problems.length > 0) {
    throw new GatewayError('GW_ERR_COMMAND_FAILED', `the employee list has ${list.problems.length} bad row(s); nothing was written: ${list.problems.slice(0, 5).map((p) => `line ${p.line}: ${p.message}`).join('; ')}`);
  }
  const entries = args.devices
    ? args.devices.map((id) => {
        const entry = parts.config.devices.find((d) => d.id === id);
        if (!entry) throw new GatewayError('GW_ERR_COMMAND_FAILED', `no device "${id}" in this gateway's config`);
        return entry;
      })
    : parts.config.devices.filter((d) => d.enabled && holdsUsers(parts, d.driver));
  if (entries.length === 0) throw new GatewayError('GW_ERR_COMMAND_UNSUPPORTED', `users-import: no enabled device of this gateway holds users through the gateway (${usersFamilies(parts).join(', ') || 'no family of this build does'})`);
  const targets: UsersImportTargetResult[] = [];
  for (const entry of entries) {
    signal.throwIfAborted();
    targets.push(await importOne(parts, entry, list, signal));
  }
  return { users: list.users.length, targets };
}

/** The families of this build that hold users through the gateway (their own side, or through the daemon's driver). */
function usersFamilies(parts: UsersImportParts): string[] {
  return parts.drivers.filter((d) => holdsUsers(parts, d.protocol)).map((d) => d.protocol);
}

function holdsUsers(parts: UsersImportParts, driver: string): boolean {
  const users = definitionOf(parts.drivers, driver)?.users;
  return users !== undefined && ('load' in users || 'throughDaemon' in users);
}

async function importOne(parts: UsersImportParts, entry: GatewayConfig['devices'][number], list: ReturnType<typeof parseEmployeeCsv>, signal: AbortSignal): Promise<UsersImportTargetResult> {
  let session: UsersSession | undefined;
  try {
    try {
      session = await daemonUsersSession(parts, entry, { logger: parts.log.child({ device: entry.id, command: 'users-import' }), signal });
    } catch (error) {
      const code = codeOf(error, 'GW_ERR_COMMAND_FAILED');
      const unsupported = code === 'GW_ERR_USERS_UNSUPPORTED' || code === 'GW_ERR_USERS_DAEMON_HOLDING';
      return { device: entry.id, ok: false, code: unsupported ? 'GW_ERR_COMMAND_UNSUPPORTED' : code, message: errorMessage(error) };
    }
    const report = await syncTarget({
      deviceId: entry.id,
      session,
      source: { users: list.users, templates: [] },
      options: { fields: list.fields, templates: false, deleteMissing: false, overwriteConflicts: false, dryRun: false },
      backup: (content) => writeBackup(parts.config.gateway.dataDir, content),
    });
    const conflicts = report.plan.changes.filter((c) => c.outcome === 'conflicting').map((c) => c.pin);
    return {
      device: entry.id,
      ok: report.error === undefined && report.failures.length === 0,
      counts: report.plan.counts,
      written: report.written,
      ...(report.backup ? { backup: report.backup.file } : {}),
      failures: report.failures.map((f) => ({ pin: f.pin, code: f.code, message: f.message })),
      conflicts,
      ...(report.error ? { code: report.error.code, message: report.error.message } : {}),
    };
  } catch (error) {
    return { device: entry.id, ok: false, code: codeOf(error, 'GW_ERR_COMMAND_FAILED'), message: errorMessage(error) };
  } finally {
    await session?.close().catch(() => undefined);
  }
}
