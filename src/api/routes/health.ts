// /healthz (the process answers), /readyz (it can take and hand on punches), /metrics (Prometheus).
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { readiness } from '../readiness.js';
import { healthBody, jsonSchema, readyBody } from '../schemas.js';
import { refreshScrapeGauges } from '../scrapeGauges.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/healthz', { schema: { response: { 200: jsonSchema(healthBody) } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: { response: { 200: jsonSchema(readyBody), 503: jsonSchema(readyBody) } } }, async (_request, reply) => {
    const state = readiness(ctx.view, ctx.commits);
    return reply.code(state.ready ? 200 : 503).send(state);
  });

  app.get('/metrics', async (_request, reply) => {
    refreshScrapeGauges(ctx.view);
    const { registry } = ctx.view.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
