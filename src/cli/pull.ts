// `absensi-gateway pull <deviceId> [--since date]`: backfill a zk-tcp terminal's whole log (or the
// part since a date) into the buffer, with a progress bar.
// Invariants:
// - Punches go through ctx.emitMany like the daemon's, so ids dedupe and nothing is sent twice.
// - A backfill neither reads nor moves the driver's checkpoint, and never clears the terminal log.
// - The device serial is reported before the first emit (punch ids depend on it).
// - A zk-push device is not downloaded here: the daemon queues `DATA QUERY ATTLOG` for it through
//   its local API (src/push/pullViaDaemon.ts), and the terminal uploads on its next poll.
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ZkClient } from '../../drivers/zk-tcp/client.js';
import type { ZkTcpConfig } from '../../drivers/zk-tcp/config.js';
import { identify } from '../../drivers/zk-tcp/device.js';
import { syncAttendance, type SyncResult } from '../../drivers/zk-tcp/sync.js';
import type { DriverContext } from '../devices/driver.js';
import { queuePushPull } from '../push/pullViaDaemon.js';
import { errorMessage } from '../util/errors.js';

export interface PullProgress {
  phase: 'download' | 'commit';
  done: number;
  total: number;
}

export interface PullOptions {
  deviceConfig: ZkTcpConfig;
  ctx: DriverContext;
  /** terminal-local date or date-time; records before it are skipped. Undefined: the whole log */
  since?: string;
  onProgress?: (progress: PullProgress) => void;
}

export interface PullResult extends SyncResult {
  serial?: string;
}

/** Downloads the terminal's log once and commits every record at or after `since`. */
export async function pullDevice(o: PullOptions): Promise<PullResult> {
  const cfg = o.deviceConfig;
  const client = new ZkClient({ host: cfg.host, port: cfg.port, transport: cfg.transport, commKey: cfg.commKey, timeoutMs: cfg.timeout, log: o.ctx.log });
  await client.connect(o.ctx.signal);
  try {
    const facts = await identify(client);
    const serial = facts.serial ?? cfg.serial;
    o.ctx.status.update({ serial, model: facts.model, firmware: facts.firmware, platform: facts.platform, online: true });
    const result = await syncAttendance({
      client, ctx: o.ctx, cfg: { ...cfg, clearAfterDownload: false }, serial, quirks: facts.known.quirks, since: o.since ?? '',
      signal: o.ctx.signal,
      onDownload: (done, total) => o.onProgress?.({ phase: 'download', done, total }),
      onEmit: (done, total) => o.onProgress?.({ phase: 'commit', done, total }),
    });
    return { ...result, serial };
  } finally {
    await client.close();
  }
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
      } else bar.update(p.done, { unit });
    },
    stop: () => {
      if (phase) bar.stop();
    },
  };
}

/** What `pull` needs from the core: the device entry and a DriverContext on the real buffer. */
export interface PullWiring {
  open(deviceId: string, configPath: string): Promise<{ deviceConfig: ZkTcpConfig; ctx: DriverContext; close(): Promise<void> }>;
}

const SINCE_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

export function registerPullCommand(program: Command, wiring?: PullWiring): void {
  program
    .command('pull')
    .description('backfill a zk-tcp terminal: download its log and commit every record (or those since a date); for a zk-push terminal, ask the running daemon to queue the query')
    .argument('<deviceId>', 'device id from the config')
    .option('-c, --config <file>', 'config file', '/etc/absensi-gateway/config.yaml')
    .option('--since <date>', 'terminal-local date or date-time, e.g. 2026-01-01')
    .action(async (deviceId: string, options: { config: string; since?: string }) => {
      if (options.since !== undefined && !SINCE_PATTERN.test(options.since)) {
        process.stderr.write(`pull: --since: expected 2026-01-01 or 2026-01-01T07:00:00, got "${options.since}"\n`);
        process.exitCode = 64;
        return;
      }
      // a push terminal (zk-push) calls the gateway: the running daemon queues the query for it
      const queued = await queuePushPull(deviceId, options.config, options.since);
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
        const r = await pullDevice({ deviceConfig, ctx, since: options.since, onProgress: bar.onProgress });
        bar.stop();
        process.stdout.write(`${deviceId} (${r.serial ?? 'no serial'}): ${r.records} records read, ${r.inserted} new, ${r.duplicates} already buffered, ${r.skipped} before --since, ${r.rejected} rejected\n`);
      } catch (error) {
        bar.stop();
        process.stderr.write(`pull ${deviceId}: ${errorMessage(error)}\n`);
        process.exitCode = 1;
      } finally {
        await close();
      }
    });
}
