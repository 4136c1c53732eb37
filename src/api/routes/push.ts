// Routes for push terminals (same auth as every route):
// - POST /api/devices/:id/backfill {since?, until?}: queue `DATA QUERY ATTLOG` for a zk-push
//   terminal; 202 with the command id. The terminal runs it on its next getrequest poll and uploads
//   the range again; punch ids make the re-upload duplicates. This is how `pull` reaches push
//   terminals: the CLI cannot call a terminal that calls us, so it asks the running daemon.
// - GET /api/push/unknown: terminals that called with a serial no device entry names.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatLocal, fullLocalTime, zoneOffsetMinutes } from '../../punch/time.js';
import type { ApiContext } from '../context.js';

const LOCAL = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

export const backfillRequest = z.strictObject({
  since: z.string().regex(LOCAL, 'expected 2026-01-01 or 2026-01-01T07:00:00 (terminal local time)').optional(),
  until: z.string().regex(LOCAL, 'expected 2026-01-31 or 2026-01-31T18:00:00 (terminal local time)').optional(),
});

export function registerPushRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { view } = ctx;

  app.post('/api/devices/:id/backfill', { schema: { body: backfillRequest } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = (request.body ?? {}) as z.output<typeof backfillRequest>;
    const device = view.devices().find((d) => d.id === id);
    if (!device) return reply.code(404).send({ error: `no device "${id}"`, code: 'GW_ERR_API_NOT_FOUND' });
    const zone = device.timezone ?? view.gateway.timezone;
    const since = fullLocalTime(body.since ?? '2000-01-01');
    // a day past the gateway's "now" in the device zone: a terminal clock somewhat ahead is covered
    const until = body.until ? fullLocalTime(body.until, true) : formatLocal(Date.now() + 86_400_000, zoneOffsetMinutes(zone, Date.now()));
    const queued = view.queueBackfill(id, since, until);
    if (!queued) {
      return reply.code(409).send({ error: `device "${id}" (${device.driver}) takes no queued backfill; use \`pull\` directly, or it is not running`, code: 'GW_ERR_API_BAD_REQUEST' });
    }
    request.log.info({ device: id, commandId: queued.commandId, since, until }, 'backfill queued for the push terminal');
    return reply.code(202).send({ device: id, commandId: queued.commandId, since, until });
  });

  app.get('/api/push/unknown', async () => ({ terminals: view.unknownPushTerminals() }));
}
