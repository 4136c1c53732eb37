// The fingerspot-easylink family as the gateway knows it (src/devices/definition.ts): protocol,
// config schema, and the modules imported when used: driver.ts when the first fingerspot-easylink
// device starts, backfill.ts when `pull` runs, probe.ts when `probe --protocol
// fingerspot-easylink` runs (the host is the bridge PC, `--serial` names the terminal behind it),
// users.ts when a users command or a userSync group needs the terminal's users (plain requests to
// the bridge that never touch /scanlog/new: beside the daemon).
import { defineDriver } from '../../src/devices/definition.js';
import { fingerspotConfigSchema, type FingerspotConfig } from './config.js';

export const fingerspotEasyLinkDriver = defineDriver<FingerspotConfig>({
  protocol: 'fingerspot-easylink',
  configSchema: fingerspotConfigSchema,
  driver: async () => (await import('./driver.js')).FingerspotEasyLinkDriver,
  backfill: async () => (await import('./backfill.js')).backfillFingerspot,
  users: { alongsideDaemon: true, load: async () => (await import('./users.js')).easyLinkUsersAccess },
  probe: {
    defaultPort: 8090,
    options: [
      {
        flags: '--serial <sn>',
        description: "the terminal SN as in the bridge's Device.ini (host is the FService PC)",
        requiredBecause: "the terminal SN from the bridge's Device.ini",
      },
    ],
    load: async () => {
      const { probeEasyLink, formatEasyLinkProbe } = await import('./probe.js');
      return {
        probe: async (target, values) => {
          const result = await probeEasyLink({ ...target, serial: String(values.serial ?? '') });
          return { result, text: formatEasyLinkProbe(result) };
        },
      };
    },
  },
});
