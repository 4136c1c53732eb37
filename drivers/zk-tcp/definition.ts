// The zk-tcp family as the gateway knows it (src/devices/definition.ts): protocol, config schema,
// and the modules imported when used: driver.ts when the first zk-tcp device starts, backfill.ts
// when `pull` runs, probe.ts when `probe` runs (zk-tcp is its default protocol), users.ts when a
// users command or a userSync group needs the terminal's users and templates.
import { defineDriver } from '../../src/devices/definition.js';
import { zkTcpConfigSchema, type ZkTcpConfig } from './config.js';

export const zkTcpDriver = defineDriver<ZkTcpConfig>({
  protocol: 'zk-tcp',
  configSchema: zkTcpConfigSchema,
  driver: async () => (await import('./driver.js')).ZkTcpDriver,
  backfill: async () => (await import('./backfill.js')).backfillZkTcp,
  users: {
    // one TCP client at a time (zk-standalone.md §3.7): the daemon's session would be refused
    alongsideDaemon: false,
    // ... but the running driver lends its own connection (driver.ts borrowUsersSession)
    lendsToDaemon: true,
    load: async () => (await import('./users.js')).zkTcpUsers,
  },
  probe: {
    defaultPort: 4370,
    options: [
      { flags: '--udp', description: 'use UDP instead of TCP (older black-and-white terminals)' },
      { flags: '--comm-key <key>', description: 'numeric comm key set on the terminal', integerMax: 0xffffffff, default: 0 },
      { flags: '--users', description: 'also list the user table (PIN, name, privilege, card)' },
    ],
    load: async () => {
      const { probeZkTcp, formatZkTcpProbe } = await import('./probe.js');
      return {
        probe: async (target, values) => {
          const result = await probeZkTcp({ ...target, transport: values.udp ? 'udp' : 'tcp', commKey: Number(values.commKey ?? 0), users: Boolean(values.users) });
          return { result, text: formatZkTcpProbe(result) };
        },
      };
    },
  },
});
