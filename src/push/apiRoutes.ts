// Local API routes for push terminals (registered by src/api/app.ts; same auth as every route):
// - POST /api/devices/:id/backfill {since?, until?}: queue `DATA QUERY ATTLOG` for a zk-push
//   terminal; 202 with the command id. The terminal runs it on its next getrequest poll and uploads
//   the range again; punch ids make the re-upload duplicates. This is how `pull` reaches push
//   terminals: the CLI cannot call a terminal that calls us, so it asks the running daemon.
// - GET /api/push/unknown: terminals that called with a serial no device entry names.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Gateway } from '../gateway.js';
import { formatLocal, zoneOffsetMinutes } from '../punch/time.js';

const LOCAL = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

export const backfillRequest = z.strictObject({
  since: z.string().regex(LOCAL, 'expected 2026-01-01 or 2026-01-01T07:00:00 (terminal local time)').optional(),
  until: z.string().regex(LOCAL, 'expected 2026-01-31 or 2026-01-31T18:00:00 (terminal local time)').optional(),
});

/** What a push driver offers the API: queue a backfill of [since, until] (terminal-local). */
export interface BackfillTarget {
  queueBackfill(sinceLocal: string, untilLocal: string): { id: string; result: Promise<unknown> };
}

function isBackfillTarget(driver: unknown): driver is BackfillTarget {
  return typeof (driver as Partial<BackfillTarget> | undefined)?.queueBackfill === 'function';
}

/** `2026-01-01` → `2026-01-01T00:00:00`; `…T07:00` → `…T07:00:00`; `end` rounds a bare date up. */
export function fullLocal(text: string, end = false): string {
  if (text.length === 10) return `${text}T${end ? '23:59:59' : '00:00:00'}`;
  return text.length === 16 ? `${text}:${end ? '59' : '00'}` : text;
}

export function registerPushRoutes(app: FastifyInstance, gateway: Gateway): void {
  app.post('/api/devices/:id/backfill', { schema: { body: backfillRequest } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = (request.body ?? {}) as z.output<typeof backfillRequest>;
    const device = gateway.config.devices.find((d) => d.id === id);
    if (!device) return reply.code(404).send({ error: `no device "${id}"`, code: 'GW_ERR_API_NOT_FOUND' });
    const driver = gateway.supervisor.driverOf(id);
    if (!isBackfillTarget(driver)) {
      return reply.code(409).send({ error: `device "${id}" (${device.driver}) takes no queued backfill; use \`pull\` directly, or it is not running`, code: 'GW_ERR_API_BAD_REQUEST' });
    }
    const zone = device.timezone ?? gateway.config.gateway.timezone;
    const since = fullLocal(body.since ?? '2000-01-01');
    // a day past the gateway's "now" in the device zone: a terminal clock somewhat ahead is covered
    const until = body.until ? fullLocal(body.until, true) : formatLocal(Date.now() + 86_400_000, zoneOffsetMinutes(zone, Date.now()));
    const queued = driver.queueBackfill(since, until);
    request.log.info({ device: id, commandId: queued.id, since, until }, 'backfill queued for the push terminal');
    return reply.code(202).send({ device: id, commandId: queued.id, since, until });
  });

  app.get('/api/push/unknown', async () => ({ terminals: gateway.push?.unknown() ?? [] }));
}
