// The zk-push family as the gateway knows it (src/devices/definition.ts): protocol, config schema,
// its terminals call the gateway (so the push listener runs, and `pull` asks the running daemon to
// queue the query), and driver.ts imported when the first zk-push device starts.
// An entry is authenticated by allowFrom and/or commKey (a good comm-key handshake pins the
// terminal to its source address, trust.ts); the serial (SN=) proves nothing, anyone can send it.
// Users: a push terminal only talks to the daemon, so its users side (users.ts) runs on the running
// driver, which lends it to users work in the daemon (src/devices/usersLender.ts).
import { defineDriver } from '../../src/devices/definition.js';
import { zkPushConfigSchema, type ZkPushConfig } from './config.js';

export const zkPushDriver = defineDriver<ZkPushConfig>({
  protocol: 'zk-push',
  configSchema: zkPushConfigSchema,
  driver: async () => (await import('./driver.js')).ZkPushDriver,
  users: { throughDaemon: 'a zk-push terminal talks only to the daemon: its users are reached through the running daemon, whose driver lends its session' },
  push: {
    authenticatedBy: (config) => [...(config.allowFrom ? ['allowFrom' as const] : []), ...(config.commKey !== undefined ? ['commKey' as const] : [])],
    howToAuthenticate: "set allowFrom (the terminal's address) and/or commKey",
  },
});
