// The zk-soap factory the registry holds: protocol, config schema, and the implementation
// imported when the first zk-soap device starts (src/devices/driver.ts `lazyFactory`); `pull`
// imports backfill.ts alone.
import { lazyFactory } from '../../src/devices/driver.js';
import { zkSoapConfigSchema, type ZkSoapConfig } from './config.js';

export const zkSoapDriver = lazyFactory({
  protocol: 'zk-soap',
  configSchema: zkSoapConfigSchema,
  load: () => import('./driver.js'),
  make: (driver, config: ZkSoapConfig, ctx) => new driver.ZkSoapDriver(config, ctx),
  backfill: async (config: ZkSoapConfig, ctx, options) => (await import('./backfill.js')).backfillZkSoap(config, ctx, options),
});
