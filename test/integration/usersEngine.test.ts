// The users engine on real files and the terminal's test double (test/helpers/usersTable.ts):
// backups 0600 in a 0700 directory, whole and readable back; syncTarget backs up before the first
// write, writes nothing on a dry run, carries on past one user's failure, deletes only with
// deleteMissing, and reports every user a lost connection left unconfirmed.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupFileFor, readUsersFile, writeBackup, writeUsersFile, type UsersFileContent } from '../../src/users/backup.js';
import { ALL_USER_FIELDS, type DiffOptions } from '../../src/users/diff.js';
import { syncTarget, type SyncRequest } from '../../src/users/syncTarget.js';
import { usersV1LineSchema } from '../../src/users/user.js';
import { TableSession, template, user, type UsersTable } from '../helpers/usersTable.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const freshDir = (): string => join(tmp.dir, `d${++n}`);

const NOW = new Date('2026-12-02T06:01:02.345Z');
const content = (): UsersFileContent => ({
  deviceId: 'gate-b',
  serial: 'CKJ1234',
  algorithms: { finger: 'finger:10' },
  users: [user('00123', { name: 'Budi', password: '1234', card: '0004455' }), user('007', { privilege: 14 })],
  templates: [template('00123', 0), template('00123', 6), template('007', 1)],
});

describe('users/v1 backups', () => {
  it('are written 0600 in {dataDir}/backups (0700) as <deviceId>-<timestamp>.jsonl, and read back alike', () => {
    const dataDir = freshDir();
    const written = writeBackup(dataDir, content(), NOW);
    expect(written.file).toBe(join(dataDir, 'backups', 'gate-b-20261202T060102Z.jsonl'));
    expect(statSync(written.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'backups')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(dataDir, 'backups'))).toEqual(['gate-b-20261202T060102Z.jsonl']); // no temporary left
    expect(written).toMatchObject({ users: 2, templates: 3 });

    const lines = readFileSync(written.file, 'utf8').trimEnd().split('\n').map((l) => usersV1LineSchema.parse(JSON.parse(l)));
    expect(lines[0]).toEqual({ schema: 'users/v1', type: 'header', deviceId: 'gate-b', serial: 'CKJ1234', exportedAt: NOW.toISOString(), algorithms: { finger: 'finger:10' }, users: 2 });
    expect(lines[1]).toMatchObject({ type: 'user', pin: '00123', password: '1234', card: '0004455', templates: [{ kind: 'finger', index: 0, algorithm: 'finger:10', valid: true, data: template('00123', 0).data.toString('base64') }, { index: 6 }] });
    const back = readUsersFile(written.file);
    expect(back).toEqual(content());
  });

  it('never replaces an earlier backup, and tightens a backups directory others could read', () => {
    const dataDir = freshDir();
    mkdirSync(join(dataDir, 'backups'), { recursive: true, mode: 0o755 });
    const first = writeBackup(dataDir, content(), NOW);
    const second = writeBackup(dataDir, { ...content(), users: [] , templates: [] }, NOW);
    expect(second.file).toBe(join(dataDir, 'backups', 'gate-b-20261202T060102Z-2.jsonl'));
    expect(readUsersFile(first.file).users).toHaveLength(2);
    expect(statSync(join(dataDir, 'backups')).mode & 0o777).toBe(0o700);
    expect(backupFileFor(join(dataDir, 'backups'), 'gate-b', NOW)).toMatch(/-3\.jsonl$/);
  });

  it('export --out writes the same format 0600, replacing the file named', () => {
    const file = join(freshDir(), 'out.jsonl');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'old', { mode: 0o644 });
    writeUsersFile(file, content(), NOW);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readUsersFile(file)).toEqual(content());
  });

  it('refuses a file cut short or with a bad line, naming the line', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const whole = join(dir, 'whole.jsonl');
    writeUsersFile(whole, content(), NOW);
    const lines = readFileSync(whole, 'utf8').split('\n');
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, `${lines.slice(0, 2).join('\n')}\n`);
    expect(() => readUsersFile(cut)).toThrow('the header announces 2 users, the file holds 1 (cut short?)');
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, [lines[0], lines[1]?.replace('"00123"', '"001 23"'), 'nope', lines[1]].join('\n'));
    expect(() => readUsersFile(bad)).toThrow(new RegExp(`${bad}:2: pin: a PIN is 1 to 24 letters, digits, '.', '_' or '-'\\n${bad}:3: not JSON`));
  });
});

const COPY: DiffOptions = { fields: ALL_USER_FIELDS, templates: true, deleteMissing: false, overwriteConflicts: false };

function targetTable(): UsersTable {
  return { serial: 'TGT1', algorithms: { finger: 'finger:10' }, users: [user('1'), user('9', { name: 'Only here' })], templates: [template('9', 3)] };
}

const sourceSet = { users: [user('1', { privilege: 14 }), user('2'), user('3'), user('4')], templates: [template('2', 0), template('3', 0, 'finger:9')] };

function request(session: TableSession, dataDir: string, options: Partial<SyncRequest['options']> = {}): SyncRequest {
  return { deviceId: 'gate-b', session, source: sourceSet, options: { ...COPY, dryRun: false, ...options }, backup: (c) => writeBackup(dataDir, c) };
}

describe('syncTarget', () => {
  it('on a dry run reads and diffs, and writes, deletes and backs up nothing', async () => {
    const dataDir = freshDir();
    const session = new TableSession(targetTable());
    const report = await syncTarget(request(session, dataDir, { dryRun: true, deleteMissing: true }));
    expect(report.plan.counts).toMatchObject({ added: 3, updated: 1, deleted: 1 });
    expect(session.calls).toEqual([]);
    expect(session.table).toEqual(targetTable());
    expect(existsSync(join(dataDir, 'backups'))).toBe(false);
    expect(report.backup).toBeUndefined();
  });

  it('backs the target up whole, templates included, before its first write', async () => {
    const dataDir = freshDir();
    let atFirstWrite: string[] = [];
    const session = new TableSession(targetTable(), { onFirstWrite: () => (atFirstWrite = readdirSync(join(dataDir, 'backups')).map((f) => readFileSync(join(dataDir, 'backups', f), 'utf8'))) });
    const report = await syncTarget(request(session, dataDir, { templates: false }));
    expect(atFirstWrite).toHaveLength(1);
    const backup = readUsersFile(report.backup?.file ?? '');
    expect(backup).toEqual({ deviceId: 'gate-b', serial: 'TGT1', ...targetTable() });
    expect(atFirstWrite[0]).toBe(readFileSync(report.backup?.file ?? '', 'utf8'));
    expect(report).toMatchObject({ written: 4, deleted: 0, failures: [] });
  });

  it('writes nothing when its backup would not restore (a PIN users/v1 does not take)', async () => {
    const dataDir = freshDir();
    const session = new TableSession({ ...targetTable(), users: [user('A 1')] });
    const report = await syncTarget(request(session, dataDir));
    expect(report.error?.code).toBe('GW_ERR_USERS_BACKUP_FAILED');
    expect(report.error?.message).toMatch(/would not restore: .*:2: pin: a PIN is 1 to 24 letters, digits.*nothing was written$/s);
    expect(session.calls).toEqual([]);
  });

  it('writes nothing when its backup cannot be written', async () => {
    const dataDir = freshDir();
    writeFileSync(dataDir, 'a file where the data directory should be');
    const session = new TableSession(targetTable());
    const report = await syncTarget(request(session, dataDir));
    expect(report.error?.code).toBe('GW_ERR_USERS_BACKUP_FAILED');
    expect(report.error?.message).toMatch(/nothing was written$/);
    expect(session.calls).toEqual([]);
  });

  it('reports one user\'s failure with its code and writes the others; never forces a template', async () => {
    const session = new TableSession(targetTable(), { failPins: ['3'] });
    const report = await syncTarget(request(session, freshDir()));
    expect(report.failures).toEqual([{ pin: '3', action: 'write', code: 'GW_ERR_USERS_WRITE_FAILED', message: 'the terminal refused the user (its table is full)' }]);
    expect(report.written).toBe(3);
    expect(session.table.users.map((u) => u.pin).sort()).toEqual(['1', '2', '4', '9']);
    expect(session.table.templates.map((t) => `${t.pin}:${t.index}`).sort()).toEqual(['2:0', '9:3']);
    expect(report.plan.changes.find((c) => c.pin === '3')?.skippedTemplates).toEqual([{ kind: 'finger', index: 0, algorithm: 'finger:9', targetAlgorithm: 'finger:10' }]);
  });

  it('deletes only with deleteMissing, and only the users the source lacks', async () => {
    const kept = new TableSession(targetTable());
    await syncTarget(request(kept, freshDir()));
    expect(kept.calls.map((c) => c.action)).toEqual(['write']);
    expect(kept.table.users.some((u) => u.pin === '9')).toBe(true);

    const pruned = new TableSession(targetTable());
    const report = await syncTarget(request(pruned, freshDir(), { deleteMissing: true }));
    expect(pruned.calls).toEqual([
      { action: 'write', pins: ['1', '2', '3', '4'] },
      { action: 'delete', pins: ['9'] },
    ]);
    expect(report.deleted).toBe(1);
    expect(pruned.table.users.map((u) => u.pin).sort()).toEqual(['1', '2', '3', '4']);
  });

  it('keeps the outcomes answered before a lost connection, marks the rest unconfirmed, and a second run writes only those', async () => {
    const dataDir = freshDir();
    const table = targetTable();
    const first = await syncTarget(request(new TableSession(table, { dropAfter: 2 }), dataDir, { deleteMissing: true }));
    expect(first.error).toEqual({ code: 'GW_ERR_DEVICE_UNREACHABLE', message: 'connection reset by the terminal' });
    // users 1 and 2 were answered (their outcomes came with the progress): written, not failed
    expect(first.written).toBe(2);
    expect(first.failures.map((f) => `${f.action} ${f.pin} ${f.code}`)).toEqual(['write 3 GW_ERR_DEVICE_UNREACHABLE', 'write 4 GW_ERR_DEVICE_UNREACHABLE', 'delete 9 GW_ERR_DEVICE_UNREACHABLE']);
    expect(first.failures[0]?.message).toMatch(/^not confirmed: the write stopped \(connection reset by the terminal\)/);
    expect(first.failures.at(-1)?.message).toMatch(/^not attempted/);

    const again = new TableSession(table);
    const second = await syncTarget(request(again, dataDir, { deleteMissing: true }));
    expect(again.calls).toEqual([
      { action: 'write', pins: ['3', '4'] },
      { action: 'delete', pins: ['9'] },
    ]);
    expect(second.failures).toEqual([]);
    expect(readdirSync(join(dataDir, 'backups'))).toHaveLength(2);
  });
});
