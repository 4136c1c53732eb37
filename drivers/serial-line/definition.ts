// The serial-line family as the gateway knows it (src/devices/definition.ts): protocol, config
// schema, the card map `check` reads, driver.ts imported when the first serial-line device starts,
// and logImport.ts when `import` runs: its line codec reads punch log files for a device of any
// kind. No backfill: a serial line has no log to read (flashdisk exports go through `import`).
import { defineDriver } from '../../src/devices/definition.js';
import { errorMessage } from '../../src/util/errors.js';
import { readCardMap } from './cardMap.js';
import { serialLineConfigSchema, type SerialLineConfig } from './config.js';

export const serialLineDriver = defineDriver<SerialLineConfig>({
  protocol: 'serial-line',
  configSchema: serialLineConfigSchema,
  driver: async () => (await import('./driver.js')).SerialLineDriver,
  checkFiles(config) {
    if (!config.cardMapFile) return [];
    try {
      readCardMap(config.cardMapFile);
      return [];
    } catch (error) {
      return [{ key: 'cardMapFile', message: errorMessage(error) }];
    }
  },
  logImport: { load: async () => (await import('./logImport.js')).serialLineLogImport },
  users: { unsupported: 'a serial-line reader sends the card or PIN it read and holds no user table to read or write; cards map to PINs in cardMapFile' },
});
