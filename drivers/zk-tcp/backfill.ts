// `pull` for a zk-tcp terminal (DriverDefinition.backfill): one connection, the whole log downloaded
// once, every record at or after `since` committed.
// Invariants:
// - The checkpoint is neither read nor moved (syncAttendance's `since` mode) and the log is never
//   cleared, whatever `clearAfterDownload` says.
// - The serial the terminal reports is in the status before the first emit (punch ids depend on it).
// - A ZK terminal serves one TCP client at a time: the daemon's driver for the same terminal waits
//   (or fails and retries) while this connection is open.
import type { BackfillOptions, BackfillResult, DriverContext } from '../../src/devices/driver.js';
import { ZkClient, ZkRefusal } from './client.js';
import type { ZkTcpConfig } from './config.js';
import { identify } from './device.js';
import { syncAttendance, type AttlogSyncResult } from './sync.js';

export async function backfillZkTcp(cfg: ZkTcpConfig, ctx: DriverContext, o: BackfillOptions): Promise<BackfillResult & AttlogSyncResult> {
  const client = new ZkClient({ host: cfg.host, port: cfg.port, transport: cfg.transport, commKey: cfg.commKey, timeoutMs: cfg.timeout, log: ctx.log });
  await client.connect(o.signal);
  try {
    const facts = await identify(client);
    const serial = facts.serial ?? cfg.serial;
    ctx.status.update({ serial, model: facts.model, firmware: facts.firmware, platform: facts.platform, online: true });
    const result = await syncAttendance({
      client, ctx, cfg: { ...cfg, clearAfterDownload: false }, serial, quirks: facts.known.quirks, since: o.since ?? '',
      signal: o.signal,
      onDownload: (done, total) => o.onProgress?.({ phase: 'download', done, total }),
      onEmit: (done, total) => o.onProgress?.({ phase: 'commit', done, total }),
    });
    return { ...result, serial };
  } catch (error) {
    if (error instanceof ZkRefusal) ctx.status.rejected(error.rejection, error.message);
    throw error;
  } finally {
    await client.close();
  }
}
