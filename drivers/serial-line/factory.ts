// The serial-line factory the registry holds: protocol, config schema, and the implementation
// imported when the first serial-line device starts (src/devices/driver.ts `lazyFactory`).
import { lazyFactory } from '../../src/devices/driver.js';
import { errorMessage } from '../../src/util/errors.js';
import { readCardMap } from './cardMap.js';
import { serialLineConfigSchema, type SerialLineConfig } from './config.js';

export const serialLineDriver = lazyFactory({
  protocol: 'serial-line',
  configSchema: serialLineConfigSchema,
  load: () => import('./driver.js'),
  make: (driver, config: SerialLineConfig, ctx) => new driver.SerialLineDriver(config, ctx),
  checkFiles(config: SerialLineConfig) {
    if (!config.cardMapFile) return [];
    try {
      readCardMap(config.cardMapFile);
      return [];
    } catch (error) {
      return [{ key: 'cardMapFile', message: errorMessage(error) }];
    }
  },
});
