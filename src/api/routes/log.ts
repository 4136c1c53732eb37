// Routes over the punch log (README "Punch log"): the latest signed checkpoint as the note itself,
// and RFC 9162 inclusion and consistency proofs, all through the view's `log` (GatewayView).
// Invariants:
// - The checkpoint is served as text/plain exactly as signed (a signed note), never re-encoded.
// - Hashes are base64 (as in checkpoints); a size or leaf the log does not hold is a 400, a log
//   that is not there (or not yet signed) a 503.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiContext } from '../context.js';
import { consistencyBody, consistencyQuery, inclusionBody, inclusionQuery, responses } from '../schemas.js';

const b64 = (hash: Buffer): string => hash.toString('base64');

function rangeToBadRequest<T>(reply: FastifyReply, answer: () => T): T | FastifyReply {
  try {
    return answer();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return reply.code(400).send({ error: error.message, code: 'GW_ERR_API_BAD_REQUEST' });
  }
}

export function registerLogRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { view } = ctx;

  app.get('/api/log/checkpoint', async (_request, reply) => {
    const checkpoint = view.log.checkpoint();
    if (!checkpoint) return reply.code(503).send({ error: 'no checkpoint signed yet (the buffer keeps no punch log, or the gateway is starting)', code: 'GW_ERR_BUFFER_UNAVAILABLE' });
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(checkpoint.note);
  });

  app.get('/api/log/inclusion', { schema: { querystring: inclusionQuery, response: responses(inclusionBody) } }, async (request, reply) => {
    const { index, size } = request.query as { index: number; size: number };
    return rangeToBadRequest(reply, () => {
      const proof = view.log.inclusion(index, size);
      return { origin: proof.origin, index, size, leafHash: b64(proof.leafHash), rootHash: b64(proof.rootHash), path: proof.path.map(b64) };
    });
  });

  app.get('/api/log/consistency', { schema: { querystring: consistencyQuery, response: responses(consistencyBody) } }, async (request, reply) => {
    const { from, to } = request.query as { from: number; to: number };
    return rangeToBadRequest(reply, () => {
      const proof = view.log.consistency(from, to);
      return { origin: proof.origin, from, to, fromRoot: b64(proof.fromRoot), toRoot: b64(proof.toRoot), path: proof.path.map(b64) };
    });
  });
}
