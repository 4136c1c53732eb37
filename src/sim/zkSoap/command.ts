// `absensi-gateway simulate zk-soap`: its name and help line, for the family list (src/drivers.ts).
// The ZK SOAP web service terminal simulator and its command line (cli.ts) load only when `simulate
// zk-soap` runs.
import type { SimulatorFacet } from '../../devices/facets.js';

export const zkSoapSimulator: SimulatorFacet = {
  command: 'zk-soap',
  description: 'a ZK SOAP web service terminal (POST /iWsService, HTTP/1.0, no Content-Length)',
  load: async () => (await import('./cli.js')).configureSimulateZkSoap,
};
