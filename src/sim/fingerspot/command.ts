// `absensi-gateway simulate fingerspot`: its name and help line, for the family list
// (src/drivers.ts). The Fingerspot EasyLink bridge simulator and its command line (cli.ts) load
// only when `simulate fingerspot` runs.
import type { SimulatorFacet } from '../../devices/facets.js';

export const fingerspotSimulator: SimulatorFacet = {
  command: 'fingerspot',
  description: 'a Fingerspot EasyLink SDK bridge (FService.exe) with terminals behind it: /dev/info, /scanlog/new, /scanlog/all/paging, /dev/settime',
  load: async () => (await import('./cli.js')).configureSimulateFingerspot,
};
