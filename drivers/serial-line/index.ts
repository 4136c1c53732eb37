// serial-line: readers and time clocks that send one text line per punch over a serial port, and
// import-only terminals whose USB-flashdisk exports are imported (src/cli/import.ts). See README.md.
import type { DriverFactory } from '../../src/devices/driver.js';
import { errorMessage } from '../../src/util/errors.js';
import { readCardMap } from './cardMap.js';
import { serialLineConfigSchema, type SerialLineConfig } from './config.js';
import { SerialLineDriver } from './driver.js';

export const serialLineDriver: DriverFactory<SerialLineConfig> = {
  protocol: 'serial-line',
  configSchema: serialLineConfigSchema,
  create: (config, ctx) => new SerialLineDriver(config, ctx),
  checkFiles(config) {
    if (!config.cardMapFile) return [];
    try {
      readCardMap(config.cardMapFile);
      return [];
    } catch (error) {
      return [{ key: 'cardMapFile', message: errorMessage(error) }];
    }
  },
};

export { serialLineConfigSchema, type SerialLineConfig } from './config.js';
export { SerialLineDriver, DEFAULT_SERIAL_TUNING, formatOf, type SerialLineTuning, type PortOptions } from './driver.js';
export { compileFormat, decodeLine, splitLines, type LineFormat } from './codec.js';
export { SERIAL_FORMATS, shippedFormat } from './tables.js';
