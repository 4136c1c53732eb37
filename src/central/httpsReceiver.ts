// The centre's HTTPS punch-batch/v1 endpoint (DESIGN.md "HTTPS (contract)", "The centre"): for
// gateways that deliver over HTTPS instead of (or beside) MQTT.
// Invariants:
// - A request names its gateway by its bearer token alone (one per gateway, compared in constant
//   time); a body naming another gateway is refused 403. No token, or an unknown one: 401, which
//   makes the gateway hold its punches and say so.
// - 200 only after the transaction holding every valid punch of the batch committed; punches that
//   do not validate are listed in `rejected` (the gateway dead-letters them) and never stored. The
//   database away: 503 with Retry-After, the gateway sends the same batch again; ids make it
//   idempotent, so the Idempotency-Key is only logged.
// - The batch's checkpoint is stored and checked after the commit, as an MQTT checkpoint is.
// - Bodies are read up to `maxBodyBytes` after gunzip (Content-Encoding: gzip).
import { createGunzip } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { punchSchema, type Punch } from '../punch/punch.js';
import { bearerToken, tokenMatches } from '../util/bearer.js';
import type { CentralConfig } from './config.js';
import { contractProblem, storePunches } from './ingest.js';
import type { LogChecker } from './logCheck.js';
import type { CentralStore } from './store.js';

const batchSchema = z.object({
  schema: z.literal('punch-batch/v1'),
  gateway: z.string().min(1),
  site: z.string().min(1),
  punches: z.array(z.unknown()),
  checkpoint: z.string().optional(),
});

export interface HttpsReceiverCounts {
  batches: number;
  punchesStored: number;
  punchesDuplicate: number;
  rejected: number;
  refused: number;
}

export interface HttpsReceiverOptions {
  config: NonNullable<CentralConfig['https']>;
  store: CentralStore;
  checker: LogChecker;
  log: Logger;
}

export class CentralHttpsReceiver {
  readonly counts: HttpsReceiverCounts = { batches: 0, punchesStored: 0, punchesDuplicate: 0, rejected: 0, refused: 0 };
  private app: FastifyInstance | undefined;
  constructor(private readonly options: HttpsReceiverOptions) {}

  /** The gateway a bearer token belongs to; every token is compared, so the time says nothing. */
  private gatewayOf(header: string | undefined): string | undefined {
    const presented = bearerToken(header);
    if (!presented) return undefined;
    let found: string | undefined;
    for (const [gateway, { token }] of Object.entries(this.options.config.tokens)) if (tokenMatches(token, presented) && !found) found = gateway;
    return found;
  }

  async start(): Promise<{ url: string }> {
    const { config, log } = this.options;
    const tls = config.cert && config.key ? { https: { cert: config.cert, key: config.key } } : {};
    const app = Fastify({ bodyLimit: config.maxBodyBytes, logger: false, ...tls });
    this.app = app;
    app.addHook('preParsing', async (request, _reply, payload) => (request.headers['content-encoding'] === 'gzip' ? payload.pipe(createGunzip()) : payload));
    app.post('/api/punches', async (request, reply) => {
      const gateway = this.gatewayOf(request.headers.authorization);
      if (!gateway) {
        this.counts.refused += 1;
        log.warn({ code: 'GW_ERR_CENTRAL_MESSAGE_INVALID', remote: request.ip }, 'central https: a batch without a known bearer token; refused 401');
        return reply.code(401).send({ error: 'a bearer token of a configured gateway is required' });
      }
      const batch = batchSchema.safeParse(request.body);
      if (!batch.success) return reply.code(400).send({ error: `not a punch-batch/v1: ${batch.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
      if (batch.data.gateway !== gateway) {
        this.counts.refused += 1;
        log.warn({ code: 'GW_ERR_CENTRAL_MESSAGE_INVALID', gateway, claims: batch.data.gateway }, 'central https: a batch naming another gateway than its token; refused 403');
        return reply.code(403).send({ error: `this token is gateway ${gateway}'s, the batch says ${batch.data.gateway}` });
      }
      const valid: Punch[] = [];
      const rejected: { id: string; reason: string }[] = [];
      for (const item of batch.data.punches) {
        const parsed = punchSchema.safeParse(item);
        const id = typeof (item as { id?: unknown })?.id === 'string' ? ((item as { id: string }).id) : '';
        if (!parsed.success) rejected.push({ id, reason: `not punch/v1: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
        else if (parsed.data.gateway !== gateway || parsed.data.site !== batch.data.site) rejected.push({ id, reason: `a punch of ${parsed.data.site}/${parsed.data.gateway} in a batch of ${batch.data.site}/${gateway}` });
        else {
          const problem = contractProblem(parsed.data);
          if (problem) rejected.push({ id, reason: problem });
          else valid.push(parsed.data);
        }
      }
      let stored = 0;
      try {
        stored = await this.options.store.transaction(async (tx) => (await storePunches(tx, valid)).size);
      } catch (error) {
        log.warn({ code: 'GW_ERR_CENTRAL_STORE_UNAVAILABLE', err: error, gateway }, 'central https: cannot store a batch; answered 503, the gateway sends it again');
        return reply.code(503).header('retry-after', '5').send({ error: 'the database is not available' });
      }
      this.counts.batches += 1;
      this.counts.punchesStored += stored;
      this.counts.punchesDuplicate += valid.length - stored;
      this.counts.rejected += rejected.length;
      if (rejected.length > 0) log.warn({ code: 'GW_ERR_CENTRAL_MESSAGE_INVALID', gateway, rejected: rejected.slice(0, 5), count: rejected.length }, 'central https: punches rejected (listed in the answer)');
      if (batch.data.checkpoint) {
        await this.options.checker.checkpointArrived(batch.data.checkpoint, batch.data.site, gateway).catch((error: unknown) => log.warn({ code: 'GW_ERR_CENTRAL_STORE_UNAVAILABLE', err: error, gateway }, 'central https: the batch\'s checkpoint was not checked; the next one will be'));
      }
      log.debug({ gateway, idempotencyKey: request.headers['idempotency-key'], stored, duplicates: valid.length - stored, rejected: rejected.length }, 'central https: batch committed');
      return { accepted: stored, duplicates: valid.length - stored, rejected };
    });
    const address = await app.listen(config.listen);
    log.info({ url: address }, 'central https: listening for punch batches');
    return { url: address };
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }
}
