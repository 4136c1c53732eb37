// The local API as a Fastify app factory (DESIGN.md "Local API"); server.ts is what listens.
// src/api reads the gateway through one narrow interface, GatewayView (view.ts), and imports no
// Gateway: routes/ answer from it, readiness.ts and scrapeGauges.ts compute from it, statusPage/
// is the browser page that reads the routes.
// Invariants:
// - Building the app never listens: tests drive it with inject(), the gateway with server.ts.
// - Every error answer is JSON `{error, code, details?}` with a GW_ERR_* code from the one catalog
//   (src/util/catalogue.ts): 400 bad query/body, 401 token, 403 cross-site change, 404 route, 421
//   foreign Host, 503 buffer closed, 500 else.
// - The Host/Origin guard (hostGuard.ts) runs first on every request, token or not.
// - Request URLs are not logged: the status page may carry `?token=` once.
// - Everything the app attaches to the gateway (the commit watch, the backlog sampler's timer) is
//   detached in onClose.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { GatewayError } from '../util/errors.js';
import { LogLimiter } from '../util/logLimiter.js';
import { bearerAuth, requiresToken } from './auth.js';
import { BacklogSampler, readBacklog } from './backlogSampler.js';
import type { ApiContext } from './context.js';
import { hostGuard } from './hostGuard.js';
import { CommitHealth } from './readiness.js';
import { registerBufferRoutes } from './routes/buffer.js';
import { registerChartRoutes } from './routes/charts.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerLogRoutes } from './routes/log.js';
import { registerPushRoutes } from './routes/push.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerUsersRoutes } from './routes/users.js';
import { registerUsersJobRoutes } from './routes/usersJobs.js';
import type { GatewayView } from './view.js';

export interface ApiAppOptions {
  view: GatewayView;
  /** bearer token; when set every route but /healthz and `/` needs it */
  token?: string | undefined;
  log: Logger;
  /** when this gateway started (shown on the status page); default: now */
  startedAt?: Date;
}

const WHOLE_INPUT: Record<string, string> = { querystring: '(query)', body: '(body)', params: '(path)', headers: '(headers)' };

/** One issue of a refused request in words: a query string's unknown key is a query parameter, not the body. */
function describeIssue(issue: z.core.$ZodIssue, context: string): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const what = context === 'querystring' ? 'query parameter' : 'key';
    return issue.keys.map((key) => `${where ? `${where}.${key}` : key}: unknown ${what}`).join('; ');
  }
  return `${where || (WHOLE_INPUT[context] ?? `(${context})`)}: ${issue.message}`;
}

export async function buildApiApp(options: ApiAppOptions): Promise<FastifyInstance> {
  const { view } = options;
  const authRequired = requiresToken(view.api.listen.host, options.token);
  const app = Fastify({
    loggerInstance: options.log.child({ component: 'api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    bodyLimit: 1024 * 1024,
  });
  app.setValidatorCompiler(({ schema }) => (data: unknown) => {
    const result = (schema as z.ZodType).safeParse(data);
    return result.success ? { value: result.data } : { error: result.error };
  });
  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.validationContext) {
      const issues = (error as unknown as z.ZodError).issues ?? [];
      return reply.code(400).send({
        error: `invalid ${error.validationContext}: ${issues.map((i) => describeIssue(i, error.validationContext as string)).join('; ')}`,
        code: 'GW_ERR_API_BAD_REQUEST',
        details: issues.map((i) => ({ path: i.path.map(String), message: i.message })),
      });
    }
    if (error instanceof GatewayError && error.code === 'GW_ERR_BUFFER_UNAVAILABLE') {
      return reply.code(503).send({ error: error.message, code: error.code });
    }
    if (status >= 400 && status < 500) return reply.code(status).send({ error: error.message, code: 'GW_ERR_API_BAD_REQUEST' });
    request.log.error({ err: error, code: 'GW_ERR_API_INTERNAL', route: request.routeOptions.url }, 'API request failed');
    return reply.code(500).send({ error: 'internal error; see the gateway log', code: 'GW_ERR_API_INTERNAL' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?', 1)[0]}`, code: 'GW_ERR_API_NOT_FOUND' }));
  const refusals = new LogLimiter(app.log as unknown as Logger);
  app.addHook('onClose', async () => refusals.flush());
  app.addHook('onRequest', hostGuard({ listenHost: view.api.listen.host, allowedHosts: view.api.allowedHosts ?? [] }, refusals));
  if (authRequired) app.addHook('onRequest', bearerAuth(options.token as string));
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) view.metrics.apiRejected.inc({ status: String(reply.statusCode) });
    request.log.debug({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'api request');
  });

  const commits = new CommitHealth(view.buffer);
  app.addHook('onClose', async () => commits.close());
  const backlog = new BacklogSampler((nowMs) => readBacklog(view.buffer, nowMs));
  backlog.start();
  app.addHook('onClose', async () => backlog.stop());
  const ctx: ApiContext = { view, commits, startedAt: options.startedAt ?? view.gateway.startedAt ?? new Date(), authRequired, backlog };
  registerHealthRoutes(app, ctx);
  registerStatusRoutes(app, ctx);
  registerBufferRoutes(app, ctx);
  registerChartRoutes(app, ctx);
  registerPushRoutes(app, ctx);
  registerLogRoutes(app, ctx);
  registerUsersRoutes(app, ctx);
  registerUsersJobRoutes(app, ctx);
  await app.ready();
  return app;
}
