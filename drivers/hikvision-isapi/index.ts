// hikvision-isapi: Hikvision face / access-control terminals (DS-K1T…) over ISAPI. See README.md.
import type { DriverFactory } from '../../src/devices/driver.js';
import { hikvisionConfigSchema, type HikvisionConfig } from './config.js';
import { HikvisionDriver } from './driver.js';

export const hikvisionIsapiDriver: DriverFactory<HikvisionConfig> = {
  protocol: 'hikvision-isapi',
  configSchema: hikvisionConfigSchema,
  create: (config, ctx) => new HikvisionDriver(config, ctx),
};

export { hikvisionConfigSchema, type HikvisionConfig } from './config.js';
export { HikvisionDriver } from './driver.js';
export { CURSOR_KEY, type AcsCursor } from './sync.js';
