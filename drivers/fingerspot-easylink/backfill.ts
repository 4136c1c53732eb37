// `pull` for a fingerspot-easylink terminal (DriverDefinition.backfill): /dev/info, then the whole log
// through /scanlog/all/paging, committed page by page; rows before `since` skipped.
// Invariants:
// - Never calls /scanlog/new: it consumes the bridge's single-consumer cursor, and scans it returned
//   here would never reach the daemon's poll (README.md). Only /dev/info and the paging endpoint.
// - The checkpoint (`fingerspot.state`) is neither read nor written: no inflight marker, no
//   backfilled flag, no reconcile stamp; the daemon's reads go on exactly as before the pull.
// - `since` is the floor (`importSince` is the daemon's; as with zk-tcp, pull ignores it).
// - The configured serial is reported before the first emit (the driver's punch-id serial).
// - The paging session is the bridge's, shared with whoever pages the same terminal: a pass that
//   sees fewer rows than /dev/info counts is read once more from the start (reads.ts pagingPasses),
//   and a daemon read disturbed by this pull recovers the same way.
import type { BackfillOptions, BackfillResult, DriverContext } from '../../src/devices/driver.js';
import { backfillResultOf } from '../../src/devices/syncResult.js';
import { deviceZone } from '../../src/punch/time.js';
import { EasyLinkClient } from './client.js';
import { tablesWith } from './codec.js';
import type { FingerspotConfig } from './config.js';
import { deviceNowIn, infoFailure, normalizeSince, pagingPasses, type ReadContext } from './reads.js';

export async function backfillFingerspot(cfg: FingerspotConfig, ctx: DriverContext, o: BackfillOptions): Promise<BackfillResult> {
  const client = EasyLinkClient.forDevice(cfg);
  ctx.status.update({ serial: cfg.serial });
  const info = await client.info(o.signal);
  if (info.kind === 'failed') throw infoFailure(cfg.serial, info.message);
  const expectedRows = info.counts.records;
  ctx.status.update({ online: true, lastError: null, details: { bridge: client.address, deviceTime: info.deviceTime, ...info.counts } });
  const since = normalizeSince(o.since);
  const zone = deviceZone(cfg);
  const r: ReadContext = {
    client, ctx, serial: cfg.serial, tables: tablesWith(cfg), pageSize: cfg.pageSize, maxPages: cfg.maxPages,
    signal: o.signal, floor: since, deviceNow: () => deviceNowIn(zone, null),
  };
  const result = await pagingPasses(r, {
    since, expectedRows, why: 'pull',
    onPage: (rows) => o.onProgress?.({ phase: 'commit', done: rows, total: Math.max(rows, expectedRows ?? 0) }),
  });
  return backfillResultOf(result, result.rows, { serial: cfg.serial });
}
