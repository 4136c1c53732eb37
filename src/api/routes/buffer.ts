// Routes over the buffer: punch search with per-sink state, queue stats, dead letters (list,
// replay, purge) and quarantine. All of it goes through the view's buffer (GatewayView), which
// reads on the daemon's own connection with the dispatchers' in-memory cursors.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DeadLetterChange } from '../../buffer/queries.js';
import type { ApiContext } from '../context.js';
import {
  deadLetterAction,
  deadLetterActionBody,
  deadLettersBody,
  deadLettersQuery,
  punchesBody,
  punchesQuery,
  quarantineBody,
  quarantineQuery,
  queueBody,
  responses,
  type DeadLetterAction,
  type PunchesQuery,
} from '../schemas.js';
import { utcBound } from '../timeBounds.js';
import type { GatewayView } from '../view.js';

function badRequest(reply: FastifyReply, error: string, details?: unknown): FastifyReply {
  return reply.code(400).send({ error, code: 'GW_ERR_API_BAD_REQUEST', ...(details === undefined ? {} : { details }) });
}

/** A 400 for a sink that is not configured, or undefined when the sink is fine. */
function checkSink(view: GatewayView, reply: FastifyReply, sink: string | undefined): FastifyReply | undefined {
  const sinks = view.buffer.sinks();
  if (sink === undefined || sinks.includes(sink)) return undefined;
  return badRequest(reply, `unknown sink "${sink}"; configured: ${sinks.join(', ') || 'none'}`, { sinks });
}

export function registerBufferRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { view } = ctx;
  const zone = view.gateway.timezone;

  app.get('/api/punches', { schema: { querystring: punchesQuery, response: responses(punchesBody) } }, async (request, reply) => {
    const q = request.query as PunchesQuery;
    const sinceUtc = q.since === undefined ? undefined : utcBound(q.since, zone, 'since');
    const untilUtc = q.until === undefined ? undefined : utcBound(q.until, zone, 'until');
    if ((q.since !== undefined && !sinceUtc) || (q.until !== undefined && !untilUtc)) {
      return badRequest(reply, 'since/until is not a real calendar time', [{ path: [sinceUtc ? 'until' : 'since'], message: 'not a real calendar time' }]);
    }
    // one more than the page holds: whether more punches match, without counting them all
    const found = view.buffer.searchPunches({ pin: q.pin, device: q.device, sinceUtc, untilUtc, limit: q.limit + 1 });
    const page = found.slice(0, q.limit);
    return { returned: page.length, more: found.length > q.limit, limit: q.limit, punches: page.map((p) => ({ ...p.punch, sinks: p.sinks })) };
  });

  app.get('/api/queue', { schema: { response: responses(queueBody) } }, async () => {
    const stats = view.buffer.stats();
    const healthOf = new Map(view.sinkHealth().map((h) => [h.sink, h]));
    const now = Date.now();
    return {
      ...stats,
      sinks: stats.sinks.map((s) => {
        const health = healthOf.get(s.sink);
        return {
          ...s,
          oldestPendingAgeSec: s.oldestPendingAt ? Math.max(0, Math.round((now - Date.parse(s.oldestPendingAt)) / 1000)) : null,
          connected: health?.connected ?? false,
          halted: health?.halted ?? null,
          lastError: health?.lastError ? `${health.lastErrorCode ?? 'GW_ERR_SINK_UNREACHABLE'}: ${health.lastError}` : null,
          lastErrorCode: health?.lastError ? (health.lastErrorCode ?? 'GW_ERR_SINK_UNREACHABLE') : null,
          lastSuccessAt: health?.lastSuccessAt ?? null,
        };
      }),
    };
  });

  app.get('/api/dead-letters', { schema: { querystring: deadLettersQuery, response: responses(deadLettersBody) } }, async (request, reply) => {
    const q = request.query as { sink?: string; limit: number };
    if (checkSink(view, reply, q.sink)) return reply;
    const rows = view.buffer.deadLetters(q);
    return { count: rows.length, deadLetters: rows };
  });

  const action = (name: 'replay' | 'purge') => async (request: { body: unknown }, reply: FastifyReply) => {
    const body = request.body as DeadLetterAction;
    if (checkSink(view, reply, body.sink)) return reply;
    const change: DeadLetterChange = name === 'replay' ? view.replayDeadLetters(body) : view.purgeDeadLetters(body);
    app.log.info({ action: name, count: change.rows.length, notFound: change.notFound.length, sink: body.sink ?? null }, `dead letters: ${name}`);
    return { action: name, count: change.rows.length, rows: change.rows, notFound: change.notFound };
  };
  const actionSchema = { body: deadLetterAction, response: responses(deadLetterActionBody) };
  app.post('/api/dead-letters/replay', { schema: actionSchema }, action('replay'));
  app.post('/api/dead-letters/purge', { schema: actionSchema }, action('purge'));

  app.get('/api/quarantine', { schema: { querystring: quarantineQuery, response: responses(quarantineBody) } }, async (request) => {
    const q = request.query as { device?: string; limit: number };
    const rows = view.buffer.quarantine(q);
    return { count: rows.length, quarantine: rows };
  });
}
