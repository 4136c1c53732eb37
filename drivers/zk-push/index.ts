// zk-push: ZKTeco PUSH / ADMS ("iclock") terminals that call the gateway. See README.md.

export { zkPushConfigSchema, type ZkPushConfig } from './config.js';
export { ZkPushDriver, STAMPS_KEY } from './driver.js';
export { zkPushDriver } from './definition.js';
