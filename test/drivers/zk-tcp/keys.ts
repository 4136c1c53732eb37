// What a zk-tcp download must yield for a simulator log, in the key form of committedKeys
// (test/helpers/memoryContext.ts): `pin|localTime|state|verify`, sorted.
import type { SimLog } from '../../../src/sim/zkTcp/log.js';
import { ATTLOG_LAYOUTS } from '../../../drivers/zk-tcp/tables.js';
import { ZK_STATE_MAP as STATE_MAP, ZK_VERIFY_MAP as VERIFY_MAP } from '../../../drivers/zk-common/codes.js';

/** The keys of records [from, to) of a simulator log. */
export function expectedKeys(log: SimLog, from = 0, to = log.count): string[] {
  const layout = ATTLOG_LAYOUTS.get(log.recordSize);
  const has = (name: string): boolean => layout?.fields.some((f) => f.name === name) ?? false;
  const keys: string[] = [];
  for (let i = from; i < to; i++) {
    const p = log.punchAt(i);
    const state = has('state') ? (STATE_MAP.get(p.state) ?? 'unknown') : 'unknown';
    const verify = has('verify') ? (VERIFY_MAP.get(p.verify) ?? 'other') : 'other';
    keys.push(`${p.pin}|${p.localTime}|${state}|${verify}`);
  }
  return keys.sort();
}
