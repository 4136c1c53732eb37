// `absensi-gateway import` (DriverDefinition.logImport): punch log files read with this family's line
// codec, for a device of any kind: USB-flashdisk `*_attlog.dat` exports of ZK terminals, saved
// serial-line logs.
// Invariants:
// - The format is the request's, else the device's own serial-line format when its lines carry a
//   time, else zk-attlog. A format whose lines carry no time is refused: every punch would get
//   today's date.
// - A serial-line device's card map and unknownCard apply as they do to its live lines.
import type { BaseDeviceConfig } from '../../src/devices/driver.js';
import type { LogImporter } from '../../src/devices/facets.js';
import { readCardMap } from './cardMap.js';
import { compileFormat, formatOf, type LineFormat } from './codec.js';
import type { SerialLineConfig } from './config.js';
import { importFilesOf, importLines } from './importLines.js';

/** The LineFormat an import reads with (see the invariants above). */
export function importFormatOf(device: BaseDeviceConfig, override?: string): LineFormat {
  if (override !== undefined) return compileFormat(override);
  if (device.driver === 'serial-line') {
    const own = formatOf(device as SerialLineConfig);
    if (own.hasTime) return own;
  }
  return compileFormat('zk-attlog');
}

export const serialLineLogImport: LogImporter = {
  async importPath({ path, device, ctx, format: override, dryRun, onProgress }) {
    const format = importFormatOf(device, override);
    if (!format.hasTime) throw new Error(`format ${format.name} carries no date/time; importing it would stamp every punch with today`);
    const files = importFilesOf(path, format.name);
    if (files.length === 0) throw new Error(`no punch log files in ${path}`);
    const cfg = device as Partial<SerialLineConfig>;
    return importLines({
      files,
      format,
      ctx,
      zone: device.timezone,
      cardMap: cfg.cardMapFile ? readCardMap(cfg.cardMapFile) : undefined,
      unknownCard: cfg.unknownCard,
      dryRun,
      onProgress,
    });
  },
};
