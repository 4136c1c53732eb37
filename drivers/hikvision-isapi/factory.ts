// The hikvision-isapi factory the registry holds: protocol, config schema, and the implementation
// imported when the first hikvision-isapi device starts (src/devices/driver.ts `lazyFactory`); `pull`
// imports backfill.ts alone.
import { lazyFactory } from '../../src/devices/driver.js';
import { hikvisionConfigSchema, type HikvisionConfig } from './config.js';

export const hikvisionIsapiDriver = lazyFactory({
  protocol: 'hikvision-isapi',
  configSchema: hikvisionConfigSchema,
  load: () => import('./driver.js'),
  make: (driver, config: HikvisionConfig, ctx) => new driver.HikvisionDriver(config, ctx),
  backfill: async (config: HikvisionConfig, ctx, options) => (await import('./backfill.js')).backfillHikvision(config, ctx, options),
});
