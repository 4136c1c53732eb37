// `pull` for a hikvision-isapi terminal (DriverDefinition.backfill): the identity, then one AcsEvent
// search over [since, now + 1 day] paged while MORE, mapped and committed as the driver's poll does.
// Invariants:
// - The same code as the daemon's poll (HikvisionDriver.backfill → syncEvents): the same paging,
//   the same mapping (punches.ts), so the punch ids are the ones the daemon commits.
// - The cursor (`acsEventCursor`) is neither read nor moved (syncEvents backfill mode).
// - `since` is terminal-local time in the device zone (`timezone`, else Asia/Jakarta as the driver);
//   without it the search starts at EARLIEST_LOCAL. The end is now + 1 day, as in the driver: a
//   terminal clock running fast must not hide its newest events.
// - A push-only entry (no host) cannot be pulled: refused before any request.
import type { BackfillOptions, BackfillResult, DriverContext } from '../../src/devices/driver.js';
import { backfillResultOf } from '../../src/devices/syncResult.js';
import { deviceZone, fullLocalTime, resolveLocalTime } from '../../src/punch/time.js';
import { GatewayError } from '../../src/util/errors.js';
import type { HikvisionConfig } from './config.js';
import { HikvisionDriver } from './driver.js';

/** where a search without `since` starts: before any terminal of this kind was sold (a guess; not tried on a real terminal) */
export const EARLIEST_LOCAL = '2000-01-01T00:00:00';

export async function backfillHikvision(cfg: HikvisionConfig, ctx: DriverContext, o: BackfillOptions): Promise<BackfillResult> {
  if (!cfg.host || cfg.password === undefined) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `pull needs the terminal's host and password (or passwordFile) to search its event log; "${cfg.id}" has ${cfg.host ? 'no password' : 'no host'} (push only: its events arrive through the push listener)`);
  }
  const zone = deviceZone(cfg);
  const from = resolveLocalTime(fullLocalTime(o.since ?? EARLIEST_LOCAL), zone);
  if (!from) throw new GatewayError('GW_ERR_API_BAD_REQUEST', `since "${o.since ?? ''}" is not a date or date-time`);
  const driver = new HikvisionDriver(cfg, ctx);
  const stop = (): void => void driver.stop();
  o.signal.addEventListener('abort', stop, { once: true });
  try {
    const r = await driver.backfill(from.epochMs, (done, total) => o.onProgress?.({ phase: 'commit', done, total }));
    return backfillResultOf(r, r.events, { ignored: r.ignored, serial: r.serial });
  } finally {
    o.signal.removeEventListener('abort', stop);
    await driver.stop();
  }
}
