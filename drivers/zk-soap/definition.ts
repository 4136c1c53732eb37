// The zk-soap family as the gateway knows it (src/devices/definition.ts): protocol, config schema,
// and the modules imported when used: driver.ts when the first zk-soap device starts, backfill.ts
// when `pull` runs, probe.ts when `probe --protocol zk-soap` runs, users.ts when a users command or a
// userSync group needs the terminal's users (every SOAP call is a connection of its own: beside the daemon).
import { defineDriver } from '../../src/devices/definition.js';
import { zkSoapConfigSchema, type ZkSoapConfig } from './config.js';

export const zkSoapDriver = defineDriver<ZkSoapConfig>({
  protocol: 'zk-soap',
  configSchema: zkSoapConfigSchema,
  driver: async () => (await import('./driver.js')).ZkSoapDriver,
  backfill: async () => (await import('./backfill.js')).backfillZkSoap,
  users: { alongsideDaemon: true, load: async () => (await import('./users.js')).zkSoapUsersAccess },
  probe: {
    defaultPort: 80,
    options: [{ flags: '--comm-key <key>', description: 'numeric comm key set on the terminal', integerMax: 0xffffffff, default: 0 }],
    load: async () => {
      const { probeZkSoap, formatZkSoapProbe } = await import('./probe.js');
      return {
        probe: async (target, values) => {
          const result = await probeZkSoap({ ...target, commKey: String(values.commKey ?? 0) });
          return { result, text: formatZkSoapProbe(result) };
        },
      };
    },
  },
});
