// What a users job may show of its work, anywhere outside the terminal and its backups: the CLI's
// summary and `--json`, the local API's users jobs (src/api/routes/usersJobs.ts). One zod schema
// per shape, so the API serialises exactly these keys and nothing a report gains upstream.
// Invariants:
// - Never a template byte, a template's data in any form, or a keypad password: a changed
//   password is the field name `password` alone (report.ts shows it as `password (not shown)`).
// - What the summary prints is what these shapes hold: the CLI formats a job run locally and a
//   job run in the daemon from the same ShownTargetReport, so the two print the same lines.
// - Unchanged users are counted, not listed: the summary prints no line for them.
import { z } from 'zod';
import { SYNC_OUTCOMES, type UserChange } from './diff.js';
import type { TargetReport } from './syncTarget.js';
import type { TerminalUser } from './user.js';

const shownUser = z.object({ pin: z.string(), name: z.string(), privilege: z.number(), card: z.string(), group: z.number() });
export type ShownUser = z.infer<typeof shownUser>;

const skippedTemplate = z.object({ kind: z.enum(['finger', 'face', 'palm']), index: z.number(), algorithm: z.string(), targetAlgorithm: z.string().optional() });

export const shownChangeSchema = z.object({
  pin: z.string(),
  outcome: z.enum(SYNC_OUTCOMES),
  user: shownUser,
  held: shownUser.optional(),
  fields: z.array(z.enum(['name', 'privilege', 'card', 'password', 'group', 'templates'])),
  conflicts: z.array(z.object({ field: z.enum(['name', 'card']), source: z.string(), target: z.string() })),
  overwritten: z.boolean(),
  skippedTemplates: z.array(skippedTemplate),
  templatesWritten: z.number(),
});
export type ShownChange = z.infer<typeof shownChangeSchema>;

const code = z.string();

export const shownTargetReportSchema = z.object({
  deviceId: z.string(),
  serial: z.string().optional(),
  algorithms: z.record(z.string(), z.string()),
  dryRun: z.boolean(),
  counts: z.object(Object.fromEntries(SYNC_OUTCOMES.map((o) => [o, z.number()])) as Record<(typeof SYNC_OUTCOMES)[number], z.ZodNumber>),
  /** templates the plan writes, and those it does not copy for their algorithm */
  templatesToWrite: z.number(),
  templatesSkipped: z.number(),
  /** users the plan writes and deletes */
  writesPlanned: z.number(),
  deletesPlanned: z.number(),
  /** every user but the unchanged ones */
  changes: z.array(shownChangeSchema),
  backup: z.object({ file: z.string(), users: z.number(), templates: z.number() }).optional(),
  written: z.number(),
  deleted: z.number(),
  failures: z.array(z.object({ pin: z.string(), action: z.enum(['write', 'delete']), code, message: z.string() })),
  error: z.object({ code, message: z.string() }).optional(),
});
export type ShownTargetReport = z.infer<typeof shownTargetReportSchema>;

const shown = (u: TerminalUser): ShownUser => ({ pin: u.pin, name: u.name, privilege: u.privilege, card: u.card, group: u.group });

function shownChange(c: UserChange): ShownChange {
  return {
    pin: c.pin,
    outcome: c.outcome,
    user: shown(c.user),
    ...(c.held ? { held: shown(c.held) } : {}),
    fields: [...c.fields],
    conflicts: c.conflicts.map((f) => ({ ...f })),
    overwritten: c.overwritten,
    skippedTemplates: c.skippedTemplates.map((t) => ({ kind: t.kind, index: t.index, algorithm: t.algorithm, ...(t.targetAlgorithm !== undefined ? { targetAlgorithm: t.targetAlgorithm } : {}) })),
    templatesWritten: c.templatesWritten,
  };
}

/** A target's report as it may be shown: the plan's writes (which carry templates) become counts. */
export function shownTargetReport(r: TargetReport): ShownTargetReport {
  const changes = r.plan.changes;
  return {
    deviceId: r.deviceId,
    ...(r.serial !== undefined ? { serial: r.serial } : {}),
    algorithms: { ...r.algorithms } as Record<string, string>,
    dryRun: r.dryRun,
    counts: { ...r.plan.counts },
    templatesToWrite: changes.reduce((n, c) => n + c.templatesWritten, 0),
    templatesSkipped: changes.reduce((n, c) => n + c.skippedTemplates.length, 0),
    writesPlanned: r.plan.writes.length,
    deletesPlanned: r.plan.deletes.length,
    changes: changes.filter((c) => c.outcome !== 'unchanged').map(shownChange),
    ...(r.backup ? { backup: { file: r.backup.file, users: r.backup.users, templates: r.backup.templates } } : {}),
    written: r.written,
    deleted: r.deleted,
    failures: r.failures.map((f) => ({ pin: f.pin, action: f.action, code: f.code, message: f.message })),
    ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
  };
}
