// Makes one target terminal hold the source's users (users copy, users import): read what it holds,
// diff, and — unless a dry run — back it up, write, delete. The same for every family: it speaks only
// to a UsersSession (src/devices/facets.ts).
// Invariants:
// - Nothing is written or deleted before the target's backup (all its users and templates) is on
//   disk whole and fsynced; a backup that fails stops this target before its first write.
// - A dry run reads and diffs, and calls no write, no delete and no backup.
// - Only the plan's deletes are deleted, and the plan has deletes only with deleteMissing.
// - One user's failure is that user's: the others are still written, and every failure is in the
//   report with its code. A lost connection mid-write keeps the outcomes the session passed with
//   its progress and marks every user not answered as failed (running the command again is safe:
//   what was written shows as unchanged).
import type { UsersProgress, UsersSession, UserWriteOutcome } from './session.js';
import type { ErrorCode } from '../util/catalogue.js';
import { codeOf, errorMessage } from '../util/errors.js';
import type { UsersFileContent, WrittenUsersFile } from './backup.js';
import { diffUsers, type Algorithms, type DiffOptions, type UserSet, type UsersPlan } from './diff.js';

export type SyncPhase = 'read users' | 'read templates' | 'write' | 'delete';

export interface SyncRequest {
  deviceId: string;
  session: UsersSession;
  source: UserSet;
  options: DiffOptions & { dryRun: boolean };
  /** writes the target's backup durably and says where; called once, before the first write */
  backup(content: UsersFileContent): WrittenUsersFile;
  progress?: (phase: SyncPhase) => UsersProgress | undefined;
}

export interface UserFailure {
  pin: string;
  action: 'write' | 'delete';
  code: ErrorCode;
  message: string;
}

export interface TargetReport {
  deviceId: string;
  serial?: string;
  algorithms: Algorithms;
  plan: UsersPlan;
  dryRun: boolean;
  backup?: WrittenUsersFile;
  /** users written (added, updated, overwritten) and deleted, as the terminal confirmed */
  written: number;
  deleted: number;
  failures: UserFailure[];
  /** what stopped this target after its diff (backup refused, connection lost) */
  error?: { code: ErrorCode; message: string };
}

/** What the target holds: users, and templates when the diff or a backup needs them. */
async function readTarget(r: SyncRequest, withTemplates: boolean): Promise<{ set: UserSet; algorithms: Algorithms }> {
  const algorithms = await r.session.algorithms();
  const users = await r.session.listUsers(r.progress?.('read users'));
  const templates = withTemplates ? await r.session.readTemplates(undefined, r.progress?.('read templates')) : [];
  return { set: { users, templates }, algorithms };
}

/** Each planned pin's outcome; a pin the terminal did not answer for is a failure too. */
function failuresOf(pins: readonly string[], outcomes: readonly UserWriteOutcome[], action: UserFailure['action']): { ok: number; failures: UserFailure[] } {
  const byPin = new Map(outcomes.map((o) => [o.pin, o]));
  const failures: UserFailure[] = [];
  let ok = 0;
  for (const pin of pins) {
    const outcome = byPin.get(pin);
    if (outcome?.ok) ok += 1;
    else if (outcome) failures.push({ pin, action, code: outcome.code, message: outcome.message });
    else failures.push({ pin, action, code: 'GW_ERR_USERS_WRITE_FAILED', message: 'the terminal gave no answer for this user' });
  }
  return { ok, failures };
}

function lostConnection(pins: readonly string[], action: UserFailure['action'], error: unknown): { failures: UserFailure[]; error: { code: ErrorCode; message: string } } {
  const code = codeOf(error, 'GW_ERR_USERS_WRITE_FAILED');
  const message = `not confirmed: the ${action} stopped (${errorMessage(error)}); run the command again, users already written show as unchanged`;
  return { failures: pins.map((pin) => ({ pin, action, code, message })), error: { code, message: errorMessage(error) } };
}

/** Reads, diffs and (unless dryRun) backs up and writes one target. Rejects only when the target cannot be read. */
export async function syncTarget(r: SyncRequest): Promise<TargetReport> {
  const read = await readTarget(r, r.options.templates);
  const plan = diffUsers(r.source, read.set, read.algorithms, r.options);
  const report: TargetReport = { deviceId: r.deviceId, ...(r.session.serial !== undefined ? { serial: r.session.serial } : {}), algorithms: read.algorithms, plan, dryRun: r.options.dryRun, written: 0, deleted: 0, failures: [] };
  if (r.options.dryRun || (plan.writes.length === 0 && plan.deletes.length === 0)) return report;
  // the backup holds the target's templates too (a plan without templates does not depend on them):
  // an overwritten or deleted user's enrolment must be restorable
  if (!r.options.templates) read.set = { users: read.set.users, templates: await r.session.readTemplates(undefined, r.progress?.('read templates')) };
  try {
    report.backup = r.backup({ deviceId: r.deviceId, ...(r.session.serial !== undefined ? { serial: r.session.serial } : {}), algorithms: read.algorithms, ...read.set });
  } catch (error) {
    report.error = { code: codeOf(error, 'GW_ERR_USERS_BACKUP_FAILED'), message: `${errorMessage(error)}; nothing was written` };
    return report;
  }
  // the outcomes the session passes with its progress: what is known when a step rejects midway
  const answered: UserWriteOutcome[] = [];
  const collecting = (phase: SyncPhase): UsersProgress => {
    const shown = r.progress?.(phase);
    return (done, total, outcome) => {
      if (outcome) answered.push(outcome);
      shown?.(done, total);
    };
  };
  const steps = [
    { action: 'write' as const, pins: plan.writes.map((w) => w.user.pin), run: () => r.session.writeUsers(plan.writes, collecting('write')) },
    { action: 'delete' as const, pins: plan.deletes, run: () => r.session.deleteUsers(plan.deletes, collecting('delete')) },
  ];
  for (const step of steps) {
    if (step.pins.length === 0) continue;
    if (report.error) {
      const message = `not attempted: the target stopped before the ${step.action} (${report.error.code}: ${report.error.message})`;
      report.failures.push(...step.pins.map((pin) => ({ pin, action: step.action, code: report.error?.code ?? 'GW_ERR_USERS_WRITE_FAILED', message })));
      continue;
    }
    answered.length = 0;
    let counted: { ok: number; failures: UserFailure[] };
    try {
      counted = failuresOf(step.pins, await step.run(), step.action);
    } catch (error) {
      const known = new Set(answered.map((o) => o.pin));
      counted = failuresOf(step.pins.filter((pin) => known.has(pin)), answered, step.action);
      const lost = lostConnection(step.pins.filter((pin) => !known.has(pin)), step.action, error);
      counted.failures.push(...lost.failures);
      report.error = lost.error;
    }
    if (step.action === 'write') report.written = counted.ok;
    else report.deleted = counted.ok;
    report.failures.push(...counted.failures);
  }
  return report;
}
