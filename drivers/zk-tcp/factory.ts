// The zk-tcp factory the registry holds: protocol, config schema, and the implementation
// imported when the first zk-tcp device starts (src/devices/driver.ts `lazyFactory`); `pull`
// imports backfill.ts alone.
import { lazyFactory } from '../../src/devices/driver.js';
import { zkTcpConfigSchema, type ZkTcpConfig } from './config.js';

export const zkTcpDriver = lazyFactory({
  protocol: 'zk-tcp',
  configSchema: zkTcpConfigSchema,
  load: () => import('./driver.js'),
  make: (driver, config: ZkTcpConfig, ctx) => new driver.ZkTcpDriver(config, ctx),
  backfill: async (config: ZkTcpConfig, ctx, options) => (await import('./backfill.js')).backfillZkTcp(config, ctx, options),
});
