// One `users list|export|copy|import` as a job (DESIGN.md "Users and templates"): the same code
// whether the CLI runs it on its own connections or the daemon runs it on the sessions its drivers
// lend (src/commands/usersJobs.ts). The caller says how a device's session is opened, where
// progress goes and where backups are written (UsersJobIo); this module does the rest.
// Invariants:
// - Devices are worked one after another, each session closed before the next is opened: a loan
//   of the daemon's driver is held no longer than its device's part of the job.
// - Every write goes through syncTarget: a backup of the target before its first write, nothing
//   deleted without deleteMissing, a conflict written only with overwriteConflicts, dry runs write
//   nothing. A target that cannot be read is that target's failure; the others go on.
// - The outcome is what may be shown (shown.ts): counts, per-user outcomes with codes, conflicts,
//   file paths; never a template byte or a password. Templates leave only into the files written.
// - File paths in a spec are absolute (the daemon runs elsewhere than the CLI's directory).
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { codeOf, errorMessage, GatewayError } from '../util/errors.js';
import { exportFileFor, readUsersFile, writeBackup, writeUsersFile } from './backup.js';
import { ALL_USER_FIELDS, type Algorithms, type UserField, type UserSet } from './diff.js';
import { employeeListOf } from './employeeCsv.js';
import type { UsersProgress, UsersSession } from './session.js';
import { shownTargetReport, shownTargetReportSchema } from './shown.js';
import { syncTarget, type SyncPhase } from './syncTarget.js';
import { describeUser } from './user.js';

const deviceId = z.string().min(1).max(64);
const absolutePath = z.string().min(1).max(4096).refine((p) => isAbsolute(p), 'an absolute path (the CLI resolves a relative one before sending)');
const writeFlags = {
  dryRun: z.boolean().default(false),
  deleteMissing: z.boolean().default(false),
  overwriteConflicts: z.boolean().default(false),
};

/** What a users job does; the body of POST /api/users/jobs. */
export const usersJobSpecSchema = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('list'), device: deviceId }),
  z.strictObject({ command: z.literal('export'), device: deviceId, templates: z.boolean().default(false), out: absolutePath.optional() }),
  z.strictObject({ command: z.literal('copy'), from: deviceId, to: z.array(deviceId).min(1).max(64), templates: z.boolean().default(false), ...writeFlags }),
  z.strictObject({
    command: z.literal('import'),
    devices: z.array(deviceId).min(1).max(64),
    /** the employee list's text (the CLI read and checked the file), or a users/v1 file the job reads */
    source: z.union([z.strictObject({ csv: z.string().max(900_000) }), z.strictObject({ from: absolutePath })]),
    ...writeFlags,
  }),
]);
export type UsersJobSpec = z.output<typeof usersJobSpecSchema>;

const algorithms = z.record(z.string(), z.string());
/** one target in the order named: its report, or why it could not be read at all */
const targetOutcome = z.object({ deviceId: z.string(), report: shownTargetReportSchema.optional(), unread: z.object({ code: z.string(), message: z.string() }).optional() });

/** What a job ends with; what the API and the CLI may show. */
export const usersJobOutcomeSchema = z.discriminatedUnion('command', [
  z.object({
    command: z.literal('list'),
    deviceId: z.string(),
    serial: z.string().optional(),
    algorithms,
    users: z.array(z.object({ pin: z.string(), name: z.string(), privilege: z.number(), card: z.string(), templates: z.record(z.string(), z.number()) })),
  }),
  z.object({ command: z.literal('export'), deviceId: z.string(), file: z.string(), users: z.number(), templates: z.number() }),
  z.object({
    command: z.enum(['copy', 'import']),
    at: z.string(),
    dryRun: z.boolean(),
    sourceUsers: z.number(),
    sourceTemplates: z.number(),
    targets: z.array(targetOutcome),
  }),
]);
export type UsersJobOutcome = z.output<typeof usersJobOutcomeSchema>;
export type UsersSyncOutcome = Extract<UsersJobOutcome, { command: 'copy' | 'import' }>;

/** How the job reaches terminals and files: the CLI's own connections, or the daemon's loans. */
export interface UsersJobIo {
  /** a session to the device; rejects with a GatewayError (unreachable, unsupported) */
  open(deviceId: string): Promise<UsersSession>;
  /** where a phase's progress goes (the CLI's bars, the daemon's job view) */
  progress(deviceId: string, phase: SyncPhase): UsersProgress | undefined;
  /** a device's part of the job ended (its session closed) */
  ended?(deviceId: string): void;
  /** {dataDir}: backups/ and, for an export given no path, exports/ */
  dataDir: string;
  signal?: AbortSignal;
}

/** The devices a spec names, source first. */
export function devicesOf(spec: UsersJobSpec): string[] {
  switch (spec.command) {
    case 'list':
    case 'export':
      return [spec.device];
    case 'copy':
      return [spec.from, ...spec.to];
    case 'import':
      return [...spec.devices];
  }
}

/** Refuses a spec that names a device twice, or its source as a target. */
export function checkDistinct(spec: UsersJobSpec): void {
  const targets = spec.command === 'copy' ? spec.to : spec.command === 'import' ? spec.devices : [];
  const twice = targets.find((id, i) => targets.indexOf(id) !== i);
  if (twice) throw new GatewayError('GW_ERR_USERS_INPUT_INVALID', `"${twice}" is named twice as a target`);
  if (spec.command === 'copy' && spec.to.includes(spec.from)) throw new GatewayError('GW_ERR_USERS_INPUT_INVALID', `"${spec.from}" is the source; it cannot be a target too`);
}

async function withDevice<T>(io: UsersJobIo, id: string, work: (session: UsersSession) => Promise<T>): Promise<T> {
  io.signal?.throwIfAborted();
  try {
    const session = await io.open(id);
    try {
      return await work(session);
    } finally {
      await session.close().catch(() => undefined);
    }
  } finally {
    io.ended?.(id);
  }
}

type ReadSet = UserSet & { algorithms: Algorithms; serial: string | undefined };

async function readAll(io: UsersJobIo, id: string, session: UsersSession, templates: boolean): Promise<ReadSet> {
  const algorithms = await session.algorithms();
  const users = await session.listUsers(io.progress(id, 'read users'));
  return { serial: session.serial, algorithms, users, templates: templates ? await session.readTemplates(undefined, io.progress(id, 'read templates')) : [] };
}

const serialOf = (serial: string | undefined): { serial?: string } => (serial !== undefined ? { serial } : {});

interface Source {
  set: UserSet;
  fields: readonly UserField[];
  templates: boolean;
}

async function syncTargets(io: UsersJobIo, spec: Extract<UsersJobSpec, { command: 'copy' | 'import' }>, source: Source, targets: readonly string[]): Promise<UsersSyncOutcome> {
  const options = { fields: source.fields, templates: source.templates, deleteMissing: spec.deleteMissing, overwriteConflicts: spec.overwriteConflicts, dryRun: spec.dryRun };
  const outcome: UsersSyncOutcome = { command: spec.command, at: new Date().toISOString(), dryRun: spec.dryRun, sourceUsers: source.set.users.length, sourceTemplates: source.set.templates.length, targets: [] };
  for (const id of targets) {
    try {
      const report = await withDevice(io, id, (session) =>
        syncTarget({ deviceId: id, session, source: source.set, options, progress: (phase) => io.progress(id, phase), backup: (content) => writeBackup(io.dataDir, content) }),
      );
      outcome.targets.push({ deviceId: id, report: shownTargetReport(report) });
    } catch (error) {
      if (io.signal?.aborted) throw error;
      outcome.targets.push({ deviceId: id, unread: { code: codeOf(error, 'GW_ERR_DEVICE_UNREACHABLE'), message: errorMessage(error) } });
    }
  }
  return outcome;
}

function importSource(spec: Extract<UsersJobSpec, { command: 'import' }>): Source {
  if ('csv' in spec.source) {
    const list = employeeListOf(spec.source.csv, 'the employee list');
    return { set: { users: list.users, templates: [] }, fields: list.fields, templates: false };
  }
  const file = readUsersFile(spec.source.from);
  return { set: file, fields: ALL_USER_FIELDS, templates: file.templates.length > 0 };
}

/** Runs the job; rejects (GatewayError) only when it cannot start or its source cannot be read. */
export async function runUsersJob(spec: UsersJobSpec, io: UsersJobIo): Promise<UsersJobOutcome> {
  checkDistinct(spec);
  switch (spec.command) {
    case 'list': {
      const read = await withDevice(io, spec.device, (session) => readAll(io, spec.device, session, true));
      return { command: 'list', deviceId: spec.device, ...serialOf(read.serial), algorithms: read.algorithms as Record<string, string>, users: read.users.map((u) => describeUser(u, read.templates)) };
    }
    case 'export': {
      const read = await withDevice(io, spec.device, (session) => readAll(io, spec.device, session, spec.templates));
      const file = spec.out ?? exportFileFor(io.dataDir, spec.device);
      const written = writeUsersFile(file, { deviceId: spec.device, ...serialOf(read.serial), algorithms: read.algorithms, users: read.users, templates: read.templates });
      return { command: 'export', deviceId: spec.device, file: written.file, users: written.users, templates: written.templates };
    }
    case 'copy': {
      const read = await withDevice(io, spec.from, (session) => readAll(io, spec.from, session, spec.templates));
      return syncTargets(io, spec, { set: read, fields: ALL_USER_FIELDS, templates: spec.templates }, spec.to);
    }
    case 'import':
      return syncTargets(io, spec, importSource(spec), spec.devices);
  }
}

/** Did any target or user fail? (the CLI's exit code 1) */
export function syncFailed(outcome: UsersSyncOutcome): boolean {
  return outcome.targets.some((t) => t.unread !== undefined || (t.report !== undefined && (t.report.failures.length > 0 || t.report.error !== undefined)));
}
