// GET /api/users/conflicts (same auth as every route): each userSync group's conflicts at its last
// round — one PIN held with another name or card on two terminals — and how that round went.
// Invariants:
// - Only PIN, device ids, names and card numbers leave: never a template, a password, a privilege;
//   the response schema lists every key, so a field added upstream is not serialized by accident.
// - A group whose first round has not ended is listed with `lastRoundAt: null` and no conflicts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { responses } from '../schemas.js';

const holder = z.object({ deviceId: z.string(), name: z.string(), card: z.string() });
const member = z.object({ deviceId: z.string(), ok: z.boolean(), written: z.number(), failed: z.number(), skippedForAlgorithm: z.number(), code: z.string().nullable() });

export const userConflictsBody = z.object({
  groups: z.array(
    z.object({
      group: z.string(),
      devices: z.array(z.string()),
      lastRoundAt: z.string().nullable(),
      result: z.enum(['ok', 'partial', 'failed']).nullable(),
      members: z.array(member),
      conflicts: z.array(z.object({ pin: z.string(), fields: z.array(z.enum(['name', 'card'])), devices: z.array(holder) })),
    }),
  ),
});

export function registerUsersRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { view } = ctx;
  app.get('/api/users/conflicts', { schema: { response: responses(userConflictsBody) } }, async () => ({
    groups: view.userSyncRounds().map(({ group, devices, last }) => ({
      group,
      devices: [...devices],
      lastRoundAt: last?.at ?? null,
      result: last?.result ?? null,
      members: (last?.members ?? []).map((m) => ({ deviceId: m.deviceId, ok: m.ok, written: m.written, failed: m.failed, skippedForAlgorithm: m.skippedForAlgorithm, code: m.error?.code ?? null })),
      conflicts: (last?.conflicts ?? []).map((c) => ({ pin: c.pin, fields: c.fields, devices: c.devices.map((d) => ({ deviceId: d.deviceId, name: d.name, card: d.card })) })),
    })),
  }));
}
