// What a users command prints: the exact diff of a dry run, and the closing summary a technician
// pastes into a ticket (counts per outcome, each failure with its code, the backup's path). Pure.
// Invariants:
// - Never a template byte and never a password: a changed password shows as `password (not shown)`.
// - Every failure, conflict and skipped template carries its catalogue code, for grep.
// - It formats what may be shown (shown.ts): a job run in the daemon prints the same lines as one
//   run by the CLI itself.
import { SYNC_OUTCOMES, type SyncOutcome, type UsersPlan } from './diff.js';
import { shownTargetReport, type ShownChange, type ShownTargetReport, type ShownUser } from './shown.js';
import type { TargetReport } from './syncTarget.js';

const MARK: Record<SyncOutcome, string> = { added: '+', updated: '~', unchanged: '=', conflicting: '!', 'skipped-for-algorithm': '^', deleted: '-', kept: '.' };

const quoted = (text: string): string => JSON.stringify(text);

function fieldChange(field: ShownChange['fields'][number], change: ShownChange): string {
  if (field === 'templates') return `templates (${change.templatesWritten})`;
  if (field === 'password') return 'password (not shown)';
  const held = change.held;
  if (!held) return field;
  const from = (value: ShownUser[typeof field]): string => (typeof value === 'string' ? quoted(value) : String(value));
  return `${field} ${from(held[field])} → ${from(change.user[field])}`;
}

function conflictText(change: ShownChange): string {
  const what = change.conflicts.map((c) => `${c.field} ${quoted(c.source)} in the source, ${quoted(c.target)} on the target`).join('; ');
  return change.overwritten ? `${what}; overwritten (--overwrite-conflicts)` : `${what}; left as the target holds it (--overwrite-conflicts writes the source's)`;
}

/** One change as a line of the diff. */
export function changeLine(change: ShownChange): string {
  const head = `${MARK[change.outcome]} ${change.pin.padEnd(10)} ${quoted(change.user.name).padEnd(24)}`;
  switch (change.outcome) {
    case 'added':
      return `${head} added${change.templatesWritten > 0 ? ` with ${change.templatesWritten} template(s)` : ''}`;
    case 'updated':
      return `${head} updated: ${change.fields.map((f) => fieldChange(f, change)).join(', ')}`;
    case 'conflicting':
      return `${head} conflicting GW_ERR_USERS_CONFLICT: ${conflictText(change)}`;
    case 'skipped-for-algorithm':
      return `${head} skipped-for-algorithm: the user is as on the target, its templates cannot be carried`;
    case 'deleted':
      return `${head} deleted (--delete-missing)`;
    case 'kept':
      return `${head} kept: only on the target (--delete-missing deletes it)`;
    case 'unchanged':
      return `${head} unchanged`;
  }
}

function skippedLine(change: ShownChange): string | undefined {
  if (change.skippedTemplates.length === 0) return undefined;
  const parts = change.skippedTemplates.map((t) => `${t.kind} ${t.index} (${t.algorithm}, the target ${t.targetAlgorithm ?? 'reports no algorithm'})`);
  return `    templates not copied GW_ERR_USERS_ALGORITHM_MISMATCH: ${parts.join(', ')}`;
}

/** Every user that is not unchanged, one line each (and a line for its skipped templates). */
export function planLines(plan: Pick<UsersPlan, 'changes'> | { changes: readonly ShownChange[] }): string[] {
  const lines: string[] = [];
  for (const change of plan.changes as readonly ShownChange[]) {
    if (change.outcome !== 'unchanged') lines.push(changeLine(change));
    const skipped = skippedLine(change);
    if (skipped) lines.push(skipped);
  }
  return lines;
}

export function countsLine(counts: Record<SyncOutcome, number>): string {
  return SYNC_OUTCOMES.map((o) => `${o} ${counts[o]}`).join(', ');
}

/** A target's part of the summary: who, the counts, the backup, then every failure and conflict. */
export function targetSummary(report: TargetReport | ShownTargetReport, verb: string): string[] {
  const r = 'plan' in report ? shownTargetReport(report) : report;
  const head = `${verb} → ${r.deviceId}${r.serial ? ` (serial ${r.serial})` : ''}`;
  const lines = [head, `  ${countsLine(r.counts)}`, `  templates: ${r.templatesToWrite} to write, ${r.templatesSkipped} not copied for their algorithm`];
  if (r.dryRun) {
    lines.push('  dry run: nothing written, no backup made');
    lines.push(...planLines(r).map((l) => `  ${l}`));
    return lines;
  }
  if (r.backup) lines.push(`  backup: ${r.backup.file} (${r.backup.users} users, ${r.backup.templates} templates)`);
  else if (!r.error) lines.push('  nothing to write: no backup made');
  if (r.writesPlanned > 0 || r.deletesPlanned > 0) {
    lines.push(`  written ${r.written} of ${r.writesPlanned}, deleted ${r.deleted} of ${r.deletesPlanned}, failed ${r.failures.length}`);
  }
  if (r.error) lines.push(`  stopped ${r.error.code}: ${r.error.message}`);
  for (const f of r.failures) lines.push(`  failed ${f.action} ${f.pin} ${f.code}: ${f.message}`);
  for (const change of r.changes) {
    if (change.outcome === 'conflicting') lines.push(`  conflict ${change.pin} GW_ERR_USERS_CONFLICT: ${conflictText(change)}`);
    const skipped = skippedLine(change);
    if (skipped) lines.push(`  ${change.pin}: ${skipped.trim()}`);
  }
  return lines;
}

/** A target that could not be read at all. */
export function unreadTargetSummary(verb: string, deviceId: string, code: string, message: string): string[] {
  return [`${verb} → ${deviceId}`, `  stopped ${code}: ${message}; nothing was written`];
}
