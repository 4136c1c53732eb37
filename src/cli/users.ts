// `absensi-gateway users list|export|copy|import` (DESIGN.md "Users and templates"): the users and
// templates of the building's terminals, through each family's users side (usersWiring.ts) and the
// family-independent engine (src/users/).
// Invariants:
// - `--dry-run` prints the exact diff per target and writes nothing: no terminal write, no backup.
// - Every target is backed up to {dataDir}/backups/ (0600) before its first write (syncTarget.ts).
// - Nothing is deleted without --delete-missing; a conflict is written only with --overwrite-conflicts.
// - Templates and passwords are never printed: `list` shows template counts, the diff names a
//   changed password without its value.
// - Exit codes: 0 done; 1 a target or a user failed (the summary lists each with its code);
//   64 bad arguments or input file (GW_ERR_USERS_INPUT_INVALID); 69 the family cannot, or the
//   daemon holds the terminal; 78 the config.
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import type { AnyDriverDefinition } from '../devices/definition.js';
import type { UsersProgress, UsersSession } from '../devices/facets.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { readUsersFile, writeBackup, writeUsersFile } from '../users/backup.js';
import { ALL_USER_FIELDS, type DiffOptions, type UserField, type UserSet } from '../users/diff.js';
import { readEmployeeCsv } from '../users/employeeCsv.js';
import { targetSummary, unreadTargetSummary } from '../users/report.js';
import { syncTarget, type SyncPhase } from '../users/syncTarget.js';
import { describeUser } from '../users/user.js';
import { GatewayError, codeOf, errorMessage } from '../util/errors.js';
import { EXIT_CONFIG } from './check.js';
import { ensureNotHeld, loadUsersConfig, openUsersSession, usersDeviceOf, type UsersDevice } from './usersWiring.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;

interface CommonOptions {
  config: string;
  /** the command as typed, for the advice to stop the daemon */
  line: string;
}

interface WriteOptions extends CommonOptions {
  dryRun?: boolean;
  deleteMissing?: boolean;
  overwriteConflicts?: boolean;
}

/** One progress bar per phase of a device's read or write, on stderr (silent when it is not a terminal). */
function progressBars(deviceId: string): { phase: (phase: SyncPhase) => UsersProgress; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    phase: (phase) => {
      stop();
      const current = new cliProgress.SingleBar({ format: `${deviceId} ${phase.padEnd(14)} [{bar}] {value}/{total}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
      current.start(0, 0);
      bar = current;
      return (done, total) => {
        if (total !== undefined && total !== current.getTotal()) current.setTotal(total);
        current.update(done);
      };
    },
    stop,
  };
}

/** Runs `work` with a session to `target`, its progress bars stopped and the session closed after. */
async function withSession<T>(target: UsersDevice, work: (session: UsersSession, phase: (p: SyncPhase) => UsersProgress) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  const bars = progressBars(target.device.id);
  try {
    const session = await openUsersSession(target, abort.signal);
    try {
      return await work(session, bars.phase);
    } finally {
      bars.stop();
      await session.close();
    }
  } finally {
    bars.stop();
    process.off('SIGINT', onSignal);
  }
}

async function readAll(session: UsersSession, phase: (p: SyncPhase) => UsersProgress, templates: boolean): Promise<UserSet & { algorithms: Awaited<ReturnType<UsersSession['algorithms']>> }> {
  const algorithms = await session.algorithms();
  const users = await session.listUsers(phase('read users'));
  return { algorithms, users, templates: templates ? await session.readTemplates(undefined, phase('read templates')) : [] };
}

interface Resolved {
  config: GatewayConfig;
  devices: UsersDevice[];
}

/** The config and every device named, each checked (users side, daemon) before any is read. */
async function resolve(ids: readonly string[], options: CommonOptions, drivers: readonly AnyDriverDefinition[]): Promise<Resolved> {
  const config = loadUsersConfig(options.config, drivers);
  const scope = { config, configPath: options.config, drivers };
  const devices = ids.map((id) => usersDeviceOf(scope, id));
  for (const device of devices) await ensureNotHeld(scope, device, options.line);
  return { config, devices };
}

function exitFor(error: unknown): number | undefined {
  if (error instanceof ConfigError) return EXIT_CONFIG;
  if (!(error instanceof GatewayError)) return undefined;
  if (error.code === 'GW_ERR_USERS_INPUT_INVALID') return EXIT_USAGE;
  if (error.code === 'GW_ERR_USERS_UNSUPPORTED' || error.code === 'GW_ERR_USERS_DAEMON_HOLDING') return EXIT_UNAVAILABLE;
  if (error.code === 'GW_ERR_CONFIG_INVALID' || error.code === 'GW_ERR_CONFIG_UNREADABLE') return EXIT_CONFIG;
  return EXIT_FAILED;
}

/** The command line as typed (the root program's arguments), from the Command commander hands an action last. */
function typedLine(args: readonly unknown[]): string {
  let command = args.at(-1) as Command | undefined;
  while (command?.parent) command = command.parent;
  // commander keeps the argv it parsed as rawArgs, which its typings leave out
  const argv = (command as (Command & { rawArgs?: string[] }) | undefined)?.rawArgs ?? [];
  return ['absensi-gateway', ...argv.slice(2)].join(' ');
}

/** A subcommand's action: its options gain `line`; a GatewayError is printed with its code and sets the exit code. */
function action<A extends unknown[]>(name: string, run: (line: string, ...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    try {
      await run(typedLine(args), ...args);
    } catch (error) {
      const exit = exitFor(error);
      if (exit === undefined) throw error;
      process.stderr.write(`users ${name}: ${(error as GatewayError).code}: ${errorMessage(error)}\n`);
      process.exitCode = exit;
    }
  };
}

const usage = (message: string): GatewayError => new GatewayError('GW_ERR_USERS_INPUT_INVALID', message);

async function list(deviceId: string, options: CommonOptions & { json?: boolean }, drivers: readonly AnyDriverDefinition[]): Promise<void> {
  const { devices } = await resolve([deviceId], options, drivers);
  const [target] = devices as [UsersDevice];
  const read = await withSession(target, async (session, phase) => ({ serial: session.serial, ...(await readAll(session, phase, true)) }));
  const users = read.users.map((u) => describeUser(u, read.templates));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ deviceId, ...(read.serial !== undefined ? { serial: read.serial } : {}), algorithms: read.algorithms, users })}\n`);
    return;
  }
  const rows = [['PIN', 'NAME', 'PRIVILEGE', 'CARD', 'FINGER', 'FACE', 'PALM'], ...users.map((u) => [u.pin, u.name, String(u.privilege), u.card || '-', String(u.templates.finger ?? 0), String(u.templates.face ?? 0), String(u.templates.palm ?? 0)])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const algorithms = Object.entries(read.algorithms).map(([k, v]) => `${k} ${v}`).join(', ') || 'none reported';
  process.stdout.write(`${deviceId}${read.serial ? ` (serial ${read.serial})` : ''}: ${users.length} users; template algorithms: ${algorithms}\n`);
  process.stdout.write(rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n');
}

async function exportUsers(deviceId: string, options: CommonOptions & { out: string; templates?: boolean }, drivers: readonly AnyDriverDefinition[]): Promise<void> {
  const { devices } = await resolve([deviceId], options, drivers);
  const [target] = devices as [UsersDevice];
  const read = await withSession(target, async (session, phase) => ({ serial: session.serial, ...(await readAll(session, phase, options.templates === true)) }));
  const written = writeUsersFile(options.out, { deviceId, ...(read.serial !== undefined ? { serial: read.serial } : {}), algorithms: read.algorithms, users: read.users, templates: read.templates });
  process.stdout.write(`${deviceId}: ${written.users} users, ${written.templates} templates exported to ${written.file} (mode 0600; personal data: keep it safe, delete it when done)\n`);
}

interface Source {
  /** how the summary names the source: `users copy lobby-1`, `users import staff.csv` */
  verb: string;
  set: UserSet;
  fields: readonly UserField[];
  templates: boolean;
}

/** Syncs every target from `source`, prints the summary, and sets the exit code when anything failed. */
async function syncAll(source: Source, resolved: Resolved & { targets: readonly UsersDevice[] }, options: WriteOptions): Promise<void> {
  const diff: DiffOptions & { dryRun: boolean } = { fields: source.fields, templates: source.templates, deleteMissing: options.deleteMissing === true, overwriteConflicts: options.overwriteConflicts === true, dryRun: options.dryRun === true };
  const lines = [`${source.verb} at ${new Date().toISOString()} (gateway ${resolved.config.gateway.id}): ${source.set.users.length} users, ${source.set.templates.length} templates in the source${diff.dryRun ? '; dry run' : ''}`];
  let failed = false;
  for (const target of resolved.targets) {
    try {
      const report = await withSession(target, (session, phase) => syncTarget({ deviceId: target.device.id, session, source: source.set, options: diff, progress: phase, backup: (content) => writeBackup(resolved.config.gateway.dataDir, content) }));
      lines.push(...targetSummary(report, source.verb));
      failed ||= report.failures.length > 0 || report.error !== undefined;
    } catch (error) {
      lines.push(...unreadTargetSummary(source.verb, target.device.id, codeOf(error, 'GW_ERR_DEVICE_UNREACHABLE'), errorMessage(error)));
      failed = true;
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (failed) process.exitCode = EXIT_FAILED;
}

function distinctTargets(targets: readonly string[], source?: string): void {
  const twice = targets.find((id, i) => targets.indexOf(id) !== i);
  if (twice) throw usage(`"${twice}" is named twice as a target`);
  if (source !== undefined && targets.includes(source)) throw usage(`"${source}" is the source; it cannot be a target too`);
}

async function copy(from: string, to: string[], options: WriteOptions & { templates?: boolean }, drivers: readonly AnyDriverDefinition[]): Promise<void> {
  distinctTargets(to, from);
  const resolved = await resolve([from, ...to], options, drivers);
  const [source, ...targets] = resolved.devices as [UsersDevice, ...UsersDevice[]];
  const read = await withSession(source, (session, phase) => readAll(session, phase, options.templates === true));
  await syncAll({ verb: `users copy ${from}`, set: read, fields: ALL_USER_FIELDS, templates: options.templates === true }, { ...resolved, targets }, options);
}

async function importUsers(ids: string[], options: WriteOptions & { csv?: string; from?: string }, drivers: readonly AnyDriverDefinition[]): Promise<void> {
  if ((options.csv === undefined) === (options.from === undefined)) throw usage('give exactly one of --csv FILE (the employee list) and --from FILE (a users/v1 backup)');
  distinctTargets(ids);
  let source: Source;
  if (options.csv !== undefined) {
    const list = readEmployeeCsv(options.csv);
    source = { verb: `users import ${options.csv}`, set: { users: list.users, templates: [] }, fields: list.fields, templates: false };
  } else {
    const backup = readUsersFile(options.from as string);
    source = { verb: `users import ${options.from}`, set: backup, fields: ALL_USER_FIELDS, templates: backup.templates.length > 0 };
  }
  const resolved = await resolve(ids, options, drivers);
  await syncAll(source, { ...resolved, targets: resolved.devices }, options);
}

function writeOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .option('--dry-run', 'print the exact diff per target; write nothing, back up nothing')
    .option('--delete-missing', 'delete the users a target holds and the source does not (after the backup)')
    .option('--overwrite-conflicts', 'write a user whose PIN the target holds with another name or card (default: report it and leave it)');
}

export function registerUsersCommand(program: Command, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): void {
  const users = program.command('users').description('the users and templates of the terminals: list, export, copy between terminals, import the employee list');
  users
    .command('list')
    .description('PIN, name, privilege, card and template counts of a terminal (never template bytes or passwords)')
    .argument('<deviceId>', 'device id from the config')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print JSON')
    .action(action('list', (line, id: string, o: Omit<CommonOptions, 'line'> & { json?: boolean }) => list(id, { ...o, line }, drivers)));
  users
    .command('export')
    .description('write a terminal\'s users (and templates) to a users/v1 JSONL file, mode 0600')
    .argument('<deviceId>', 'device id from the config')
    .requiredOption('--out <file>', 'the file to write (replaced when it exists)')
    .option('--templates', 'include the biometric templates')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .action(action('export', (line, id: string, o: Omit<CommonOptions, 'line'> & { out: string; templates?: boolean }) => exportUsers(id, { ...o, line }, drivers)));
  writeOptions(
    users
      .command('copy')
      .description('make each target hold the source terminal\'s users, and its templates where the algorithm versions match; each target is backed up first')
      .argument('<fromDeviceId>', 'the terminal to copy from')
      .argument('<toDeviceIds...>', 'the terminals to copy to')
      .option('--templates', 'copy templates too (only between equal algorithm versions)'),
  ).action(action('copy', (line, from: string, to: string[], o: Omit<WriteOptions, 'line'> & { templates?: boolean }) => copy(from, to, { ...o, line }, drivers)));
  writeOptions(
    users
      .command('import')
      .description('the centre\'s employee list (CSV pin,name,card,privilege) or a users/v1 backup onto terminals; each is backed up first')
      .argument('<deviceIds...>', 'the terminals to write')
      .option('--csv <file>', 'employee list: header row, then pin,name,card,privilege')
      .option('--from <file>', 'a users/v1 backup or export (its templates too, where the algorithm versions match)'),
  ).action(action('import', (line, ids: string[], o: Omit<WriteOptions, 'line'> & { csv?: string; from?: string }) => importUsers(ids, { ...o, line }, drivers)));
}
