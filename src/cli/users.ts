// `absensi-gateway users list|export|copy|import` (DESIGN.md "Users and templates"): the users and
// templates of the building's terminals, through each family's users side (usersWiring.ts) and the
// family-independent engine (src/users/job.ts), run here or, when a device needs it, in the
// running daemon (usersViaDaemon.ts: zk-push always, a zk-tcp terminal the daemon holds).
// Invariants:
// - `--dry-run` prints the exact diff per target and writes nothing: no terminal write, no backup.
// - Every target is backed up to {dataDir}/backups/ (0600) before its first write (syncTarget.ts),
//   by whoever runs the job (this process or the daemon).
// - Nothing is deleted without --delete-missing; a conflict is written only with --overwrite-conflicts.
// - Templates and passwords are never printed: `list` shows template counts, the diff names a
//   changed password without its value. The summary and `--json` are printed from the job's
//   outcome (src/users/shown.ts), the same lines whether the job ran here or in the daemon.
// - File paths sent to the daemon are absolute; an input file is read and checked here first where
//   this user may read it, so a bad list reaches no terminal and no daemon.
// - Exit codes: 0 done; 1 a target or a user failed (the summary lists each with its code);
//   64 bad arguments or input file (GW_ERR_USERS_INPUT_INVALID); 69 the family cannot, the daemon
//   holds the terminal and cannot lend it, a zk-push device with no daemon, a device busy with
//   another job of the daemon; 78 the config.
import { readFileSync } from 'node:fs';
import { resolve as pathResolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import type { AnyDriverDefinition } from '../devices/definition.js';
import type { UsersProgress } from '../devices/facets.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { readUsersFile } from '../users/backup.js';
import { readEmployeeCsv } from '../users/employeeCsv.js';
import { runUsersJob, syncFailed, type UsersJobOutcome, type UsersJobSpec } from '../users/job.js';
import { targetSummary, unreadTargetSummary } from '../users/report.js';
import type { SyncPhase } from '../users/syncTarget.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { EXIT_CONFIG } from './check.js';
import { runViaDaemon } from './usersViaDaemon.js';
import { loadUsersConfig, openUsersSession, routeOf, usersDeviceOf, type UsersDevice, type UsersRoute } from './usersWiring.js';

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

/** One progress bar at a time, per device and phase, on stderr (silent when it is not a terminal). */
function progressBars(): { phase: (deviceId: string, phase: SyncPhase) => UsersProgress; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    phase: (deviceId, phase) => {
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

interface Resolved {
  config: GatewayConfig;
  devices: UsersDevice[];
  route: UsersRoute;
}

/** The config and every device named, each checked (users side) before any is read, and where the job runs. */
async function resolve(ids: readonly string[], options: CommonOptions, drivers: readonly AnyDriverDefinition[]): Promise<Resolved> {
  const config = loadUsersConfig(options.config, drivers);
  const scope = { config, configPath: options.config, drivers };
  const devices = ids.map((id) => usersDeviceOf(scope, id));
  return { config, devices, route: await routeOf(scope, devices) };
}

/** A terminal the daemon holds and cannot lend: how to run the command without the daemon. */
function withStopAdvice(error: unknown, line: string): unknown {
  if (!(error instanceof GatewayError) || error.code !== 'GW_ERR_USERS_DAEMON_HOLDING') return error;
  return new GatewayError(error.code, `${error.message}; stop the daemon for this command: sudo systemctl stop absensi-gateway && sudo ${line}; sudo systemctl start absensi-gateway`);
}

/** Runs the job where `resolved.route` says, with progress bars; the same outcome either way. */
async function execute(spec: UsersJobSpec, resolved: Resolved, line: string): Promise<UsersJobOutcome> {
  const bars = progressBars();
  try {
    if (resolved.route.via === 'daemon') return await runViaDaemon(resolved.route.api, spec, { progress: bars.phase }).catch((error: unknown) => Promise.reject(withStopAdvice(error, line)));
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    const byId = new Map(resolved.devices.map((d) => [d.device.id, d]));
    try {
      return await runUsersJob(spec, {
        dataDir: resolved.config.gateway.dataDir,
        signal: abort.signal,
        open: (id) => openUsersSession(byId.get(id) as UsersDevice, abort.signal),
        progress: bars.phase,
        ended: bars.stop,
      });
    } finally {
      process.off('SIGINT', onSignal);
    }
  } finally {
    bars.stop();
  }
}

function exitFor(error: unknown): number | undefined {
  if (error instanceof ConfigError) return EXIT_CONFIG;
  if (!(error instanceof GatewayError)) return undefined;
  if (error.code === 'GW_ERR_USERS_INPUT_INVALID') return EXIT_USAGE;
  if (['GW_ERR_USERS_UNSUPPORTED', 'GW_ERR_USERS_DAEMON_HOLDING', 'GW_ERR_USERS_DAEMON_NEEDED', 'GW_ERR_USERS_JOB_BUSY'].includes(error.code)) return EXIT_UNAVAILABLE;
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
  const outcome = await execute({ command: 'list', device: deviceId }, await resolve([deviceId], options, drivers), options.line);
  if (outcome.command !== 'list') return;
  const { command: _command, ...listed } = outcome;
  if (options.json) {
    process.stdout.write(`${JSON.stringify(listed)}\n`);
    return;
  }
  const { users, serial } = listed;
  const rows = [['PIN', 'NAME', 'PRIVILEGE', 'CARD', 'FINGER', 'FACE', 'PALM'], ...users.map((u) => [u.pin, u.name, String(u.privilege), u.card || '-', String(u.templates.finger ?? 0), String(u.templates.face ?? 0), String(u.templates.palm ?? 0)])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const algorithms = Object.entries(listed.algorithms).map(([k, v]) => `${k} ${v}`).join(', ') || 'none reported';
  process.stdout.write(`${deviceId}${serial ? ` (serial ${serial})` : ''}: ${users.length} users; template algorithms: ${algorithms}\n`);
  process.stdout.write(rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n');
}

async function exportUsers(deviceId: string, options: CommonOptions & { out: string; templates?: boolean }, drivers: readonly AnyDriverDefinition[]): Promise<void> {
  const resolved = await resolve([deviceId], options, drivers);
  // the daemon writes the file itself, from its own working directory: the path goes absolute
  const outcome = await execute({ command: 'export', device: deviceId, templates: options.templates === true, out: absolute(options.out) }, resolved, options.line);
  if (outcome.command !== 'export') return;
  const by = resolved.route.via === 'daemon' ? ' by the running daemon (owned by its user)' : '';
  process.stdout.write(`${deviceId}: ${outcome.users} users, ${outcome.templates} templates exported to ${outcome.file}${by} (mode 0600; personal data: keep it safe, delete it when done)\n`);
}

/** A bad or missing --from file is refused before any terminal or daemon is asked; one this user may not read is left to the daemon, which may (a backup of its own). */
function checkUsersFile(file: string): void {
  try {
    readUsersFile(file);
  } catch (error) {
    if ((error as { cause?: { code?: unknown } }).cause?.code !== 'EACCES') throw error;
  }
}

const absolute = (file: string): string => pathResolve(process.cwd(), file);

/** Prints the summary of a copy or an import, and sets the exit code when anything failed. */
function printSync(verb: string, outcome: UsersJobOutcome, config: GatewayConfig): void {
  if (outcome.command !== 'copy' && outcome.command !== 'import') return;
  const lines = [`${verb} at ${outcome.at} (gateway ${config.gateway.id}): ${outcome.sourceUsers} users, ${outcome.sourceTemplates} templates in the source${outcome.dryRun ? '; dry run' : ''}`];
  for (const target of outcome.targets) {
    if (target.report) lines.push(...targetSummary(target.report, verb));
    else if (target.unread) lines.push(...unreadTargetSummary(verb, target.deviceId, target.unread.code, target.unread.message));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (syncFailed(outcome)) process.exitCode = EXIT_FAILED;
}

const writeFlags = (options: WriteOptions): { dryRun: boolean; deleteMissing: boolean; overwriteConflicts: boolean } => ({
  dryRun: options.dryRun === true,
  deleteMissing: options.deleteMissing === true,
  overwriteConflicts: options.overwriteConflicts === true,
});

function distinctTargets(targets: readonly string[], source?: string): void {
  const twice = targets.find((id, i) => targets.indexOf(id) !== i);
  if (twice) throw usage(`"${twice}" is named twice as a target`);
  if (source !== undefined && targets.includes(source)) throw usage(`"${source}" is the source; it cannot be a target too`);
}

async function copy(from: string, to: string[], options: WriteOptions & { templates?: boolean }, drivers: readonly AnyDriverDefinition[]): Promise<void> {
  distinctTargets(to, from);
  const resolved = await resolve([from, ...to], options, drivers);
  const outcome = await execute({ command: 'copy', from, to, templates: options.templates === true, ...writeFlags(options) }, resolved, options.line);
  printSync(`users copy ${from}`, outcome, resolved.config);
}

async function importUsers(ids: string[], options: WriteOptions & { csv?: string; from?: string }, drivers: readonly AnyDriverDefinition[]): Promise<void> {
  if ((options.csv === undefined) === (options.from === undefined)) throw usage('give exactly one of --csv FILE (the employee list) and --from FILE (a users/v1 backup)');
  distinctTargets(ids);
  let source: Extract<UsersJobSpec, { command: 'import' }>['source'];
  if (options.csv !== undefined) {
    // read and checked here (file:line for each bad row), so a bad list reaches no daemon either
    readEmployeeCsv(options.csv);
    source = { csv: readFileSync(options.csv, 'utf8') };
  } else {
    checkUsersFile(options.from as string);
    source = { from: absolute(options.from as string) };
  }
  const resolved = await resolve(ids, options, drivers);
  const outcome = await execute({ command: 'import', devices: ids, source, ...writeFlags(options) }, resolved, options.line);
  printSync(`users import ${options.csv ?? options.from}`, outcome, resolved.config);
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
