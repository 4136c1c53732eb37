// `absensi-gateway simulate zk-push`: its name and help line, for the family list (src/drivers.ts).
// The ZKTeco PUSH (ADMS / iclock) terminal simulator and its command line (cli.ts) load only when
// `simulate zk-push` runs.
import type { SimulatorFacet } from '../../devices/facets.js';

export const zkPushSimulator: SimulatorFacet = {
  command: 'zk-push',
  description: 'a ZKTeco PUSH (ADMS / iclock) terminal that calls a gateway\'s push listener',
  load: async () => (await import('./cli.js')).configureSimulateZkPush,
};
