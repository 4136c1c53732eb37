// `absensi-gateway simulate zk`: its name and help line, for the family list (src/drivers.ts). The
// ZK standalone terminal simulator and its command line (cli.ts) load only when `simulate zk` runs.
import type { SimulatorFacet } from '../../devices/facets.js';

export const zkTcpSimulator: SimulatorFacet = {
  command: 'zk',
  description: 'a ZK standalone terminal (port 4370) over TCP and UDP',
  load: async () => (await import('./cli.js')).configureSimulateZk,
};
