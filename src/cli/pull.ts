// `absensi-gateway pull <deviceId> [--since date]`: backfill a terminal's whole log (or the part
// since a date) into the buffer, with a progress bar. What a read is depends on the family: its
// definition's `backfill` (src/devices/definition.ts), whose module loads only here.
// Invariants:
// - Punches go through ctx.emitMany like the daemon's, so ids dedupe and nothing is sent twice.
// - A backfill neither reads nor moves the driver's checkpoint, and never clears, deletes or
//   consumes anything on the terminal (the DriverDefinition.backfill contract; each driver's tests
//   check it against its simulator).
// - The device serial is reported before the first emit (punch ids depend on it).
// - A kind without `backfill` is refused by name, listing the kinds that have one.
// - A kind without `backfill` whose terminals call the gateway (zk-push) is not downloaded here:
//   the daemon queues the read for it through its local API (pullViaDaemon.ts), and the terminal
//   uploads on its next poll.
// - A failure prints `pull <id>: <GW_ERR_ code>: <message>` on stderr and exits 1. When the terminal
//   could not be reached and the running daemon reports it online, the lines after it say that the
//   daemon holds the terminal and how to pull anyway (pullViaDaemon.ts daemonHolding).
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { definitionOf, type AnyDriverDefinition } from '../devices/definition.js';
import type { BackfillProgress, BackfillResult, BaseDeviceConfig, DriverContext } from '../devices/driver.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { fullLocalTime, parseLocalTime } from '../punch/time.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { backfilledByDaemon, daemonHolding, heldByDaemonAdvice, queuePushPull } from './pullViaDaemon.js';

export type PullProgress = BackfillProgress;

export interface PullOptions {
  /** the device entry as the config loader parsed it (its driver's schema, defaults applied) */
  deviceConfig: BaseDeviceConfig;
  ctx: DriverContext;
  /** terminal-local date or date-time; records before it are skipped. Undefined: the whole log */
  since?: string;
  onProgress?: (progress: PullProgress) => void;
  /** default: ctx.signal */
  signal?: AbortSignal;
  /** default: the families this build ships */
  drivers?: readonly AnyDriverDefinition[];
}

export type PullResult = BackfillResult;

/** The device kinds `pull` reads itself, for messages: `zk-tcp, zk-soap and …`. */
export function backfillKinds(drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): string {
  const kinds = drivers.filter((d) => d.backfill).map((d) => d.protocol);
  return kinds.length <= 1 ? (kinds[0] ?? 'no') : `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)}`;
}

/** Reads the terminal's log once, through its driver's backfill, and commits every record at or after `since`. */
export async function pullDevice(o: PullOptions): Promise<PullResult> {
  const drivers = o.drivers ?? BUILTIN_DRIVERS;
  const definition = definitionOf(drivers, o.deviceConfig.driver);
  if (!definition?.backfill) {
    const push = drivers.filter(backfilledByDaemon).map((d) => d.protocol);
    const viaDaemon = push.length > 0 ? ` (${push.join(', ')}: through the running daemon)` : '';
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `pull reads ${backfillKinds(drivers)} devices${viaDaemon}; "${o.deviceConfig.id}" uses ${o.deviceConfig.driver}`);
  }
  return definition.backfill(o.deviceConfig, o.ctx, { since: o.since, onProgress: o.onProgress, signal: o.signal ?? o.ctx.signal });
}

/** A cli-progress bar for pullDevice's onProgress (bytes while downloading, records while committing). */
export function progressBar(stream: NodeJS.WritableStream = process.stderr): { onProgress: (p: PullProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    { format: '{phase} [{bar}] {percentage}% | {value}/{total} {unit}', stream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let phase: PullProgress['phase'] | undefined;
  return {
    onProgress: (p) => {
      const unit = p.phase === 'download' ? 'bytes' : 'records';
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        bar.start(p.total, p.done, { phase: p.phase.padEnd(8), unit });
      } else {
        if (p.total !== bar.getTotal()) bar.setTotal(p.total);
        bar.update(p.done, { unit });
      }
    },
    stop: () => {
      if (phase) bar.stop();
    },
  };
}

/** What `pull` needs from the core: the device entry and a DriverContext on the real buffer. */
export interface PullWiring {
  open(deviceId: string, configPath: string): Promise<{ deviceConfig: BaseDeviceConfig; ctx: DriverContext; close(): Promise<void> }>;
}

const SINCE_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

export function registerPullCommand(program: Command, wiring?: PullWiring, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): void {
  const viaDaemon = drivers.filter(backfilledByDaemon).map((d) => d.protocol);
  program
    .command('pull')
    .description(`backfill a terminal (${backfillKinds(drivers)}): read its log once and commit every record (or those since a date)${viaDaemon.length > 0 ? `; for a ${viaDaemon.join(' or ')} terminal, ask the running daemon to queue the query` : ''}`)
    .argument('<deviceId>', 'device id from the config')
    .option('-c, --config <file>', 'config file', '/etc/absensi-gateway/config.yaml')
    .option('--since <date>', 'terminal-local date or date-time, e.g. 2026-01-01')
    .action(async (deviceId: string, options: { config: string; since?: string }) => {
      if (options.since !== undefined && (!SINCE_PATTERN.test(options.since) || !parseLocalTime(fullLocalTime(options.since)))) {
        process.stderr.write(`pull: --since: expected 2026-01-01 or 2026-01-01T07:00:00, got "${options.since}"\n`);
        process.exitCode = 64;
        return;
      }
      // a terminal that calls the gateway (zk-push): the running daemon queues the query for it
      const queued = await queuePushPull(deviceId, options.config, { since: options.since, drivers });
      if (queued) {
        (queued.ok ? process.stdout : process.stderr).write(`${queued.message}\n`);
        if (!queued.ok) process.exitCode = 69; // EX_UNAVAILABLE
        return;
      }
      if (!wiring) {
        process.stderr.write('pull: not wired to the config loader and buffer in this build\n');
        process.exitCode = 70;
        return;
      }
      const { deviceConfig, ctx, close } = await wiring.open(deviceId, options.config);
      const bar = progressBar();
      try {
        const r = await pullDevice({ deviceConfig, ctx, since: options.since, onProgress: bar.onProgress, drivers });
        bar.stop();
        process.stdout.write(`${deviceId} (${r.serial ?? 'no serial'}): ${r.records} records read, ${r.inserted} new, ${r.duplicates} already buffered, ${r.skipped} before --since, ${r.rejected} rejected${r.ignored === undefined ? '' : `, ${r.ignored} not punches`}\n`);
      } catch (error) {
        bar.stop();
        const code = error instanceof GatewayError ? `${error.code}: ` : '';
        process.stderr.write(`pull ${deviceId}: ${code}${errorMessage(error)}\n`);
        // the terminal turned us away: most often because the running daemon is connected to it
        const turnedAway = error instanceof GatewayError && (error.code === 'GW_ERR_DEVICE_UNREACHABLE' || error.code === 'GW_ERR_DEVICE_TIMEOUT');
        const holding = turnedAway ? await daemonHolding(deviceId, options.config, drivers) : undefined;
        if (holding) process.stderr.write(`${heldByDaemonAdvice(deviceId, holding, options.since)}\n`);
        process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
