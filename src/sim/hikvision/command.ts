// `absensi-gateway simulate hikvision`: its name and help line, for the family list
// (src/drivers.ts). The Hikvision ISAPI face-terminal simulator and its command line (cli.ts) load
// only when `simulate hikvision` runs.
import type { SimulatorFacet } from '../../devices/facets.js';

export const hikvisionSimulator: SimulatorFacet = {
  command: 'hikvision',
  description: 'a Hikvision ISAPI face terminal: Digest auth, deviceInfo, AcsEvent search; optionally pushing events',
  load: async () => (await import('./cli.js')).configureSimulateHikvision,
};
