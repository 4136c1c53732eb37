// fingerspot-easylink: Fingerspot terminals behind the EasyLink SDK bridge (FService.exe). See README.md.
import type { DriverFactory } from '../../src/devices/driver.js';
import { fingerspotConfigSchema, type FingerspotConfig } from './config.js';
import { FingerspotEasyLinkDriver } from './driver.js';

export const fingerspotEasyLinkDriver: DriverFactory<FingerspotConfig> = {
  protocol: 'fingerspot-easylink',
  configSchema: fingerspotConfigSchema,
  create: (config, ctx) => new FingerspotEasyLinkDriver(config, ctx),
};

export { fingerspotConfigSchema, type FingerspotConfig } from './config.js';
export { FingerspotEasyLinkDriver, DEFAULT_TUNING, type EasyLinkTuning } from './driver.js';
export { EasyLinkClient, BadReplyError, type EasyLinkClientOptions } from './client.js';
export { CHECKPOINT_KEY, type EasyLinkCheckpoint } from './reads.js';
