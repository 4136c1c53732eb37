// `absensi-gateway users list|export|copy|import` in-process on a test config whose devices are of
// the test-only "table" families (test/helpers/tableFamily/: the terminal's test double kept in a
// JSON file) and of the echo family (no users side): what is printed, what each terminal holds
// afterwards, the backups, and the exit codes.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { registerUsersCommand } from '../../src/cli/users.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { readUsersFile } from '../../src/users/backup.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../../src/util/net.js';
import { echoDriver } from '../helpers/echoFamily/definition.js';
import { tableDrivers } from '../helpers/tableFamily/definition.js';
import { witnessFile } from '../helpers/tableFamily/users.js';
import { runCli, type CliRun } from '../helpers/cliRun.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { loadTable, saveTable, template, user, type UsersTable } from '../helpers/usersTable.js';

const DRIVERS = [...BUILTIN_DRIVERS, echoDriver, ...tableDrivers];
const tmp = tempDir();
afterAll(() => tmp.cleanup());
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

function users(...args: string[]): Promise<CliRun> {
  return runCli((program) => registerUsersCommand(program, DRIVERS), ['users', ...args]);
}

const SECRET = 'p4ss-1234';
const sourceTable = (): UsersTable => ({
  serial: 'SRC1',
  algorithms: { finger: 'finger:10', face: 'face:7' },
  users: [user('00123', { name: 'Budi Santoso', card: '0004455', password: SECRET }), user('00124', { name: 'Ani', privilege: 14 }), user('00125', { name: 'Rina Wati' }), user('00126', { name: 'Joko' })],
  templates: [template('00123', 0), template('00123', 1), template('00124', 0, 'finger:10', 9), template('00124', 0, 'face:7', 3, 'face')],
});
const gateBTable = (): UsersTable => ({
  serial: 'GATEB',
  algorithms: { finger: 'finger:10' },
  users: [user('00125', { name: 'Rina W.' }), user('00999', { name: 'Left the office' })],
  templates: [template('00999', 2)],
});
const gateCTable = (): UsersTable => ({ serial: 'GATEC', algorithms: { finger: 'finger:9' }, users: [], templates: [] });

let dir: string;
let config: string;
const table = (id: string): string => join(dir, `${id}.json`);
const backups = (): string => join(dir, 'data', 'backups');

function writeConfig(extra: Record<string, string> = {}, api = '127.0.0.1:1'): string {
  const entry = (id: string, driver = 'table', more = ''): string => `  - {id: ${id}, driver: ${driver}, tableFile: ${table(id)}, witnessDir: ${backups()}${more}${extra[id] ?? ''}}\n`;
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    `gateway:\n  id: gw-users\n  site: USR\n  dataDir: ${dir}/data\napi:\n  listen: ${api}\ndevices:\n${entry('lobby')}${entry('gate-b')}${entry('gate-c')}${entry('gate-x', 'table-exclusive')}${entry('none', 'table-none')}  - {id: echo-1, driver: echo}\n`,
  );
  return file;
}

let n = 0;
beforeEach(() => {
  dir = join(tmp.dir, `t${++n}`);
  mkdirSync(dir, { recursive: true });
  saveTable(table('lobby'), sourceTable());
  saveTable(table('gate-b'), gateBTable());
  saveTable(table('gate-c'), gateCTable());
  saveTable(table('gate-x'), gateCTable());
  config = writeConfig();
});

describe('users list', () => {
  it('shows PIN, name, privilege, card and template counts, never a password or template bytes', async () => {
    const text = await users('list', 'lobby', '--config', config);
    expect(text.exit).toBeUndefined();
    expect(text.out).toContain('lobby (serial SRC1): 4 users; template algorithms: finger finger:10, face face:7');
    expect(text.out).toMatch(/00123\s+Budi Santoso\s+0\s+0004455\s+2\s+0\s+0/);
    expect(text.out).toMatch(/00124\s+Ani\s+14\s+-\s+1\s+1\s+0/);
    const json = await users('list', 'lobby', '--config', config, '--json');
    const listed = JSON.parse(json.out) as { users: { pin: string; templates: Record<string, number> }[] };
    expect(listed.users.map((u) => u.pin)).toEqual(['00123', '00124', '00125', '00126']);
    expect(listed.users[1]?.templates).toEqual({ finger: 1, face: 1 });
    for (const printed of [text.out, json.out, text.err, json.err]) {
      expect(printed).not.toContain(SECRET);
      expect(printed).not.toContain(template('00123', 0).data.toString('base64'));
      expect(printed).not.toMatch(/password/);
    }
  });
});

describe('users export', () => {
  it('writes users/v1 with templates, 0600, that reads back as the terminal holds it', async () => {
    const out = join(dir, 'lobby.jsonl');
    const run = await users('export', 'lobby', '--out', out, '--templates', '--config', config);
    expect(run.exit).toBeUndefined();
    expect(run.out).toBe(`lobby: 4 users, 4 templates exported to ${out} (mode 0600; personal data: keep it safe, delete it when done)\n`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readUsersFile(out)).toEqual({ deviceId: 'lobby', ...sourceTable() });
    await users('export', 'lobby', '--out', out, '--config', config);
    expect(readUsersFile(out).templates).toEqual([]);
  });
});

describe('users copy', () => {
  it('--dry-run prints the exact diff and writes nothing', async () => {
    const before = ['gate-b', 'gate-c'].map((id) => readFileSync(table(id), 'utf8'));
    const run = await users('copy', 'lobby', 'gate-b', 'gate-c', '--templates', '--dry-run', '--delete-missing', '--config', config);
    expect(run.exit).toBeUndefined();
    expect(['gate-b', 'gate-c'].map((id) => readFileSync(table(id), 'utf8'))).toEqual(before);
    expect(existsSync(backups())).toBe(false);
    expect(existsSync(witnessFile({ tableFile: table('gate-b') }))).toBe(false);
    expect(run.out).toContain('users copy lobby → gate-b (serial GATEB)');
    expect(run.out).toContain('added 3, updated 0, unchanged 0, conflicting 1, skipped-for-algorithm 0, deleted 1, kept 0');
    expect(run.out).toContain('dry run: nothing written, no backup made');
    expect(run.out).toMatch(/\+ 00123\s+"Budi Santoso"\s+added with 2 template\(s\)/);
    expect(run.out).toMatch(/! 00125\s+"Rina Wati"\s+conflicting GW_ERR_USERS_CONFLICT: name "Rina Wati" in the source, "Rina W\." on the target; left as the target holds it/);
    expect(run.out).toMatch(/- 00999\s+"Left the office"\s+deleted \(--delete-missing\)/);
    expect(run.out).toMatch(/templates not copied GW_ERR_USERS_ALGORITHM_MISMATCH: face 0 \(face:7, the target reports no algorithm\)/);
    // gate-c holds finger:9: no template goes there
    expect(run.out).toMatch(/gate-c[\s\S]*templates: 0 to write, 4 not copied for their algorithm/);
    expect(run.out).not.toContain(SECRET);
  });

  it('backs each target up before its first write, reports a user\'s failure with its code and writes the rest', async () => {
    config = writeConfig({ 'gate-b': ', failPins: ["00124"]' });
    const run = await users('copy', 'lobby', 'gate-b', 'gate-c', '--templates', '--config', config);
    expect(run.exit).toBe(1);
    const files = readdirSync(backups()).sort();
    expect(files).toHaveLength(2);
    expect(statSync(backups()).mode & 0o777).toBe(0o700);
    for (const f of files) expect(statSync(join(backups(), f)).mode & 0o777).toBe(0o600);
    const gateBBackup = join(backups(), files.find((f) => f.startsWith('gate-b-')) ?? '');
    expect(readUsersFile(gateBBackup)).toEqual({ deviceId: 'gate-b', ...gateBTable() });
    // what the terminal's double saw in the backups directory when its first write began: the whole backup
    const seen = JSON.parse(readFileSync(witnessFile({ tableFile: table('gate-b') }), 'utf8')) as Record<string, string>;
    expect(seen[files.find((f) => f.startsWith('gate-b-')) ?? '']).toBe(readFileSync(gateBBackup, 'utf8'));

    const gateB = loadTable(table('gate-b'));
    expect(gateB.users.map((u) => u.pin).sort()).toEqual(['00123', '00125', '00126', '00999']);
    expect(gateB.users.find((u) => u.pin === '00125')?.name).toBe('Rina W.'); // the conflict is left alone
    expect(gateB.templates.map((t) => `${t.pin}:${t.kind}:${t.index}`).sort()).toEqual(['00123:finger:0', '00123:finger:1', '00999:finger:2']);
    expect(loadTable(table('gate-c')).users.map((u) => u.pin)).toEqual(['00123', '00124', '00125', '00126']);
    expect(loadTable(table('gate-c')).templates).toEqual([]);

    expect(run.out).toMatch(/^users copy lobby at \S+Z \(gateway gw-users\): 4 users, 4 templates in the source\n/);
    expect(run.out).toContain(`backup: ${gateBBackup} (2 users, 1 templates)`);
    expect(run.out).toContain('written 2 of 3, deleted 0 of 0, failed 1');
    expect(run.out).toContain('failed write 00124 GW_ERR_USERS_WRITE_FAILED: the terminal refused the user (its table is full)');
    expect(run.out).toContain('conflict 00125 GW_ERR_USERS_CONFLICT');
    expect(run.out).toContain('kept 1');
    expect(run.out).not.toContain(SECRET);
  });

  it('deletes only with --delete-missing', async () => {
    await users('copy', 'lobby', 'gate-b', '--config', config);
    expect(loadTable(table('gate-b')).users.some((u) => u.pin === '00999')).toBe(true);
    const run = await users('copy', 'lobby', 'gate-b', '--delete-missing', '--config', config);
    expect(run.out).toContain('deleted 1 of 1');
    const after = loadTable(table('gate-b'));
    expect(after.users.some((u) => u.pin === '00999')).toBe(false);
    // the deleted user's enrolment is in the backup made before the delete
    const last = readdirSync(backups()).sort().at(-1) ?? '';
    expect(readUsersFile(join(backups(), last)).templates.map((t) => t.pin)).toEqual(['00999']);
  });

  it('refuses a target named twice or the source as a target, touching nothing', async () => {
    const twice = await users('copy', 'lobby', 'gate-b', 'gate-b', '--config', config);
    expect(twice).toMatchObject({ exit: 64, err: 'users copy: GW_ERR_USERS_INPUT_INVALID: "gate-b" is named twice as a target\n' });
    const self = await users('copy', 'lobby', 'lobby', '--config', config);
    expect(self.exit).toBe(64);
    expect(existsSync(backups())).toBe(false);
  });

  it('a target the terminal cannot be opened for is reported, and the others proceed', async () => {
    writeFileSync(table('gate-b'), '{');
    const run = await users('copy', 'lobby', 'gate-b', 'gate-c', '--config', config);
    expect(run.exit).toBe(1);
    expect(run.out).toMatch(/users copy lobby → gate-b\n {2}stopped GW_ERR_DEVICE_UNREACHABLE: no terminal at .*; nothing was written/);
    expect(loadTable(table('gate-c')).users).toHaveLength(4);
  });
});

describe('users import', () => {
  it('--csv writes the employee list with PINs as written, leaving passwords and unlisted users alone', async () => {
    const csv = join(dir, 'staff.csv');
    writeFileSync(csv, 'pin,name,card,privilege\n00125,Rina W.,,0\n000777,Baru,12345,admin\n');
    const run = await users('import', 'gate-b', '--csv', csv, '--config', config);
    expect(run.exit).toBeUndefined();
    expect(run.out).toContain('added 1, updated 0, unchanged 1');
    const gateB = loadTable(table('gate-b'));
    expect(gateB.users.find((u) => u.pin === '000777')).toEqual(user('000777', { name: 'Baru', card: '12345', privilege: 14 }));
    expect(gateB.users.some((u) => u.pin === '777')).toBe(false);
    expect(gateB.users.some((u) => u.pin === '00999')).toBe(true);
  });

  it('refuses a CSV with a bad row, naming its line, and writes nothing', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'pin,name,card,privilege\n00125,Rina,,0\n00126,Joko,kartu,0\n');
    const before = readFileSync(table('gate-b'), 'utf8');
    const run = await users('import', 'gate-b', '--csv', csv, '--config', config);
    expect(run.exit).toBe(64);
    expect(run.err).toContain(`${csv}:3: card: a card number is decimal digits`);
    expect(readFileSync(table('gate-b'), 'utf8')).toBe(before);
    expect(existsSync(backups())).toBe(false);
  });

  it('--from restores a backup, templates included where the algorithm matches', async () => {
    const out = join(dir, 'lobby.jsonl');
    await users('export', 'lobby', '--out', out, '--templates', '--config', config);
    const run = await users('import', 'gate-c', 'gate-x', '--from', out, '--config', config);
    expect(run.exit).toBeUndefined();
    expect(loadTable(table('gate-x')).users).toEqual(sourceTable().users);
    expect(loadTable(table('gate-c')).templates).toEqual([]); // finger:9
    expect(run.out).toMatch(/gate-c[\s\S]*templates: 0 to write, 4 not copied/);
  });

  it('needs exactly one of --csv and --from', async () => {
    const run = await users('import', 'gate-b', '--config', config);
    expect(run).toMatchObject({ exit: 64, err: 'users import: GW_ERR_USERS_INPUT_INVALID: give exactly one of --csv FILE (the employee list) and --from FILE (a users/v1 backup)\n' });
  });
});

describe('families without users', () => {
  it('refuses a family with no users side, or one that says why not, with a code', async () => {
    const echo = await users('list', 'echo-1', '--config', config);
    expect(echo.exit).toBe(69);
    expect(echo.err).toMatch(/^users list: GW_ERR_USERS_UNSUPPORTED: "echo-1" is a echo device, whose family has no users side in this build \(users commands work with (\S+, )*table, table-exclusive\)\n$/);
    const none = await users('copy', 'lobby', 'none', '--config', config);
    expect(none.exit).toBe(69);
    expect(none.err).toBe('users copy: GW_ERR_USERS_UNSUPPORTED: "none" is a table-none device: a table-none terminal keeps no users (test family)\n');
    expect(existsSync(backups())).toBe(false);
  });

  it('names the devices it knows when asked for one it does not', async () => {
    const run = await users('list', 'nope', '--config', config);
    expect(run.exit).toBe(78);
    expect(run.err).toMatch(/GW_ERR_CONFIG_INVALID: no device "nope" in .*; it has: lobby, gate-b, gate-c, gate-x, none, echo-1/);
  });
});

describe('a terminal the running daemon holds', () => {
  it('is not opened a second time when its family serves one client at a time: the job goes to the daemon, which refuses a driver that does not lend, and the command says to stop the daemon', async () => {
    const apiPort = await freePort();
    config = writeConfig({}, `127.0.0.1:${apiPort}`);
    const daemon = new Gateway(parseConfigText(readFileSync(config, 'utf8'), config, { drivers: DRIVERS }), { log: silentLogger(), drivers: DRIVERS, api: startApiServer });
    try {
      await daemon.start();
      await until(() => daemon.states.get('gate-x')?.online === true, 'the daemon connected to gate-x');
      const before = readFileSync(table('gate-x'), 'utf8');
      const run = await users('import', 'gate-x', '--from', join(dir, 'missing.jsonl'), '--config', config);
      expect(run.exit).toBe(64); // the input is read first
      const csv = join(dir, 'staff.csv');
      writeFileSync(csv, 'pin,name\n1,Budi\n');
      const held = await users('import', 'gate-x', '--csv', csv, '--config', config);
      expect(held.exit).toBe(69);
      expect(held.err).toContain(`users import: GW_ERR_USERS_DAEMON_HOLDING: the running daemon (http://127.0.0.1:${apiPort}) refused the users job (409): the daemon's driver of "gate-x" (table-exclusive) holds the terminal`);
      expect(held.err).toContain(`stop the daemon for this command: sudo systemctl stop absensi-gateway && sudo absensi-gateway users import gate-x --csv ${csv} --config ${config}; sudo systemctl start absensi-gateway`);
      expect(readFileSync(table('gate-x'), 'utf8')).toBe(before);
      // a family that may run alongside the daemon is opened meanwhile
      const alongside = await users('import', 'gate-c', '--csv', csv, '--config', config);
      expect(alongside.exit).toBeUndefined();
      expect(loadTable(table('gate-c')).users.map((u) => u.pin)).toEqual(['1']);
    } finally {
      await daemon.stop();
    }
  });
});

describe('the shipped command line', () => {
  it('runs `users` from src/main.ts, and refuses a shipped family without a users side with its code', async () => {
    const file = join(dir, 'serial.yaml');
    writeFileSync(file, `gateway: {id: gw-users, site: USR, dataDir: ${dir}/data}\napi: {listen: 127.0.0.1:1}\ndevices:\n  - {id: kiosk-3, driver: serial-line}\n`);
    const failure = await promisify(execFile)('node', ['--import', 'tsx', 'src/main.ts', 'users', 'list', 'kiosk-3', '--config', file]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(failure).toMatchObject({ code: 69 });
    expect((failure as { stderr: string }).stderr).toMatch(/^users list: GW_ERR_USERS_UNSUPPORTED: "kiosk-3" is a serial-line device/);
  });
});
