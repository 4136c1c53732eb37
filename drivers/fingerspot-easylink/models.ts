// Fingerspot firmware variants as the EasyLink bridge shows them, as data (src/devices/modelRows.ts;
// STYLE.md "Device knowledge as data"). The bridge names no model: a variant is told by the keys of
// its /dev/info DEVINFO object.
// Invariants:
// - Rows come from public sources only (zamzamzhafry/easylink-frontend: the official EasyLink SDK
//   User Guide as text and real Revo replies), each with a fixture under
//   test/drivers/fingerspot-easylink/fixtures/ (models.test.ts fails for a row without one, or
//   whose fixture does not show the quirk).
// - The codec reads every variant already (DEVINFO_COUNT_KEYS lists both spellings, the clock is
//   optional): the rows record what each variant carries. A DEVINFO no row matches gets
//   FS_DEFAULT_QUIRKS: no clock assumed, counts as they come.
import { lookUpModel, type ModelResult, type ModelRow } from '../../src/devices/modelRows.js';

export interface FingerspotQuirks {
  /** DEVINFO carries the terminal clock (`Jam`): clockSkewSec and /dev/settime checks are possible */
  clock: boolean;
  /** how counts are named: `All Presensi` / `New Presensi` (…Operasional likewise), or plain `Presensi` */
  countNames: 'all-and-new' | 'plain' | 'unknown';
}

/** `devinfoKey`: the keys of the /dev/info DEVINFO object. */
export type FingerspotModelKey = 'devinfoKey';

export const FS_DEFAULT_QUIRKS: FingerspotQuirks = { clock: false, countNames: 'unknown' };

export const FS_MODELS: readonly ModelRow<FingerspotModelKey, FingerspotQuirks>[] = [
  {
    match: { devinfoKey: 'Jam' },
    quirks: { clock: true, countNames: 'all-and-new' },
    source: 'easylink-frontend docs/learning/devinfo.json and docs/response_testing.md: a Revo (2026) reports Jam (DD/MM/YYYY), All/New Presensi, All/New Operasional, Face and Vein counts',
    fixture: 'devinfo-revo_easylink-frontend-devinfo-json',
  },
  {
    match: { devinfoKey: 'Algoritma' },
    quirks: { clock: false, countNames: 'plain' },
    source: 'EasyLink SDK User Guide /dev/info sample (easylink-frontend docs/learning): Presensi and Operasional, Display and Algoritma, no clock',
    fixture: 'devinfo-guide-sample_easylink-user-guide',
  },
];

export function fingerspotQuirksFor(devinfoKeys: readonly string[]): ModelResult<FingerspotModelKey, FingerspotQuirks> {
  return lookUpModel(FS_MODELS, FS_DEFAULT_QUIRKS, { devinfoKey: devinfoKeys });
}
