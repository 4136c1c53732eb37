// `central report --date D`: is the day complete, per gateway and device? Complete means the
// device's watermark reaches past the end of that day (in the device's own zone) and every seq of
// its gateway up to the watermark's seqThrough is stored and covered by a verified checkpoint —
// so no punch of that day can be missing. Otherwise the report says what is missing.
import type { Sql } from './store.js';

export interface DeviceDay {
  gateway: string;
  device: string;
  punches: number;
  complete: boolean;
  completeThrough: string | null;
  /** why not complete; empty when complete */
  missing: string[];
}

export interface DayReport {
  date: string;
  devices: DeviceDay[];
  problems: { gateway: string; kind: string; detail: string }[];
}

/** The instant after the local day `date`, in the zone whose offset a local time of the device showed. */
function dayEnd(date: string, offset: string): number {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return Date.parse(`${next.toISOString().slice(0, 10)}T00:00:00${offset}`);
}

export async function dayReport(db: Sql, date: string): Promise<DayReport> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) throw new RangeError(`expected a date YYYY-MM-DD, got "${date}"`);
  const devices = (
    await db.query<{ gateway: string; device_id: string; punches: number; offset: string | null }>(
      `SELECT gateway, device_id, count(*) FILTER (WHERE left(local_time, 10) = $1)::int AS punches,
              max(right(local_time, 6)) AS offset
       FROM punches GROUP BY gateway, device_id
       UNION SELECT w.gateway, w.device_id, 0, right(w.complete_through, 6) FROM watermarks w
         WHERE NOT EXISTS (SELECT 1 FROM punches p WHERE p.gateway = w.gateway AND p.device_id = w.device_id)
       ORDER BY gateway, device_id`,
      [date],
    )
  ).rows;
  const result: DeviceDay[] = [];
  for (const row of devices) {
    const watermark = (await db.query<{ complete_through: string; seq_through: number }>('SELECT complete_through, seq_through FROM watermarks WHERE gateway = $1 AND device_id = $2', [row.gateway, row.device_id])).rows[0];
    const missing: string[] = [];
    if (!watermark) missing.push('no watermark: the gateway has not proven this device complete (its driver may prove none; see the README of its family)');
    else {
      const end = dayEnd(date, row.offset ?? watermark.complete_through.slice(-6));
      // punch times have whole seconds: through the day's last second is through the day
      if (Date.parse(watermark.complete_through) < end - 1000) missing.push(`the watermark reaches only ${watermark.complete_through}`);
      const stored = (await db.query<{ n: number }>('SELECT count(DISTINCT seq)::int AS n FROM punches WHERE gateway = $1 AND seq <= $2', [row.gateway, watermark.seq_through])).rows[0]?.n ?? 0;
      if (stored < watermark.seq_through) missing.push(`${watermark.seq_through - stored} of the gateway's seqs up to ${watermark.seq_through} are not stored`);
      const verified = (await db.query<{ size: number | null }>('SELECT max(verified_size) AS size FROM log_state WHERE gateway = $1', [row.gateway])).rows[0]?.size ?? 0;
      if ((verified ?? 0) < watermark.seq_through) missing.push(`the gateway's log is verified only through seq ${verified ?? 0}, not ${watermark.seq_through}`);
    }
    result.push({ gateway: row.gateway, device: row.device_id, punches: row.punches, complete: missing.length === 0, completeThrough: watermark?.complete_through ?? null, missing });
  }
  const problems = (await db.query<{ gateway: string; kind: string; detail: string }>('SELECT gateway, kind, detail FROM log_problems ORDER BY found_at')).rows;
  return { date, devices: result, problems };
}

export function formatDayReport(report: DayReport): string {
  const lines = [`Kelengkapan / completeness ${report.date}`];
  for (const d of report.devices) {
    lines.push(`${d.complete ? 'LENGKAP   ' : 'BELUM     '} ${d.gateway} ${d.device}: ${d.punches} punches${d.completeThrough ? `, complete through ${d.completeThrough}` : ''}`);
    for (const why of d.missing) lines.push(`           - ${why}`);
  }
  if (report.devices.length === 0) lines.push('(no gateway has sent anything yet)');
  for (const p of report.problems) lines.push(`PROBLEM    ${p.gateway} ${p.kind}: ${p.detail}`);
  return `${lines.join('\n')}\n`;
}
