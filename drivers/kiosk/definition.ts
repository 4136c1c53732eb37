// The kiosk family as the gateway knows it (src/devices/definition.ts): protocol, config schema,
// its entries need the kiosk listener (the `kiosk` facet), and driver.ts imported when the first
// kiosk starts. A kiosk is authenticated by its client certificate alone (src/kiosk/listener.ts).
import { defineDriver } from '../../src/devices/definition.js';
import { kioskConfigSchema, type KioskConfig } from './config.js';

export const kioskDriver = defineDriver<KioskConfig>({
  protocol: 'kiosk',
  configSchema: kioskConfigSchema,
  driver: async () => (await import('./driver.js')).KioskDriver,
  kiosk: { authenticatedBy: 'client-certificate' },
  users: { unsupported: 'a kiosk holds no users: the PIN typed is the punch' },
});
