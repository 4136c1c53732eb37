// zk-push: ZKTeco PUSH / ADMS ("iclock") terminals that call the gateway. See README.md.
import type { DriverFactory } from '../../src/devices/driver.js';
import { zkPushConfigSchema, type ZkPushConfig } from './config.js';
import { ZkPushDriver } from './driver.js';

export const zkPushDriver: DriverFactory<ZkPushConfig> = {
  protocol: 'zk-push',
  configSchema: zkPushConfigSchema,
  create: (config, ctx) => new ZkPushDriver(config, ctx),
};

export { zkPushConfigSchema, type ZkPushConfig } from './config.js';
export { ZkPushDriver, STAMPS_KEY } from './driver.js';
