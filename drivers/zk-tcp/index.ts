// zk-tcp: ZKTeco standalone SDK terminals (port 4370, TCP and UDP). See README.md.

export { zkTcpConfigSchema, type ZkTcpConfig } from './config.js';
export { ZkTcpDriver, DEFAULT_TUNING, type ZkDriverTuning } from './driver.js';
export { ZkClient, type ZkClientOptions } from './client.js';
export { zkTcpDriver } from './definition.js';
