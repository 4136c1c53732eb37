// The zk-push family as the gateway knows it (src/devices/definition.ts): protocol, config schema,
// its terminals call the gateway (so the push listener runs, and `pull` asks the running daemon to
// queue the query), and driver.ts imported when the first zk-push device starts.
import { defineDriver } from '../../src/devices/definition.js';
import { zkPushConfigSchema, type ZkPushConfig } from './config.js';

export const zkPushDriver = defineDriver<ZkPushConfig>({
  protocol: 'zk-push',
  configSchema: zkPushConfigSchema,
  driver: async () => (await import('./driver.js')).ZkPushDriver,
  push: true,
});
