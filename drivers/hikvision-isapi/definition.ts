// The hikvision-isapi family as the gateway knows it (src/devices/definition.ts): protocol, config
// schema, which entries call the gateway (`push: true`), and the modules imported when used:
// driver.ts when the first hikvision-isapi device starts, backfill.ts when `pull` runs, probe.ts
// when `probe --protocol hikvision-isapi` runs.
// A push entry is authenticated by allowFrom, else by its `host` (the only address it then takes
// events from, pushTrust.ts). macAddress never counts: it is in the body, so anyone who saw one
// event can copy it.
import { defineDriver } from '../../src/devices/definition.js';
import { hikvisionConfigSchema, type HikvisionConfig } from './config.js';

export const hikvisionIsapiDriver = defineDriver<HikvisionConfig>({
  protocol: 'hikvision-isapi',
  configSchema: hikvisionConfigSchema,
  driver: async () => (await import('./driver.js')).HikvisionDriver,
  backfill: async () => (await import('./backfill.js')).backfillHikvision,
  push: {
    when: (config) => config.push,
    authenticatedBy: (config) => (config.allowFrom ? ['allowFrom'] : config.host ? ['host'] : []),
    howToAuthenticate: "set allowFrom or host (the terminal's address)",
  },
  users: {
    unsupported:
      "not in this build: Hikvision terminals keep users and faces through ISAPI AccessControl (UserInfo/Search, UserInfo/SetUp, UserInfo/Delete, the card and FDLib face-picture calls); faces go in as pictures the terminal models itself, not as templates another family could take, and this build has no codec for those bodies tested on public ones. Enrol at each Hikvision terminal or with iVMS-4200",
  },
  probe: {
    defaultPort: 80,
    options: [
      { flags: '--user <name>', description: 'ISAPI user', default: 'admin' },
      { flags: '--password <password>', description: 'ISAPI password (default: $HIK_PASSWORD)' },
    ],
    load: async () => {
      const { probeHikvision, formatHikProbe } = await import('./probe.js');
      return {
        probe: async (target, values) => {
          const password = typeof values.password === 'string' ? values.password : (process.env.HIK_PASSWORD ?? '');
          const result = await probeHikvision({ ...target, username: String(values.user), password });
          return { result, text: formatHikProbe(result) };
        },
      };
    },
  },
});
