// `absensi-gateway import` for one device: which format its punch log files are read with, which
// files a path names, and the import itself (importLines.ts). The CLI (src/cli/import.ts) only
// wires the device context, draws the progress bar and prints the summary.
// Invariants:
// - The format is the explicit one, else the device's own serial-line format when its lines carry
//   a time, else zk-attlog (the USB-flashdisk export of ZK terminals, whatever their driver).
// - A format whose lines carry no time is refused before any file is read: every punch would get
//   today's date. A path holding no punch log file is refused too.
// - The device's card map (`cardMapFile`) and `unknownCard` apply as in the driver.
import type { DriverContext } from '../../src/devices/driver.js';
import { readCardMap } from './cardMap.js';
import { compileFormat, formatOf, type LineFormat } from './codec.js';
import type { SerialLineConfig } from './config.js';
import { importFilesOf, importLines, type ImportSummary } from './importLines.js';

/** Any device entry, its zone filled in (the CLI's wiring does that). */
export interface ImportDevice {
  driver: string;
  timezone: string;
}

export interface ImportFilesOptions {
  /** a file, or a directory of them */
  target: string;
  device: ImportDevice;
  ctx: Pick<DriverContext, 'emitMany' | 'signal'>;
  /** `--format`: a shipped format name or a regex */
  format?: string;
  dryRun: boolean;
  /** bytes read so far of all files, and their total */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** The LineFormat an import reads with (see the invariants above). */
export function importFormatOf(device: ImportDevice, override?: string): LineFormat {
  if (override !== undefined) return compileFormat(override);
  if (device.driver === 'serial-line') {
    const own = formatOf(device as unknown as SerialLineConfig);
    if (own.hasTime) return own;
  }
  return compileFormat('zk-attlog');
}

export async function importFiles(o: ImportFilesOptions): Promise<ImportSummary> {
  const format = importFormatOf(o.device, o.format);
  if (!format.hasTime) throw new Error(`format ${format.name} carries no date/time; importing it would stamp every punch with today`);
  const files = importFilesOf(o.target, format.name);
  if (files.length === 0) throw new Error(`no punch log files in ${o.target}`);
  const cfg = o.device as Partial<SerialLineConfig>;
  return importLines({
    files,
    format,
    ctx: o.ctx,
    zone: o.device.timezone,
    cardMap: cfg.cardMapFile ? readCardMap(cfg.cardMapFile) : undefined,
    unknownCard: cfg.unknownCard,
    dryRun: o.dryRun,
    onProgress: o.onProgress,
  });
}
