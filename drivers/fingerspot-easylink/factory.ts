// The fingerspot-easylink factory the registry holds: protocol, config schema, and the implementation
// imported when the first fingerspot-easylink device starts (src/devices/driver.ts `lazyFactory`); `pull`
// imports backfill.ts alone.
import { lazyFactory } from '../../src/devices/driver.js';
import { fingerspotConfigSchema, type FingerspotConfig } from './config.js';

export const fingerspotEasyLinkDriver = lazyFactory({
  protocol: 'fingerspot-easylink',
  configSchema: fingerspotConfigSchema,
  load: () => import('./driver.js'),
  make: (driver, config: FingerspotConfig, ctx) => new driver.FingerspotEasyLinkDriver(config, ctx),
  backfill: async (config: FingerspotConfig, ctx, options) => (await import('./backfill.js')).backfillFingerspot(config, ctx, options),
});
