// The centre's fleet page and its JSON API on `http.listen` (DESIGN.md "The centre"): `/` the
// page (fleetPage/), `/api/fleet` what it shows (fleet.ts), `/healthz`.
// Invariants:
// - Read-only: GET routes only; nothing here changes the database.
// - The Host guard of the gateway's local API runs first on every request (src/api/hostGuard.ts:
//   loopback, the listen host and http.allowedHosts; DNS rebinding answered 421).
// - With `http.token` every route but `/healthz` needs it as a bearer token (401, and the page
//   asks for it); central.yaml refuses a non-loopback listen without one.
// - The database away: `/api/fleet` answers 503 with the cause, and the page says so.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { hostGuard } from '../api/hostGuard.js';
import { bearerToken, tokenMatches } from '../util/bearer.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { LogLimiter } from '../util/logLimiter.js';
import type { CentralConfig } from './config.js';
import { fleetView } from './fleet.js';
import { FLEET_PAGE_CSP, FLEET_PAGE_HTML } from './fleetPage/page.js';
import type { CentralStore } from './store.js';

export interface FleetServerOptions {
  config: CentralConfig;
  store: CentralStore;
  log: Logger;
}

export class FleetServer {
  private app: FastifyInstance | undefined;
  constructor(private readonly options: FleetServerOptions) {}

  /** Gateway ids central.yaml names, with the verifier key it gives where it gives one. */
  private configuredGateways(): Record<string, string | undefined> {
    const { config } = this.options;
    const named: Record<string, string | undefined> = Object.fromEntries(Object.keys(config.https?.tokens ?? {}).map((id) => [id, undefined]));
    for (const [id, g] of Object.entries(config.gateways)) named[id] = g.logKey;
    return named;
  }

  async start(): Promise<{ url: string }> {
    const { config, store, log } = this.options;
    const http = config.http;
    const app = Fastify({ logger: false });
    this.app = app;
    const refusals = new LogLimiter(log);
    app.addHook('onClose', async () => refusals.flush());
    app.addHook('onRequest', hostGuard({ listenHost: http.listen.host, allowedHosts: http.allowedHosts }, refusals));
    app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?', 1)[0];
      if (!http.token || path === '/healthz' || path === '/') return;
      const presented = bearerToken(request.headers.authorization);
      if (presented !== undefined && tokenMatches(http.token, presented)) return;
      refusals.warn('token', { code: 'GW_ERR_API_UNAUTHORIZED', route: path, remote: request.ip }, 'fleet API: a request without the bearer token of http.token');
      await reply.code(401).send({ error: 'a bearer token (http.token) is required', code: 'GW_ERR_API_UNAUTHORIZED' });
    });
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', FLEET_PAGE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .send(FLEET_PAGE_HTML),
    );
    app.get('/healthz', async () => ({ ok: true }));
    app.get('/api/fleet', async (_request, reply) => {
      try {
        const fleet = await fleetView(store, { centre: { id: config.central.id, engine: store.engine }, configured: this.configuredGateways() });
        return reply.header('cache-control', 'no-store').send(fleet);
      } catch (error) {
        log.warn({ code: 'GW_ERR_CENTRAL_STORE_UNAVAILABLE', err: error }, 'fleet API: cannot read the database');
        return reply.code(503).send({ error: `the database is not available: ${errorMessage(error).slice(0, 200)}`, code: 'GW_ERR_CENTRAL_STORE_UNAVAILABLE' });
      }
    });
    const url = await app.listen({ host: http.listen.host, port: http.listen.port }).catch((error: NodeJS.ErrnoException) => {
      void app.close();
      const where = `${http.listen.host}:${http.listen.port}`;
      const hint = error.code === 'EADDRINUSE' ? ' is in use (another central process on this host serving the fleet page?): give each process its own http.listen, or http.enabled: false' : `: ${error.message}`;
      throw new GatewayError('GW_ERR_API_UNAVAILABLE', `fleet page: http.listen ${where}${hint}`, { cause: error });
    });
    log.info({ url }, 'central: fleet page listening');
    return { url };
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }
}
