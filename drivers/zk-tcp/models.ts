// Known terminal models and their quirks, as data (STYLE.md "Device knowledge as data").
// Invariants:
// - Rows are tried in order (src/devices/modelRows.ts); the first whose every `match` key matches
//   wins. A terminal that no row matches gets DEFAULT_QUIRKS and a warning, never an error.
// - Every row names its source and a fixture directory under test/drivers/zk-tcp/fixtures/; a
//   test fails for a row whose fixture does not exist.
import { lookUpModel, type ModelResult as SharedModelResult, type ModelRow as SharedModelRow } from '../../src/devices/modelRows.js';
import { CHUNK_BYTES_TCP, CHUNK_BYTES_UDP } from './tables.js';

export interface ZkQuirks {
  /** send `CMD_OPTIONS_WRQ "SDKBuild=1"` after connecting; some firmware needs it (zk-standalone.md §8) */
  sdkBuild: boolean;
  /** bytes per CMD_DATA_RDY request (§6.4) */
  chunkBytesTcp: number;
  chunkBytesUdp: number;
  /** attendance record size to try first when the count does not divide the dataset (§6.6) */
  recordSize?: number;
  /** the model answers CMD_GET_FREE_SIZES with a single DWORD (pyzk#76, #215): counts are unknown */
  freeSizesShort?: boolean;
  /** realtime event size the model is known to send, for the README and the simulator (§7) */
  realtimeSize?: number;
}

export type ModelKey = 'platform' | 'firmware' | 'recordSize';

/** `platform`: `~Platform`; `firmware`: the CMD_GET_VERSION text; `recordSize`: attendance record size seen in a download. */
export type ModelMatch = SharedModelRow<ModelKey, ZkQuirks>['match'];
export type ModelRow = SharedModelRow<ModelKey, ZkQuirks>;

export const DEFAULT_QUIRKS: ZkQuirks = {
  sdkBuild: true,
  chunkBytesTcp: CHUNK_BYTES_TCP,
  chunkBytesUdp: CHUNK_BYTES_UDP,
};

export const MODELS: readonly ModelRow[] = [
  {
    match: { platform: /^ZEM500/ },
    quirks: { recordSize: 8 },
    source: 'pyzk#99 (ZEM500: 8-byte records, time at offset 4)',
    fixture: 'attlog8_pyzk-99',
  },
  {
    match: { platform: /^ZEM600_TFT/ },
    quirks: { realtimeSize: 32 },
    source: 'kurenai-ryu/pyzk#8 (QF-001, ZEM600_TFT Ver 6.60 Aug 23 2014: 32-byte realtime events)',
    fixture: 'realtime32_kurenai-pyzk-8',
  },
];

export interface ModelLookup {
  platform?: string;
  firmware?: string;
  recordSize?: number;
}

export type ModelResult = SharedModelResult<ModelKey, ZkQuirks>;

export function quirksFor(device: ModelLookup): ModelResult {
  return lookUpModel(MODELS, DEFAULT_QUIRKS, device);
}
