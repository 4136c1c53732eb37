// "table": test-only terminal families whose user side is the test double of a terminal
// (test/helpers/usersTable.ts) kept in a JSON file the entry names, for the `users` CLI tests; the
// real user sides are the zk-tcp, zk-soap and EasyLink sessions. Three families, one per case of the
// users facet (src/devices/facets.ts):
// - `table`: users alongside the daemon;
// - `table-exclusive`: one client at a time (alongsideDaemon: false), like zk-tcp;
// - `table-none`: a family that says it cannot hold users.
import { z } from 'zod';
import { baseDeviceSchema } from '../../../src/config/primitives.js';
import { defineDriver } from '../../../src/devices/definition.js';

const tableConfig = <P extends string>(protocol: P) =>
  baseDeviceSchema
    .extend({
      driver: z.literal(protocol),
      tableFile: z.string().describe('the JSON file holding the terminal\'s users and templates'),
      failPins: z.array(z.string()).default([]).describe('PINs the terminal refuses to write'),
      dropAfter: z.number().int().min(0).optional().describe('the connection is lost after this many users answered'),
      witnessDir: z.string().optional().describe('a directory whose files are recorded at the first write (<tableFile>.witness.json)'),
    })
    .strict();

export type TableConfig = z.output<ReturnType<typeof tableConfig>>;

function tableDriver(protocol: string, users: { alongsideDaemon: boolean } | { unsupported: string }) {
  return defineDriver<TableConfig>({
    protocol,
    configSchema: tableConfig(protocol) as z.ZodType<TableConfig>,
    driver: async () => (await import('./driver.js')).TableDriver,
    users: 'unsupported' in users ? users : { alongsideDaemon: users.alongsideDaemon, load: async () => (await import('./users.js')).tableUsersAccess },
  });
}

export const tableDrivers = [
  tableDriver('table', { alongsideDaemon: true }),
  tableDriver('table-exclusive', { alongsideDaemon: false }),
  tableDriver('table-none', { unsupported: 'a table-none terminal keeps no users (test family)' }),
];
