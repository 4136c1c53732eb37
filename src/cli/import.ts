// `absensi-gateway import <file|dir> --device <id> [--format F] [--dry-run]`: punch logs carried on a
// USB flashdisk (ZK `*_attlog.dat` exports) or saved serial-line logs → the buffer, as the device's
// punches, with a progress bar and a summary.
// The files are read by the family whose definition offers `logImport` (serial-line's line codec,
// drivers/serial-line/logImport.ts), loaded only here.
// Invariants:
// - Punches go through the device's DriverContext (normalize → commit), so ids dedupe: a second
//   import of the same file prints "0 new, N already known".
// - The format is --format, else the device's own serial-line format when its lines carry a time,
//   else zk-attlog. A format whose lines carry no time is refused: every punch would get today's date.
// - Rejected lines are listed with file and line number; they never stop the import. Exit 0 when
//   the import ran (even with rejections), 64 for bad arguments, 1 when it could not run.
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';
import type { AnyDriverDefinition } from '../devices/definition.js';
import type { ImportSummary } from '../devices/facets.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { errorMessage } from '../util/errors.js';
import { openDeviceContext } from './pullWiring.js';

interface ImportCliOptions {
  device: string;
  config: string;
  format?: string;
  dryRun?: boolean;
  json?: boolean;
}

function progressBar(): { update: (done: number, total: number) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar({ format: 'import [{bar}] {percentage}% | {value}/{total} bytes', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update: (done, total) => {
      if (!started) bar.start(total, done);
      else bar.update(done);
      started = true;
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

export function formatSummary(s: ImportSummary, dryRun: boolean): string {
  const out: string[] = [];
  const files = s.files.length === 1 ? (s.files[0] as string) : `${s.files.length} files`;
  if (dryRun) {
    out.push(`${files}: ${s.lines} lines, ${s.punches} punches would be imported, ${s.rejectedCount} rejected (dry run: nothing committed)`);
    for (const p of s.samples) out.push(`  ${p.localTime}  ${p.pin}  ${p.state}  ${p.verify}`);
  } else {
    out.push(`${files}: ${s.lines} lines, ${s.inserted} new, ${s.duplicates} already known, ${s.quarantined} quarantined, ${s.rejectedCount} rejected`);
  }
  for (const r of s.rejected) out.push(`  rejected ${r.file}:${r.line} ${r.reason}: ${r.detail}`);
  if (s.rejectedCount > s.rejected.length) out.push(`  … and ${s.rejectedCount - s.rejected.length} more rejected lines`);
  return `${out.join('\n')}\n`;
}

async function runImport(target: string, options: ImportCliOptions, drivers: readonly AnyDriverDefinition[]): Promise<void> {
  const facet = drivers.find((d) => d.logImport)?.logImport;
  if (!facet) throw new Error('no family of this build reads punch log files');
  const importer = await facet.load();
  const wiring = openDeviceContext(options.device, options.config, 'import');
  const bar = progressBar();
  try {
    const summary = await importer.importPath({
      path: target,
      device: wiring.device,
      ctx: wiring.ctx,
      ...(options.format !== undefined ? { format: options.format } : {}),
      dryRun: options.dryRun === true,
      onProgress: bar.update,
    });
    bar.stop();
    process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary, options.dryRun === true));
  } finally {
    bar.stop();
    await wiring.close();
  }
}

export function registerImportCommand(program: Command, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): void {
  program
    .command('import')
    .description('import punch log files (USB-flashdisk *_attlog.dat exports, serial-line logs) as a device\'s punches')
    .argument('<path>', 'a file, or a directory of them')
    .requiredOption('-d, --device <id>', 'device id from the config whose punches these are')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .option('-f, --format <format>', 'line format: zk-attlog, a shipped serial-line format or a regex (default: the device\'s, else zk-attlog)')
    .option('--dry-run', 'decode and count, commit nothing')
    .option('--json', 'print the summary as JSON')
    .action(async (target: string, options: ImportCliOptions) => {
      try {
        await runImport(target, options, drivers);
      } catch (error) {
        process.stderr.write(`import ${target}: ${errorMessage(error)}\n`);
        process.exitCode = 1;
      }
    });
}
