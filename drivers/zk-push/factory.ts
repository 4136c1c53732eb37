// The zk-push factory the registry holds: protocol, config schema, and the implementation
// imported when the first zk-push device starts (src/devices/driver.ts `lazyFactory`).
import { lazyFactory } from '../../src/devices/driver.js';
import { zkPushConfigSchema, type ZkPushConfig } from './config.js';

export const zkPushDriver = lazyFactory({
  protocol: 'zk-push',
  configSchema: zkPushConfigSchema,
  load: () => import('./driver.js'),
  make: (driver, config: ZkPushConfig, ctx) => new driver.ZkPushDriver(config, ctx),
});
