// kiosk: tablet kiosks and office apps that punch over mutual TLS. See README.md.

export { kioskConfigSchema, type KioskConfig } from './config.js';
export { KioskDriver } from './driver.js';
export { kioskDriver } from './definition.js';
export { decodeKioskPunch, type KioskPunch } from './body.js';
