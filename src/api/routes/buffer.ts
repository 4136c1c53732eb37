// Routes over the buffer: punch search with per-sink state, queue stats, dead letters (list,
// replay, purge) and quarantine. All reads go through src/buffer/queries.ts on the daemon's own
// connection, with the dispatchers' in-memory cursors (fresher than the persisted ones).
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  listDeadLetters,
  listQuarantine,
  purgeDeadLetters,
  replayDeadLetters,
  searchPunches,
  type DeadLetterChange,
} from '../../buffer/queries.js';
import type { Gateway } from '../../gateway.js';
import { GatewayError } from '../../util/errors.js';
import type { ApiContext } from '../app.js';
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

/** The daemon's connection; a 503 (GW_ERR_BUFFER_UNAVAILABLE) once the buffer is closed. */
function openDb(gateway: Gateway) {
  if (gateway.buffer.isClosed) throw new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'the buffer is closed');
  return gateway.buffer.database;
}

/** The in-memory cursors; not `stats()`, whose count(*) would make every search scan the buffer. */
function liveCursors(gateway: Gateway): Map<string, number> {
  return gateway.buffer.ackedSeqs();
}

function badRequest(reply: FastifyReply, error: string, details?: unknown): FastifyReply {
  return reply.code(400).send({ error, code: 'GW_ERR_API_BAD_REQUEST', ...(details === undefined ? {} : { details }) });
}

/** A 400 for a sink that is not configured, or undefined when the sink is fine. */
function checkSink(gateway: Gateway, reply: FastifyReply, sink: string | undefined): FastifyReply | undefined {
  if (sink === undefined || gateway.buffer.sinks.includes(sink)) return undefined;
  return badRequest(reply, `unknown sink "${sink}"; configured: ${gateway.buffer.sinks.join(', ') || 'none'}`, { sinks: gateway.buffer.sinks });
}

export function registerBufferRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { gateway } = ctx;
  const zone = gateway.config.gateway.timezone;

  app.get('/api/punches', { schema: { querystring: punchesQuery, response: responses(punchesBody) } }, async (request, reply) => {
    const q = request.query as PunchesQuery;
    const sinceUtc = q.since === undefined ? undefined : utcBound(q.since, zone, 'since');
    const untilUtc = q.until === undefined ? undefined : utcBound(q.until, zone, 'until');
    if ((q.since !== undefined && !sinceUtc) || (q.until !== undefined && !untilUtc)) {
      return badRequest(reply, 'since/until is not a real calendar time', [{ path: [sinceUtc ? 'until' : 'since'], message: 'not a real calendar time' }]);
    }
    const found = searchPunches(openDb(gateway), { pin: q.pin, device: q.device, sinceUtc, untilUtc, limit: q.limit }, { sinks: gateway.buffer.sinks, cursors: liveCursors(gateway) });
    return { count: found.length, limit: q.limit, punches: found.map((p) => ({ ...p.punch, sinks: p.sinks })) };
  });

  app.get('/api/queue', { schema: { response: responses(queueBody) } }, async () => {
    const stats = gateway.buffer.stats();
    const now = Date.now();
    return {
      ...stats,
      sinks: stats.sinks.map((s) => {
        const health = gateway.publishers.find((p) => p.sink === s.sink)?.health();
        return {
          ...s,
          oldestPendingAgeSec: s.oldestPendingAt ? Math.max(0, Math.round((now - Date.parse(s.oldestPendingAt)) / 1000)) : null,
          connected: health?.connected ?? false,
          halted: health?.halted ?? null,
          lastError: health?.lastError ?? null,
          lastSuccessAt: health?.lastSuccessAt ?? null,
        };
      }),
    };
  });

  app.get('/api/dead-letters', { schema: { querystring: deadLettersQuery, response: responses(deadLettersBody) } }, async (request, reply) => {
    const q = request.query as { sink?: string; limit: number };
    if (checkSink(gateway, reply, q.sink)) return reply;
    const rows = listDeadLetters(openDb(gateway), q);
    return { count: rows.length, deadLetters: rows };
  });

  const action = (name: 'replay' | 'purge') => async (request: { body: unknown }, reply: FastifyReply) => {
    const body = request.body as DeadLetterAction;
    if (checkSink(gateway, reply, body.sink)) return reply;
    const db = openDb(gateway);
    const change: DeadLetterChange = name === 'replay' ? replayDeadLetters(db, body) : purgeDeadLetters(db, body);
    if (name === 'replay') {
      const sinks = new Set(change.rows.map((r) => r.sink));
      for (const dispatcher of gateway.dispatchers) if (sinks.has(dispatcher.sink)) dispatcher.poke();
    }
    app.log.info({ action: name, count: change.rows.length, notFound: change.notFound.length, sink: body.sink ?? null }, `dead letters: ${name}`);
    return { action: name, count: change.rows.length, rows: change.rows, notFound: change.notFound };
  };
  const actionSchema = { body: deadLetterAction, response: responses(deadLetterActionBody) };
  app.post('/api/dead-letters/replay', { schema: actionSchema }, action('replay'));
  app.post('/api/dead-letters/purge', { schema: actionSchema }, action('purge'));

  app.get('/api/quarantine', { schema: { querystring: quarantineQuery, response: responses(quarantineBody) } }, async (request) => {
    const q = request.query as { device?: string; limit: number };
    const rows = listQuarantine(openDb(gateway), q);
    return { count: rows.length, quarantine: rows };
  });
}
