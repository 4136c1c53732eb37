// Hikvision terminal models and their differences, as data (src/devices/modelRows.ts; STYLE.md
// "Device knowledge as data").
// Invariants:
// - Rows come from public threads only, each with its source and a fixture of that model under
//   test/drivers/hikvision-isapi/fixtures/ (models.test.ts fails for a row without one, or whose
//   fixture does not show the quirk).
// - The driver copes with every row already (codec.ts reads plain-JSON and multipart pushes alike,
//   sync.ts sorts every page): the rows record what was seen, and which terminals a fixture stands
//   for. A model no row names gets HIK_DEFAULT_QUIRKS, the shape other-terminals.md documents.
import { lookUpModel, type ModelResult, type ModelRow } from '../../src/devices/modelRows.js';

export interface HikQuirks {
  /** how the terminal posts an event to its HTTP host: a multipart form with a JSON field (event_log / AccessControllerEvent), or the JSON alone */
  pushBody: 'multipart' | 'json';
}

/** `model`: deviceInfo `model` (or a pushed event's `deviceName`); `firmware`: `firmwareVersion build …`. */
export type HikModelKey = 'model' | 'firmware';

/** other-terminals.md "Push": events arrive as multipart/form-data. */
export const HIK_DEFAULT_QUIRKS: HikQuirks = { pushBody: 'multipart' };

export const HIK_MODELS: readonly ModelRow<HikModelKey, HikQuirks>[] = [
  {
    match: { model: /^DS-K1T502/ },
    quirks: { pushBody: 'json' },
    source: 'pergolafabio/Hikvision-Addons#177 (seederp2p, 2024-08-26): a DS-K1T502DBFWX-C posts the event JSON alone to its HTTP host, its deviceName inside AccessControllerEvent',
    fixture: 'push-json-door-locked_pergolafabio-addons-177',
  },
  {
    match: { model: 'DS-K1T341AM' },
    quirks: {},
    source: 'pergolafabio/Hikvision-Addons#148 (jpros, 2023-09-20): deviceInfo of a DS-K1T341AM, firmware V3.2.30 build 220210; nothing differs from the documented shape',
    fixture: 'deviceinfo-k1t341am_pergolafabio-addons-148',
  },
];

export function hikQuirksFor(device: { model?: string; firmware?: string }): ModelResult<HikModelKey, HikQuirks> {
  return lookUpModel(HIK_MODELS, HIK_DEFAULT_QUIRKS, device);
}
