// `pull` for a zk-soap terminal (DriverDefinition.backfill): one GetAttLog (the terminal sends its
// whole log anyway), every record at or after `since` committed.
// Invariants:
// - The checkpoint (`soap.attlog`) is neither read nor moved, and ClearData is never called,
//   whatever `clearAfterDownload` says (sync.ts backfill mode).
// - `since` is terminal-local time, compared with the rows' DateTime as the terminal wrote it.
// - Same punch-id serial as the driver: the configured `serial`, else the device id (driver.ts).
//   Nothing is reported to status.update, so the context's fallback applies exactly as in the daemon.
// - One call, one connection (client.ts): safe while the daemon polls the same terminal.
import type { BackfillOptions, BackfillResult, DriverContext } from '../../src/devices/driver.js';
import { backfillResultOf } from '../../src/devices/syncResult.js';
import { fullLocalTime } from '../../src/punch/time.js';
import { SoapClient } from './client.js';
import type { ZkSoapConfig } from './config.js';
import { syncAttendance } from './sync.js';

export async function backfillZkSoap(cfg: ZkSoapConfig, ctx: DriverContext, o: BackfillOptions): Promise<BackfillResult> {
  const client = SoapClient.forDevice(cfg);
  const r = await syncAttendance({
    client, ctx, cfg: { ...cfg, clearAfterDownload: false }, signal: o.signal, since: o.since === undefined ? '' : fullLocalTime(o.since),
    onEmit: (done, total) => o.onProgress?.({ phase: 'commit', done, total }),
  });
  ctx.status.update({ online: true, lastError: null });
  return backfillResultOf(r, r.rows, { serial: cfg.serial });
}
