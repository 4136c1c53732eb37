// hikvision-isapi: Hikvision face / access-control terminals (DS-K1T…) over ISAPI. See README.md.

export { hikvisionConfigSchema, type HikvisionConfig } from './config.js';
export { HikvisionDriver } from './driver.js';
export { CURSOR_KEY, type AcsCursor } from './sync.js';
export { hikvisionIsapiDriver } from './definition.js';
