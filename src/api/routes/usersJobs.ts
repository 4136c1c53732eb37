// The `users` CLI through the daemon (same auth and Host/Origin rules as every route):
// - POST /api/users/jobs {command: list|export|copy|import, …}: starts a users job in the daemon
//   (src/commands/usersJobs.ts); 202 with the job. 404 no such device, 409 GW_ERR_USERS_JOB_BUSY
//   (another job works on one of its devices), GW_ERR_USERS_UNSUPPORTED or
//   GW_ERR_USERS_DAEMON_HOLDING (a one-client terminal whose driver does not lend), 400 a bad body.
// - GET /api/users/jobs/:id: its progress (phase, done/total per device) and, once ended, its
//   outcome or its error.
// Invariants:
// - Only what src/users/shown.ts and job.ts declare leaves: counts, per-user outcomes with codes,
//   the diff's changed fields, conflicts (PIN, name, card), file paths; never a template, a
//   password. The response schema lists every key, so nothing added upstream is serialised.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { usersJobOutcomeSchema, usersJobSpecSchema, type UsersJobSpec } from '../../users/job.js';
import { GatewayError } from '../../util/errors.js';
import type { ApiContext } from '../context.js';
import { responses } from '../schemas.js';

export const usersJobBody = z.object({
  id: z.string(),
  command: z.enum(['list', 'export', 'copy', 'import']),
  state: z.enum(['running', 'done', 'failed']),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  devices: z.array(z.object({ deviceId: z.string(), phase: z.string(), done: z.number(), total: z.number().nullable() })),
  outcome: usersJobOutcomeSchema.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

const jobParams = z.strictObject({ id: z.string().uuid() });

const STATUS_OF: Partial<Record<string, number>> = {
  GW_ERR_API_NOT_FOUND: 404,
  GW_ERR_USERS_JOB_BUSY: 409,
  GW_ERR_USERS_UNSUPPORTED: 409,
  GW_ERR_USERS_DAEMON_HOLDING: 409,
  GW_ERR_USERS_INPUT_INVALID: 400,
  GW_ERR_DEVICE_UNREACHABLE: 503,
};

export function registerUsersJobRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { view } = ctx;

  app.post('/api/users/jobs', { schema: { body: usersJobSpecSchema, response: responses(usersJobBody, 202) } }, async (request, reply) => {
    const spec = request.body as UsersJobSpec;
    try {
      const job = view.startUsersJob(spec);
      return await reply.code(202).send(job);
    } catch (error) {
      const status = error instanceof GatewayError ? STATUS_OF[error.code] : undefined;
      if (!status || !(error instanceof GatewayError)) throw error;
      return reply.code(status).send({ error: error.message, code: error.code });
    }
  });

  app.get('/api/users/jobs/:id', { schema: { params: jobParams, response: responses(usersJobBody) } }, async (request, reply) => {
    const { id } = request.params as z.output<typeof jobParams>;
    const job = view.usersJob(id);
    if (!job) return reply.code(404).send({ error: `no users job "${id}" (the daemon keeps the last 20 finished ones, until it restarts)`, code: 'GW_ERR_API_NOT_FOUND' });
    return job;
  });
}
