// The status page's pictures as SVG documents (statusPage/svg.ts, punchPathSvg.ts draw them):
// punches per hour today per device, the backlog and oldest-unsent age of each sink over the last
// 24 hours (the app's BacklogSampler), and one punch's path (terminal → buffer → each sink).
// Behind the token like every data route; `?lang=id|en` picks the words (default id).
// Invariants:
// - "Today" is each device's own local date (its zone, else the gateway's), its hours that zone's;
//   only enabled devices get a row (one with no punch shows an empty row). Counted from the
//   (device, utc) index alone, so a busy day costs the page little on every refresh.
// - A punch's path reads what the buffer keeps: the punch's own `time` (device clock, its zone)
//   and `receivedAt` (the commit), then per sink the state /api/punches gives — `ackedAt` of the
//   ack range that covered it (null for punches acked before ranges were kept), a dead letter's
//   reason and time, a replay request, a purge. Gateway times are shown in gateway.timezone.
// - The backlog charts span the sampler's window (24 h), or since the app started when that is
//   shorter, so a young gateway's line is not squeezed into the right edge.
// - Each answer is image/svg+xml with its own CSP `default-src 'none'` (opened alone, it can load
//   and run nothing), nosniff and no-store.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PunchWithStates, SinkState } from '../../buffer/queries.js';
import { formatWallTime, resolveLocalTime, wallTimeIn, zoneLabel } from '../../punch/time.js';
import { sinkSeries, SAMPLE_WINDOW_MS } from '../backlogSampler.js';
import type { ApiContext } from '../context.js';
import { chartQuery, punchIdParams, type ChartQuery } from '../schemas.js';
import { punchPathSvg, type PathStep } from '../statusPage/punchPathSvg.js';
import { STATUS_PAGE_TEXTS } from '../statusPage/i18n.js';
import { hourlyPunchesSvg, lineChartSvg, pad2, type HourlyRow } from '../statusPage/svg.js';
import type { GatewayView } from '../view.js';

const MIN_SPAN_MS = 10 * 60_000;

function sendSvg(reply: FastifyReply, svg: string): FastifyReply {
  return reply
    .type('image/svg+xml; charset=utf-8')
    .header('content-security-policy', "default-src 'none'")
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store')
    .send(svg);
}

/** Compact duration in the page's words ("15 mnt", "2.5 jam"). */
function durationText(sec: number, lang: ChartQuery['lang']): string {
  const t = STATUS_PAGE_TEXTS[lang];
  if (sec < 60) return `${Math.round(sec)} ${t.sec}`;
  if (sec < 3600) return `${Math.round(sec / 60)} ${t.min}`;
  if (sec < 86_400) return `${(sec / 3600).toFixed(1)} ${t.hour}`;
  return `${(sec / 86_400).toFixed(1)} ${t.day}`;
}

/** The UTC instants of the 25 local hour marks of calendar day `date` in `zone` (00:00 … the next day's 00:00). */
function hourMarksUtc(date: string, zone: string): string[] {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const marks = Array.from({ length: 24 }, (_, h) => `${date}T${pad2(h)}:00:00`).concat(`${next}T00:00:00`);
  return marks.map((local) => resolveLocalTime(local, zone)?.utc ?? `${local}Z`);
}

/** Each enabled device's punches per local hour of its own today (its zone, else the gateway's). */
function hourlyRows(view: GatewayView, nowMs: number): HourlyRow[] {
  return view.devices().filter((d) => d.enabled).map((device) => {
    const zone = device.timezone ?? view.gateway.timezone;
    const marks = hourMarksUtc(formatWallTime(wallTimeIn(zone, nowMs)).slice(0, 10), zone);
    const counts = marks.slice(0, 24).map((since, h) => view.buffer.countPunches(device.id, since, marks[h + 1] as string));
    return { device: device.id, zone: zoneLabel(zone), counts };
  });
}

/** `2026-01-19 07:31:05 WIB` of an instant in `zone`. */
function zonedWall(ms: number, zone: string): string {
  return `${formatWallTime(wallTimeIn(zone, ms)).replace('T', ' ')} ${zoneLabel(zone)}`;
}

/** One sink's step of the path, from the state the buffer keeps for it. */
function sinkStep(sink: string, state: SinkState, zone: string, lang: ChartQuery['lang']): PathStep {
  const t = STATUS_PAGE_TEXTS[lang];
  const word = t[`sink.${state.state}`];
  const at = (iso: string | null | undefined) => (iso ? { atMs: Date.parse(iso), time: zonedWall(Date.parse(iso), zone) } : {});
  switch (state.state) {
    case 'acked': return { label: sink, state: 'done', note: word, ...at(state.ackedAt) };
    case 'pending': return { label: sink, state: 'waiting', note: word };
    case 'replay-queued': return { label: sink, state: 'waiting', note: word, time: zonedWall(Date.parse(state.requestedAt), zone) };
    case 'dead-lettered': return { label: sink, state: 'failed', note: `${word}: ${state.reason}`, ...at(state.at) };
    case 'purged': return { label: sink, state: 'failed', note: `${word}: ${state.reason}`, ...at(state.at) };
  }
}

/** The steps of a punch's path: its terminal time, its commit, each sink. */
function pathSteps(found: PunchWithStates, zones: { device: string | undefined; gateway: string }, lang: ChartQuery['lang']): PathStep[] {
  const gatewayZone = zones.gateway;
  const t = STATUS_PAGE_TEXTS[lang];
  const punch = found.punch as PunchWithStates['punch'] & { time: string; utc: string; device: { id: string } };
  const deviceTime = `${punch.time.slice(0, 19).replace('T', ' ')} ${zoneLabel(zones.device, punch.time)}`;
  const committedMs = Date.parse(punch.receivedAt);
  return [
    { label: `${t.pathTerminal} ${punch.device.id}`, state: 'done', time: deviceTime, atMs: Date.parse(punch.utc), note: `PIN ${String(punch.pin)}` },
    { label: t.pathBuffer, state: 'done', time: zonedWall(committedMs, gatewayZone), atMs: committedMs, note: `seq ${punch.seq}` },
    ...Object.entries(found.sinks).map(([sink, state]) => sinkStep(sink, state, gatewayZone, lang)),
  ];
}

export function registerChartRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { view } = ctx;
  const schema = { querystring: chartQuery };

  app.get('/api/charts/punches-today.svg', { schema }, async (request, reply) => {
    const { lang } = request.query as ChartQuery;
    const t = STATUS_PAGE_TEXTS[lang];
    return sendSvg(reply, hourlyPunchesSvg(hourlyRows(view, Date.now()), { label: t.chartPunchesToday, empty: t.chartNoDevices }));
  });

  const backlogChart = (chart: 'backlog' | 'oldest-unsent') => async (request: { query: unknown }, reply: FastifyReply) => {
    const { lang } = request.query as ChartQuery;
    const t = STATUS_PAGE_TEXTS[lang];
    const nowMs = Date.now();
    const samples = ctx.backlog.series(nowMs);
    const series = sinkSeries(samples, chart === 'backlog' ? (s) => s.pending : (s) => s.oldestPendingAgeSec);
    return sendSvg(reply, lineChartSvg(series, {
      chart,
      label: chart === 'backlog' ? t.chartBacklog : t.chartOldest,
      empty: t.chartNoSamples,
      // since the first sample when the gateway is younger than the window (at least the last 10 min)
      fromMs: Math.max(nowMs - SAMPLE_WINDOW_MS, Math.min(samples[0]?.atMs ?? nowMs, nowMs - MIN_SPAN_MS)),
      toMs: nowMs,
      zone: view.gateway.timezone,
      formatValue: chart === 'backlog' ? (v) => String(Math.round(v)) : (v) => durationText(v, lang),
    }));
  };
  app.get('/api/punches/:id/path.svg', { schema: { ...schema, params: punchIdParams } }, async (request, reply) => {
    const { lang } = request.query as ChartQuery;
    const { id } = request.params as { id: string };
    const found = view.buffer.findPunch(id);
    if (!found) return reply.code(404).send({ error: `no punch ${id} in the buffer (never committed, or removed by retention)`, code: 'GW_ERR_API_NOT_FOUND' });
    const t = STATUS_PAGE_TEXTS[lang];
    const deviceId = (found.punch as { device?: { id?: string } }).device?.id;
    const device = view.devices().find((d) => d.id === deviceId);
    const zones = { device: device ? (device.timezone ?? view.gateway.timezone) : undefined, gateway: view.gateway.timezone };
    return sendSvg(reply, punchPathSvg(pathSteps(found, zones, lang), { label: t.punchPath, empty: t.noPunches }));
  });

  app.get('/api/charts/backlog.svg', { schema }, backlogChart('backlog'));
  app.get('/api/charts/oldest-unsent.svg', { schema }, backlogChart('oldest-unsent'));
}
