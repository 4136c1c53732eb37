// `absensi-gateway log key|verify`: the punch log seen from outside (README "Punch log").
// Invariants:
// - `log key` prints the verifier key (vkey) of <gateway.dataDir>/log-key.pem, one line on stdout.
//   The daemon creates the key on its first start. When there is none yet, `log key` creates it
//   only where the daemon could read it: run by the user owning dataDir, or by root, who hands the
//   new file to that owner (the .deb's wrapper runs the CLI as the service user anyway). Anyone
//   else is told to start the daemon first. The private key is never printed.
// - `log verify` reads only its inputs (no config, no buffer, no gateway state), through the same
//   module a central system imports (src/log/verify.ts). Punch files are JSON Lines of punch/v1
//   objects or of punch-batch/v1 bodies (whose `checkpoint` counts as a checkpoint too), or one
//   JSON array of them; they are streamed, so memory grows with distinct punches, not file size.
//   A checkpoint file holds one or more notes.
// - Exit codes: 0 all verified, 1 a problem found (the report says which), 64 bad arguments
//   (EX_USAGE: no key, a malformed vkey, an unreadable file), 69 no key to print (EX_UNAVAILABLE),
//   78 a bad config or an unusable key (EX_CONFIG).
import type { Command } from 'commander';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from '../config/load.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { logKeyName } from '../log/checkpoint.js';
import { loadOrCreateLogKey, logKeyExists, logKeyFile, readLogKey } from '../log/logKey.js';
import { NoteError, parseVerifierKey } from '../log/note.js';
import { formatRanges, UnreadablePunch, verifyLog, type LogReport } from '../log/verify.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { EXIT_CONFIG } from './check.js';

const EXIT_PROBLEM = 1;
const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;
const PUNCH_BATCH = 'punch-batch/v1';

class UsageError extends Error {}

function fail(code: string, message: string, exit: number): void {
  process.stderr.write(`${code}: ${message}\n`);
  process.exitCode = exit;
}

function printKey(options: { config: string }): void {
  let config;
  try {
    config = loadConfigFile(options.config, { drivers: BUILTIN_DRIVERS });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(error.code, error.message, EXIT_CONFIG);
  }
  const { dataDir, site, id } = config.gateway;
  const file = logKeyFile(dataDir);
  const name = logKeyName(site, id);
  try {
    if (logKeyExists(file)) {
      process.stdout.write(`${readLogKey(file, name).vkey}\n`);
      return;
    }
    const owner = ownerFor(dataDir);
    if (!owner.ok) return fail('GW_ERR_LOG_KEY_INVALID', `no key yet at ${file}: ${owner.why}`, EXIT_UNAVAILABLE);
    const key = loadOrCreateLogKey(file, name, owner.chown ? { owner: owner.chown } : {});
    if (key.created) process.stderr.write(`created ${file} (the daemon signs with it from its next start)\n`);
    process.stdout.write(`${key.vkey}\n`);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    fail(error.code, error.message, EXIT_CONFIG);
  }
}

/** Whether this process may create the key so that the daemon (the owner of dataDir) can read it. */
export function ownerFor(dataDir: string): { ok: true; chown?: { uid: number; gid: number } } | { ok: false; why: string } {
  if (!existsSync(dataDir)) return { ok: false, why: `${dataDir} does not exist; the daemon creates it and the key on its first start (systemctl start absensi-gateway)` };
  const dir = statSync(dataDir);
  const uid = process.getuid?.();
  if (uid === dir.uid) return { ok: true };
  if (uid === 0) return { ok: true, chown: { uid: dir.uid, gid: dir.gid } };
  return { ok: false, why: `the daemon creates it on its first start (systemctl start absensi-gateway), or run this as the owner of ${dataDir} or as root` };
}

interface VerifyOptions {
  key?: string;
  punches: string[];
  checkpoint: string[];
  json?: boolean;
}

/** Where each punch handed to the verifier came from: file and line, 4 bytes a punch. */
class PunchSources {
  private readonly files: { name: string; first: number }[] = [];
  private lines = new Uint32Array(1024);
  private count = 0;

  file(name: string): void {
    this.files.push({ name, first: this.count });
  }

  add(line: number): void {
    if (this.count === this.lines.length) {
      const grown = new Uint32Array(this.lines.length * 2);
      grown.set(this.lines);
      this.lines = grown;
    }
    this.lines[this.count++] = line;
  }

  describe(index: number): string {
    const file = [...this.files].reverse().find((f) => f.first <= index);
    return `${file?.name ?? '?'}:${this.lines[index] ?? '?'}`;
  }
}

/** The lines of a file, read in chunks (a punch file may hold millions). */
function* linesOf(file: string): Generator<string> {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let rest = Buffer.alloc(0);
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      let data = Buffer.concat([rest, chunk.subarray(0, read)]);
      let newline = data.indexOf(0x0a);
      while (newline >= 0) {
        yield data.subarray(0, newline).toString('utf8');
        data = data.subarray(newline + 1);
        newline = data.indexOf(0x0a);
      }
      rest = Buffer.from(data);
    }
    if (rest.length > 0) yield rest.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function firstChar(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(256);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8').trimStart().charAt(0);
  } finally {
    closeSync(fd);
  }
}

/** The punches of the files, each JSON value a punch or a punch-batch/v1 body (its checkpoint goes to `notes`). */
function* punchesOf(files: readonly string[], sources: PunchSources, notes: { source: string; note: string }[]): Generator<unknown> {
  function* value(item: unknown, at: number, where: string): Generator<unknown> {
    const batch = item as { schema?: unknown; punches?: unknown; checkpoint?: unknown } | null;
    if (batch && typeof batch === 'object' && batch.schema === PUNCH_BATCH) {
      if (typeof batch.checkpoint === 'string') notes.push({ source: where, note: batch.checkpoint });
      for (const punch of Array.isArray(batch.punches) ? batch.punches : [new UnreadablePunch('a punch-batch/v1 body without a punches list')]) {
        sources.add(at);
        yield punch;
      }
      return;
    }
    sources.add(at);
    yield item;
  }
  for (const file of files) {
    sources.file(file);
    if (firstChar(file) === '[') {
      let items: unknown;
      try {
        items = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      } catch (error) {
        sources.add(1);
        yield new UnreadablePunch(`not JSON: ${errorMessage(error)}`);
        continue;
      }
      const list = Array.isArray(items) ? (items as unknown[]) : [items];
      for (const [i, item] of list.entries()) yield* value(item, i + 1, `${file}[${i}]`);
      continue;
    }
    let line = 0;
    for (const text of linesOf(file)) {
      line += 1;
      if (text.trim() === '') continue;
      let item: unknown;
      try {
        item = JSON.parse(text) as unknown;
      } catch (error) {
        sources.add(line);
        yield new UnreadablePunch(`not JSON: ${errorMessage(error)}`);
        continue;
      }
      yield* value(item, line, `${file}:${line}`);
    }
  }
}

function readable(file: string, what: string): void {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    closeSync(openSync(file, 'r'));
  } catch (error) {
    throw new UsageError(`${what} ${file}: ${errorMessage(error)}`);
  }
}

function verifierKeyArgument(text: string | undefined): string {
  if (text === undefined) throw new UsageError('--key is required: the gateway\'s verifier key (absensi-gateway log key prints it), or a file holding it');
  try {
    return parseVerifierKey(text).vkey;
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    if (!existsSync(text)) throw new UsageError(`--key: ${error.message}`);
    const fromFile = readFileSync(text, 'utf8').trim();
    try {
      return parseVerifierKey(fromFile).vkey;
    } catch (inner) {
      throw new UsageError(`--key ${text}: ${errorMessage(inner)}`);
    }
  }
}

function verify(options: VerifyOptions): void {
  let report: LogReport;
  try {
    const key = verifierKeyArgument(options.key);
    if (options.punches.length === 0) throw new UsageError('--punches is required: a JSON Lines file of the punches received (punch/v1, or punch-batch/v1 bodies)');
    for (const file of options.punches) readable(file, '--punches');
    for (const file of options.checkpoint) readable(file, '--checkpoint');
    const sources = new PunchSources();
    const notes: { source: string; note: string }[] = options.checkpoint.map((file) => ({ source: file, note: readFileSync(file, 'utf8') }));
    // the batches' checkpoints join `notes` while the punches stream: the verifier reads all punches first
    report = verifyLog({ key, punches: punchesOf(options.punches, sources, notes), checkpoints: notes, describePunch: (index) => sources.describe(index) });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return fail('GW_ERR_LOG_VERIFY_USAGE', error.message, EXIT_USAGE);
  }
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (!report.ok) {
    process.stderr.write(`GW_ERR_LOG_VERIFY_FAILED: ${report.problems.length} problem(s)\n`);
    process.exitCode = EXIT_PROBLEM;
  }
}

export function formatReport(report: LogReport): string {
  const lines: string[] = [];
  const p = report.punches;
  lines.push(`key ${report.key.name} (key id ${report.key.keyId})`);
  lines.push(`punches: ${p.given} given, ${p.distinct} distinct, ${p.redelivered} re-delivered copies, ${p.foreign} of other gateways left out, ${p.invalid.length} unreadable`);
  const checkpointLine = (c: LogReport['checkpoints'][number]): string =>
    `  ${c.source}: ${c.status}${c.size === null ? '' : `, size ${c.size}`}${c.time ? `, ${c.time}` : ''}${c.signature === 'valid' ? '' : `, signature ${c.signature}`}${c.status === 'refused' && c.detail ? ` (${c.detail})` : ''}`;
  for (const e of report.epochs) {
    lines.push(`epoch ${e.epoch}: ${e.checkpoints} checkpoint(s), signed up to seq ${e.size}, verified up to seq ${e.verifiedSize}`);
    if (e.missing.length > 0) lines.push(`  missing: seq ${formatRanges(e.missing)}`);
    if (e.altered.length > 0) lines.push(`  altered: at least one of seq ${formatRanges(e.altered)}`);
    for (const i of e.inconsistent) lines.push(`  inconsistent: size ${i.size} (root ${i.root}): ${i.detail}`);
    for (const c of report.checkpoints) if (c.epoch === e.epoch && c.origin === e.origin && c.status !== 'refused') lines.push(checkpointLine(c));
  }
  const notCounted = report.checkpoints.filter((c) => c.status === 'refused');
  if (notCounted.length > 0) lines.push('checkpoints not counted:', ...notCounted.map(checkpointLine));
  if (report.uncovered.length > 0) lines.push(`beyond every checkpoint: seq ${formatRanges(report.uncovered)}`);
  if (report.ok) lines.push('OK: every punch is what the gateway signed, none is missing, and its checkpoints agree');
  else {
    lines.push(`FAILED: ${report.problems.length} problem(s)`);
    for (const problem of report.problems) lines.push(`  - ${problem}`);
  }
  return `${lines.join('\n')}\n`;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerLogCommand(program: Command): void {
  const log = program.command('log').description('the tamper-evident punch log: the verifier key, and checking punches against signed checkpoints');
  log
    .command('key')
    .description('print the verifier key (vkey) a centre checks this gateway\'s checkpoints with')
    .option('-c, --config <file>', 'config file (names gateway.dataDir, site and id)', DEFAULT_CONFIG_PATH)
    .action((options: { config: string }) => printKey(options));
  log
    .command('verify')
    .description('check punches received from a gateway against its signed checkpoints; exit 0 only when all hold')
    .option('--key <vkey>', 'the gateway\'s verifier key (absensi-gateway log key), or a file holding it')
    .option('--punches <file>', 'JSON Lines of punch/v1 objects or punch-batch/v1 bodies, or one JSON array (repeatable)', collect, [])
    .option('--checkpoint <file>', 'a file of one or more checkpoint notes (repeatable)', collect, [])
    .option('--json', 'print the report as JSON')
    .action((options: VerifyOptions) => verify(options));
}
