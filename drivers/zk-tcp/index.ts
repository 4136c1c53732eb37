// zk-tcp: ZKTeco standalone SDK terminals (port 4370, TCP and UDP). See README.md.
import type { DriverFactory } from '../../src/devices/driver.js';
import { zkTcpConfigSchema, type ZkTcpConfig } from './config.js';
import { ZkTcpDriver } from './driver.js';

export const zkTcpDriver: DriverFactory<ZkTcpConfig> = {
  protocol: 'zk-tcp',
  configSchema: zkTcpConfigSchema,
  create: (config, ctx) => new ZkTcpDriver(config, ctx),
};

export { zkTcpConfigSchema, type ZkTcpConfig } from './config.js';
export { ZkTcpDriver, DEFAULT_TUNING, type ZkDriverTuning } from './driver.js';
export { ZkClient, type ZkClientOptions } from './client.js';
export { isHostClockTrusted } from './clock.js';
