// Known terminal models and their quirks, as data (STYLE.md "Device knowledge as data").
// Invariants:
// - Rows are tried in order; the first whose every `match` key matches wins. A terminal that no
//   row matches gets DEFAULT_QUIRKS and a warning, never an error.
// - Every row names its source and a fixture directory under test/drivers/zk-tcp/fixtures/; a
//   test fails for a row whose fixture does not exist.
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

export interface ModelMatch {
  /** `~Platform` value (exact string or pattern) */
  platform?: string | RegExp;
  /** CMD_GET_VERSION text (exact string or pattern) */
  firmware?: string | RegExp;
  /** attendance record size seen in a download */
  recordSize?: number;
}

export interface ModelRow {
  match: ModelMatch;
  quirks: Partial<ZkQuirks>;
  source: string;
  /** fixture directory (under test/drivers/zk-tcp/fixtures/) holding bytes from this kind of device */
  fixture: string;
}

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

function matches(rule: string | RegExp | undefined, value: string | undefined): boolean {
  if (rule === undefined) return true;
  if (value === undefined) return false;
  return typeof rule === 'string' ? rule === value : rule.test(value);
}

export interface ModelLookup {
  platform?: string;
  firmware?: string;
  recordSize?: number;
}

export interface ModelResult {
  quirks: ZkQuirks;
  row?: ModelRow;
  /** true when no row matched and the defaults apply */
  unknown: boolean;
}

export function quirksFor(device: ModelLookup): ModelResult {
  const row = MODELS.find(
    (r) =>
      matches(r.match.platform, device.platform) &&
      matches(r.match.firmware, device.firmware) &&
      (r.match.recordSize === undefined || r.match.recordSize === device.recordSize),
  );
  if (!row) return { quirks: { ...DEFAULT_QUIRKS }, unknown: true };
  return { quirks: { ...DEFAULT_QUIRKS, ...row.quirks }, row, unknown: false };
}
