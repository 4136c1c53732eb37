// `users/v1` JSONL files: the backup of every target before a users command writes to it
// (`{dataDir}/backups/<deviceId>-<timestamp>.jsonl`), `users export --out FILE` (in the daemon
// without a path: `{dataDir}/exports/`), and their reading
// for `users import --from FILE`.
// Invariants:
// - A file holds personal data (names, cards, keypad passwords, templates: UU PDP No. 27/2022): it
//   is created 0600, in a backups directory kept 0700, and never readable by others at any moment.
// - A file is complete before anyone may rely on it: written to a temporary name, fsynced, renamed,
//   and its directory fsynced; only then does writeUsersFile resolve. A crash leaves a whole file
//   or none, never a short one under the final name.
// - A backup never replaces an earlier one: its name is new (a suffix when the second is taken).
// - A backup is read back before writeBackup returns: one that would not restore is a failure.
// - Reading checks every line against usersV1LineSchema and the header's user count (a file cut
//   short is refused), and names the line of each problem.
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GatewayError, errorMessage } from '../util/errors.js';
import { usersV1LineSchema, type TemplateKind, type TemplateRecord, type TerminalUser } from './user.js';

export interface UsersFileContent {
  deviceId: string;
  serial?: string;
  algorithms: Partial<Record<TemplateKind, string>>;
  users: readonly TerminalUser[];
  templates: readonly TemplateRecord[];
}

export interface WrittenUsersFile {
  file: string;
  users: number;
  templates: number;
  bytes: number;
}

/** The lines of a users/v1 file: the header, then one line per user with its templates (base64). */
export function usersV1Text(content: UsersFileContent, exportedAt: Date): string {
  const header = {
    schema: 'users/v1',
    type: 'header',
    deviceId: content.deviceId,
    ...(content.serial !== undefined ? { serial: content.serial } : {}),
    exportedAt: exportedAt.toISOString(),
    algorithms: content.algorithms,
    users: content.users.length,
  };
  const lines = [JSON.stringify(header)];
  for (const user of content.users) {
    const templates = content.templates
      .filter((t) => t.pin === user.pin)
      .map((t) => ({ kind: t.kind, index: t.index, algorithm: t.algorithm, valid: t.valid, data: t.data.toString('base64') }));
    const { pin, name, privilege, card, password, group } = user;
    lines.push(JSON.stringify({ schema: 'users/v1', type: 'user', pin, name, privilege, card, password, group, templates }));
  }
  return `${lines.join('\n')}\n`;
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `text` to `file` whole and durably (temporary name, fsync, rename, directory fsync), mode 0600. */
function writeDurably(file: string, text: string): number {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const bytes = Buffer.from(text, 'utf8');
  rmSync(temporary, { force: true }); // a leftover of a run that died with this pid
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, file);
  fsyncDirectory(dirname(file));
  return bytes.length;
}

/** Writes a users/v1 file at `file` (export --out); resolves once it is on disk. */
export function writeUsersFile(file: string, content: UsersFileContent, now: Date = new Date()): WrittenUsersFile {
  try {
    const bytes = writeDurably(file, usersV1Text(content, now));
    return { file, users: content.users.length, templates: content.templates.length, bytes };
  } catch (error) {
    throw new GatewayError('GW_ERR_USERS_BACKUP_FAILED', `cannot write ${file}: ${errorMessage(error)}`, { cause: error });
  }
}

/** `{dataDir}/backups`, where every target is backed up before a users command writes to it. */
export function backupsDirOf(dataDir: string): string {
  return join(dataDir, 'backups');
}

/** `20261202T060102Z`: a timestamp for file names (no colons). */
export function fileTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(/[-:]/g, '');
}

/** A name under `dir` no earlier backup has: `<deviceId>-<timestamp>.jsonl`, else with `-2`, `-3`, … */
export function backupFileFor(dir: string, deviceId: string, now: Date): string {
  const stem = `${deviceId}-${fileTimestamp(now)}`;
  let file = join(dir, `${stem}.jsonl`);
  for (let n = 2; existsSync(file); n++) file = join(dir, `${stem}-${n}.jsonl`);
  return file;
}

/** Backs up a target into `{dataDir}/backups/` (0700), mode 0600, fsynced; the path it wrote. */
export function writeBackup(dataDir: string, content: UsersFileContent, now: Date = new Date()): WrittenUsersFile {
  const dir = backupsDirOf(dataDir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (error) {
    throw new GatewayError('GW_ERR_USERS_BACKUP_FAILED', `cannot create ${dir}: ${errorMessage(error)}`, { cause: error });
  }
  const written = writeUsersFile(backupFileFor(dir, content.deviceId, now), content, now);
  // a backup is only one if it can be put back: a user the users/v1 schema refuses (a PIN of a
  // character it does not take) stops the command before the terminal is written
  try {
    readUsersFile(written.file);
  } catch (error) {
    throw new GatewayError('GW_ERR_USERS_BACKUP_FAILED', `the backup ${written.file} would not restore: ${errorMessage(error)}`, { cause: error });
  }
  return written;
}

/** `{dataDir}/exports/<deviceId>-<timestamp>.jsonl` (directory 0700): where an export the daemon writes goes when no path is given. */
export function exportFileFor(dataDir: string, deviceId: string, now: Date = new Date()): string {
  const dir = join(dataDir, 'exports');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (error) {
    throw new GatewayError('GW_ERR_USERS_BACKUP_FAILED', `cannot create ${dir}: ${errorMessage(error)}`, { cause: error });
  }
  return backupFileFor(dir, deviceId, now);
}

const MAX_PROBLEMS = 20;

/** Reads a users/v1 file; a GatewayError GW_ERR_USERS_INPUT_INVALID naming each bad line otherwise. */
export function readUsersFile(file: string): UsersFileContent {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GatewayError('GW_ERR_USERS_INPUT_INVALID', `cannot read ${file}: ${errorMessage(error)}`, { cause: error });
  }
  const problems: string[] = [];
  let header: { deviceId: string; serial?: string; algorithms: Record<string, string>; users: number } | undefined;
  const users: TerminalUser[] = [];
  const templates: TemplateRecord[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    const lineNo = i + 1;
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return void problems.push(`${file}:${lineNo}: not JSON`);
    }
    const parsed = usersV1LineSchema.safeParse(json);
    if (!parsed.success) return void problems.push(`${file}:${lineNo}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'line'}: ${issue.message}`).join('; ')}`);
    const value = parsed.data;
    if (value.type === 'header') {
      if (header || lineNo !== 1) return void problems.push(`${file}:${lineNo}: a header line after the first line`);
      header = value;
      return;
    }
    if (!header) return void problems.push(`${file}:${lineNo}: a user line before the header`);
    const earlier = seen.get(value.pin);
    if (earlier !== undefined) return void problems.push(`${file}:${lineNo}: PIN ${value.pin} is already on line ${earlier}`);
    seen.set(value.pin, lineNo);
    const { pin, name, privilege, card, password, group } = value;
    users.push({ pin, name, privilege, card, password, group });
    for (const t of value.templates) templates.push({ pin, kind: t.kind, index: t.index, algorithm: t.algorithm, valid: t.valid, data: Buffer.from(t.data, 'base64') });
  });
  if (!header && problems.length === 0) problems.push(`${file}: no users/v1 header line`);
  if (header && problems.length === 0 && header.users !== users.length) problems.push(`${file}: the header announces ${header.users} users, the file holds ${users.length} (cut short?)`);
  if (problems.length > 0 || !header) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    const more = problems.length > shown.length ? `\n… and ${problems.length - shown.length} more` : '';
    throw new GatewayError('GW_ERR_USERS_INPUT_INVALID', `${file} is not a users/v1 file:\n${shown.join('\n')}${more}`);
  }
  return { deviceId: header.deviceId, ...(header.serial !== undefined ? { serial: header.serial } : {}), algorithms: header.algorithms as UsersFileContent['algorithms'], users, templates };
}
