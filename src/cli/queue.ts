// `absensi-gateway queue stats|list|dead-letters|replay|purge|quarantine`: the buffer seen by an
// operator, safely while the daemon runs.
// Invariants:
// - A second SQLite connection with a busy timeout; read-only for everything but replay and
//   purge, which are one short IMMEDIATE transaction each (src/buffer/queries.ts). The daemon's
//   dispatcher polls the replay queue at least every 2 s, so a replay needs no signal.
// - The file is never created or migrated from here.
// - `--json` prints data only (one JSON document on stdout); the default is an aligned table.
// - Exit codes: 0 ok, 64 bad arguments (EX_USAGE), 69 buffer unusable (EX_UNAVAILABLE),
//   78 bad config (EX_CONFIG).
import type { Command } from 'commander';
import { z } from 'zod';
import { TIME_PARAM } from '../api/schemas.js';
import { utcBound } from '../api/timeBounds.js';
import type { SqliteDatabase } from '../buffer/database.js';
import * as q from '../buffer/queries.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from '../config/load.js';
import { localApiUrl } from './localApi.js';
import { bufferFileOf, sinkNamesOf } from '../config/schema.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { GatewayError } from '../util/errors.js';
import { EXIT_CONFIG } from './check.js';

const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;

interface CommonOptions {
  config?: string;
  buffer?: string;
  json?: boolean;
  sink?: string;
}

interface Target {
  db: SqliteDatabase;
  file: string;
  sinks: string[];
  zone: string;
  /** the daemon's local API (config api.listen); undefined without a config */
  apiUrl?: string;
}

class UsageError extends Error {}

const PUNCH_ID = /^[0-9a-f]{32}$/;

function openTarget(options: CommonOptions, write = false): Target {
  const configFile = options.config ?? (options.buffer ? undefined : DEFAULT_CONFIG_PATH);
  const config = configFile ? loadConfigFile(configFile, { drivers: BUILTIN_DRIVERS }) : undefined;
  const file = options.buffer ?? (config ? bufferFileOf(config) : 'buffer.db');
  const db = q.openBufferFile(file, { write });
  const configured = config ? sinkNamesOf(config) : [];
  const known = q.knownSinks(db);
  const all = configured.length > 0 ? configured.filter((s) => known.includes(s)) : known;
  if (options.sink !== undefined && !all.includes(options.sink)) {
    db.close();
    throw new UsageError(`unknown sink "${options.sink}"; this buffer has: ${all.join(', ') || 'none'}`);
  }
  return { db, file, sinks: options.sink ? [options.sink] : all, zone: config?.gateway.timezone ?? 'Asia/Jakarta', ...(config ? { apiUrl: localApiUrl(config) } : {}) };
}

/** Left-aligned columns, two spaces apart; cells are single-line. */
export function formatTable(headers: string[], rows: (string | number | null)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '-' : String(c).replace(/\s+/g, ' '))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')).join('\n')}\n`;
}

function ageSec(iso: string | null, nowMs = Date.now()): string | null {
  if (!iso) return null;
  const sec = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  return sec < 120 ? `${sec}s` : sec < 7200 ? `${Math.round(sec / 60)}m` : sec < 172_800 ? `${Math.round(sec / 3600)}h` : `${Math.round(sec / 86_400)}d`;
}

function stateText(s: q.SinkState): string {
  if (s.state === 'acked') return `acked${s.ackedAt ? ` ${s.ackedAt}` : ''}`;
  if (s.state === 'dead-lettered') return `dead-lettered (${s.reason.slice(0, 60)})`;
  if (s.state === 'purged') return `purged ${s.at} (${s.reason.slice(0, 60)})`;
  return s.state;
}

function print(json: boolean | undefined, data: unknown, table: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : table());
}

function limitOf(text: string | undefined, fallback: number, max: number): number {
  const parsed = z.coerce.number().int().min(1).max(max).default(fallback).safeParse(text);
  if (!parsed.success) throw new UsageError(`--limit: expected a whole number from 1 to ${max}, got "${text}"`);
  return parsed.data;
}

function selectorOf(options: CommonOptions & { ids?: string; all?: boolean }): q.DeadLetterSelector {
  const ids = options.ids?.split(',').map((s) => s.trim()).filter(Boolean);
  if ((ids !== undefined) === (options.all === true)) throw new UsageError('give either --ids <punch ids, comma-separated> or --all');
  const bad = (ids ?? []).filter((id) => !PUNCH_ID.test(id));
  if (bad.length > 0) throw new UsageError(`--ids: not a punch id (32 lowercase hex characters): ${bad.join(', ')}`);
  return { sink: options.sink, ids, all: options.all };
}

function bound(text: string | undefined, zone: string, edge: 'since' | 'until'): string | undefined {
  if (text === undefined) return undefined;
  const utc = TIME_PARAM.test(text) ? utcBound(text, zone, edge) : undefined;
  if (!utc) throw new UsageError(`--${edge}: expected a date (2026-01-19), a local time (2026-01-19T07:30) or an instant (2026-01-19T00:30:00Z), got "${text}"`);
  return utc;
}

function stats(t: Target, o: CommonOptions): void {
  const s = q.queueStats(t.db, { sinks: t.sinks, file: t.file });
  print(o.json, s, () => {
    const head = `${t.file}: ${s.punches} punches (head seq ${s.headSeq}), ${s.quarantined} quarantined, ${(s.fileBytes / 1_048_576).toFixed(1)} MiB\n`;
    const rows = s.sinks.map((k) => [k.sink, k.ackedSeq, k.pending, k.oldestPendingAt, ageSec(k.oldestPendingAt), k.deadLetters, k.replayQueued]);
    return head + formatTable(['SINK', 'ACKED SEQ', 'PENDING', 'OLDEST UNSENT', 'AGE', 'DEAD LETTERS', 'REPLAY QUEUED'], rows);
  });
}

type ListOptions = CommonOptions & { pin?: string; device?: string; since?: string; until?: string; limit?: string; unsent?: boolean };

function list(t: Target, o: ListOptions): void {
  const limit = limitOf(o.limit, 50, 10_000);
  const found = o.unsent
    ? q.listUnsent(t.db, { sinks: t.sinks, limit })
    : q.searchPunches(t.db, { pin: o.pin, device: o.device, sinceUtc: bound(o.since, t.zone, 'since'), untilUtc: bound(o.until, t.zone, 'until'), limit }, { sinks: t.sinks });
  print(o.json, found.map((p) => ({ ...p.punch, sinks: p.sinks })), () => {
    const rows = found.map((p) => {
      const punch = p.punch as unknown as { seq: number; id: string; time: string; pin: string; device: { id: string }; state: string };
      return [punch.seq, punch.time, punch.pin, punch.device.id, punch.state, punch.id, ...t.sinks.map((s) => stateText(p.sinks[s] as q.SinkState))];
    });
    return formatTable(['SEQ', 'TIME', 'PIN', 'DEVICE', 'STATE', 'ID', ...t.sinks.map((s) => s.toUpperCase())], rows);
  });
}

function deadLetters(t: Target, o: CommonOptions & { limit?: string }): void {
  const rows = q.listDeadLetters(t.db, { sink: o.sink, limit: limitOf(o.limit, 100, 100_000) });
  print(o.json, rows, () => formatTable(['SINK', 'SEQ', 'PUNCH ID', 'PIN', 'DEVICE', 'UTC', 'AT', 'ATTEMPTS', 'REASON'], rows.map((d) => [d.sink, d.seq, d.punchId, d.pin, d.device, d.utc, d.at, d.attempts, d.reason.slice(0, 120)])));
}

/** Whether a gateway answers on its local API (GET /healthz needs no token): it runs, and sends what is queued. */
async function gatewayAnswers(apiUrl: string | undefined): Promise<boolean> {
  if (apiUrl === undefined) return false;
  try {
    const res = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** What happens to replayed punches: sent by the running gateway, or waiting for one to run. */
function replayNote(running: boolean, t: Target): string {
  if (running) return 'queued for replay (the running gateway sends them within a few seconds)';
  const where = t.apiUrl ? `no gateway answers at ${t.apiUrl}` : 'no config names a gateway for this buffer';
  return `queued for replay; ${where}, so they are sent once the gateway runs on ${t.file} (sudo systemctl start absensi-gateway)`;
}

async function change(t: Target, o: CommonOptions & { ids?: string; all?: boolean }, action: 'replay' | 'purge'): Promise<void> {
  const selector = selectorOf(o);
  const result = action === 'replay' ? q.replayDeadLetters(t.db, selector) : q.purgeDeadLetters(t.db, selector);
  const running = action === 'replay' && !o.json ? await gatewayAnswers(t.apiUrl) : false;
  print(o.json, { action, count: result.rows.length, ...result }, () => {
    const verb = action === 'replay' ? replayNote(running, t) : 'purged';
    const missing = result.notFound.length > 0 ? `not dead-lettered${o.sink ? ` for ${o.sink}` : ''}: ${result.notFound.join(', ')}\n` : '';
    return `${result.rows.length} dead letter(s) ${verb}\n${missing}`;
  });
}

function quarantine(t: Target, o: CommonOptions & { device?: string; limit?: string }): void {
  const rows = q.listQuarantine(t.db, { device: o.device, limit: limitOf(o.limit, 100, 100_000) });
  print(o.json, rows, () => formatTable(['RECEIVED AT', 'DEVICE', 'PUNCH ID', 'REASON'], rows.map((r) => [r.receivedAt, r.device, r.punchId, r.reason])));
}

function run<O extends CommonOptions>(action: (t: Target, o: O) => void | Promise<void>, write = false) {
  return async (options: O): Promise<void> => {
    let target: Target | undefined;
    try {
      target = openTarget(options, write);
      await action(target, options);
    } catch (error) {
      const [code, exit] =
        error instanceof ConfigError ? [error.code, EXIT_CONFIG] : error instanceof UsageError ? ['GW_ERR_API_BAD_REQUEST', EXIT_USAGE] : error instanceof GatewayError ? [error.code, EXIT_UNAVAILABLE] : [undefined, 1];
      if (code === undefined) throw error;
      process.stderr.write(`${code}: ${(error as Error).message}\n`);
      process.exitCode = exit;
    } finally {
      target?.db.close();
    }
  };
}

function common(command: Command): Command {
  return command
    .option('-c, --config <file>', `config file (default ${DEFAULT_CONFIG_PATH}); names the buffer and the sinks`)
    .option('--buffer <file>', 'buffer file to read instead of the one the config names')
    .option('--sink <sink>', 'only this sink (mqtt, https)')
    .option('--json', 'print data as JSON');
}

export function registerQueueCommand(program: Command): void {
  const queue = program.command('queue').description('inspect the buffer; replay or purge dead letters (safe while the daemon runs)');
  common(queue.command('stats').description('backlog, oldest unsent punch and dead letters per sink')).action(run(stats));
  common(queue.command('list').description('punches with their state per sink, newest first (or --unsent: oldest unsent first)'))
    .option('--pin <pin>', 'user id as the device stores it')
    .option('--device <id>', 'device id')
    .option('--since <time>', 'from (a date, a local time, or an instant)')
    .option('--until <time>', 'until, exclusive (a date includes that whole day)')
    .option('--unsent', 'only punches some sink has not acked yet')
    .option('--limit <n>', 'at most this many (default 50)')
    .action(run(list));
  common(queue.command('dead-letters').description('punches a sink refused for good')).option('--limit <n>', 'at most this many (default 100)').action(run(deadLetters));
  common(queue.command('replay').description('send dead letters again'))
    .option('--ids <ids>', 'punch ids, comma-separated')
    .option('--all', 'every dead letter (of --sink, if given)')
    .action(run((t, o: CommonOptions & { ids?: string; all?: boolean }) => change(t, o, 'replay'), true));
  common(queue.command('purge').description('delete dead letters (the punches stay until retention)'))
    .option('--ids <ids>', 'punch ids, comma-separated')
    .option('--all', 'every dead letter (of --sink, if given)')
    .action(run((t, o: CommonOptions & { ids?: string; all?: boolean }) => change(t, o, 'purge'), true));
  common(queue.command('quarantine').description('punches kept out of the stream (impossible time, PIN outside the rule, over 4 KiB, invalid fields)'))
    .option('--device <id>', 'device id')
    .option('--limit <n>', 'at most this many (default 100)')
    .action(run(quarantine));
}
