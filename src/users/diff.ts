// What a users command would change on one target (DESIGN.md "Users and templates"): the source's
// users and templates against the target's, one outcome per user. Pure: no I/O, no clock.
// Invariants:
// - A conflict (same PIN, another non-empty name or card on the target) is never written unless
//   `overwriteConflicts` says so: it is reported, and the target keeps what it holds. A target
//   field that is empty is filled in (an update), never a conflict.
// - Templates are carried only to a terminal whose algorithm version for that kind is known and
//   equal to the template's; any other is reported as skipped, never forced.
// - Only `deleteMissing` makes a delete; without it a user only on the target is `kept`.
// - The source is authoritative only for `fields` (a CSV has no password or group): the other
//   fields of a user the target holds are written back as the target holds them.
import type { TemplateKind, TemplateRecord, TerminalUser, UserWithTemplates } from './user.js';

export type UserField = 'name' | 'privilege' | 'card' | 'password' | 'group';
export const ALL_USER_FIELDS: readonly UserField[] = ['name', 'privilege', 'card', 'password', 'group'];

export const SYNC_OUTCOMES = ['added', 'updated', 'unchanged', 'conflicting', 'skipped-for-algorithm', 'deleted', 'kept'] as const;
export type SyncOutcome = (typeof SYNC_OUTCOMES)[number];

/** Users and their templates, as read from a terminal or a file. */
export interface UserSet {
  users: readonly TerminalUser[];
  templates: readonly TemplateRecord[];
}

export interface DiffOptions {
  /** the fields the source speaks for */
  fields: readonly UserField[];
  /** carry templates at all (`--templates`; a backup's templates) */
  templates: boolean;
  deleteMissing: boolean;
  /** write a conflicting user with the source's name and card (`--overwrite-conflicts`) */
  overwriteConflicts: boolean;
}

export interface FieldConflict {
  field: 'name' | 'card';
  source: string;
  target: string;
}

export interface SkippedTemplate {
  kind: TemplateKind;
  index: number;
  algorithm: string;
  /** undefined: the target reported no algorithm for this kind */
  targetAlgorithm: string | undefined;
}

export interface UserChange {
  pin: string;
  outcome: SyncOutcome;
  /** the user as shown: the source's, or the target's for deleted and kept */
  user: TerminalUser;
  /** the target's user of that PIN, when it has one */
  held?: TerminalUser;
  /** added, updated, an overwritten conflict: what changes (`templates` when templates are written) */
  fields: (UserField | 'templates')[];
  conflicts: FieldConflict[];
  /** a conflicting user written anyway (overwriteConflicts) */
  overwritten: boolean;
  /** templates not carried for their algorithm (any outcome but deleted and kept) */
  skippedTemplates: SkippedTemplate[];
  /** templates the write carries */
  templatesWritten: number;
}

export interface UsersPlan {
  changes: UserChange[];
  /** what writeUsers is given, in source order */
  writes: UserWithTemplates[];
  /** what deleteUsers is given: empty unless deleteMissing */
  deletes: string[];
  counts: Record<SyncOutcome, number>;
}

export type Algorithms = Partial<Record<TemplateKind, string>>;

function byPin<T extends { pin: string }>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(item.pin);
    if (list) list.push(item);
    else map.set(item.pin, [item]);
  }
  return map;
}

const sameTemplate = (a: TemplateRecord, b: TemplateRecord): boolean => a.algorithm === b.algorithm && a.valid === b.valid && a.data.equals(b.data);

/** The source's templates of one user split into those the target needs and those it cannot take. */
function templatesFor(source: readonly TemplateRecord[], target: readonly TemplateRecord[], algorithms: Algorithms): { carry: TemplateRecord[]; skipped: SkippedTemplate[] } {
  const carry: TemplateRecord[] = [];
  const skipped: SkippedTemplate[] = [];
  for (const t of source) {
    const targetAlgorithm = algorithms[t.kind];
    if (targetAlgorithm !== t.algorithm) {
      skipped.push({ kind: t.kind, index: t.index, algorithm: t.algorithm, targetAlgorithm });
      continue;
    }
    const held = target.find((h) => h.kind === t.kind && h.index === t.index);
    if (!held || !sameTemplate(held, t)) carry.push(t);
  }
  return { carry, skipped };
}

/** Name and card the target holds otherwise (non-empty there, different here). */
function conflictsOf(source: TerminalUser, target: TerminalUser, fields: readonly UserField[]): FieldConflict[] {
  const out: FieldConflict[] = [];
  for (const field of ['name', 'card'] as const) {
    if (!fields.includes(field)) continue;
    const s = source[field].trim();
    const t = target[field].trim();
    if (t !== '' && s !== t) out.push({ field, source: s, target: t });
  }
  return out;
}

/** The target's user with the source's values of `fields`. */
function merged(source: TerminalUser, target: TerminalUser, fields: readonly UserField[]): TerminalUser {
  const user = { ...target };
  for (const field of fields) (user as Record<UserField, unknown>)[field] = source[field];
  return user;
}

function changedFields(source: TerminalUser, target: TerminalUser, fields: readonly UserField[]): UserField[] {
  return fields.filter((f) => (typeof source[f] === 'string' ? (source[f] as string).trim() !== (target[f] as string).trim() : source[f] !== target[f]));
}

interface Planned {
  change: UserChange;
  write?: UserWithTemplates;
}

interface PlanContext {
  /** this user's templates in the source and on the target */
  source: TemplateRecord[];
  target: TemplateRecord[];
  algorithms: Algorithms;
  options: DiffOptions;
}

function planOne(user: TerminalUser, held: TerminalUser | undefined, ctx: PlanContext): Planned {
  const o = ctx.options;
  const { carry, skipped } = o.templates ? templatesFor(ctx.source, ctx.target, ctx.algorithms) : { carry: [], skipped: [] };
  const base = { pin: user.pin, user, ...(held ? { held } : {}), conflicts: [] as FieldConflict[], overwritten: false, skippedTemplates: skipped, templatesWritten: carry.length };
  const withTemplates = (fields: UserField[]): (UserField | 'templates')[] => (carry.length > 0 ? [...fields, 'templates'] : fields);
  if (!held) return { change: { ...base, outcome: 'added', fields: withTemplates([...o.fields]) }, write: { user, templates: carry } };
  const conflicts = conflictsOf(user, held, o.fields);
  const fields = changedFields(user, held, o.fields);
  if (conflicts.length > 0 && !o.overwriteConflicts) {
    return { change: { ...base, outcome: 'conflicting', fields: [], conflicts, skippedTemplates: skipped, templatesWritten: 0 } };
  }
  const write = { user: merged(user, held, o.fields), templates: carry };
  if (conflicts.length > 0) return { change: { ...base, outcome: 'conflicting', fields: withTemplates(fields), conflicts, overwritten: true }, write };
  if (fields.length > 0 || carry.length > 0) return { change: { ...base, outcome: 'updated', fields: withTemplates(fields) }, write };
  return { change: { ...base, outcome: skipped.length > 0 ? 'skipped-for-algorithm' : 'unchanged', fields: [] } };
}

/** Every user's outcome on the target, and the writes and deletes that make it hold the source's users. */
export function diffUsers(source: UserSet, target: UserSet, algorithms: Algorithms, options: DiffOptions): UsersPlan {
  const targetUsers = new Map(target.users.map((u) => [u.pin, u]));
  const sourcePins = new Set(source.users.map((u) => u.pin));
  const sourceTemplates = byPin(source.templates);
  const targetTemplates = byPin(target.templates);
  const changes: UserChange[] = [];
  const writes: UserWithTemplates[] = [];
  for (const user of source.users) {
    const ctx = { source: sourceTemplates.get(user.pin) ?? [], target: targetTemplates.get(user.pin) ?? [], algorithms, options };
    const { change, write } = planOne(user, targetUsers.get(user.pin), ctx);
    changes.push(change);
    if (write) writes.push(write);
  }
  const deletes: string[] = [];
  for (const user of target.users) {
    if (sourcePins.has(user.pin)) continue;
    changes.push({ pin: user.pin, outcome: options.deleteMissing ? 'deleted' : 'kept', user, held: user, fields: [], conflicts: [], overwritten: false, skippedTemplates: [], templatesWritten: 0 });
    if (options.deleteMissing) deletes.push(user.pin);
  }
  const counts = Object.fromEntries(SYNC_OUTCOMES.map((o) => [o, 0])) as Record<SyncOutcome, number>;
  for (const change of changes) counts[change.outcome] += 1;
  return { changes, writes, deletes, counts };
}
