// Starts and stops the local API of a running gateway on `api.listen` (default 127.0.0.1:8080).
// It is the ApiStarter (view.ts) the composition root hands to the Gateway (GatewayDeps.api), which
// calls it with its view once everything else runs and closes it first when it stops.
// Invariants:
// - The API is for diagnosis; punches must flow without it. When it cannot listen (port taken,
//   not permitted) the error is logged with GW_ERR_API_UNAVAILABLE and the gateway keeps running.
// - `close` ends open connections (a status page keeps one alive) and detaches from the buffer.
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { buildApiApp } from './app.js';
import type { ApiServer, GatewayView } from './view.js';

/** Serves the API of `view` on its api.listen; undefined when it cannot listen (logged). */
export async function startApiServer(view: GatewayView, log: Logger): Promise<ApiServer | undefined> {
  const { host, port } = view.api.listen;
  let app: FastifyInstance | undefined;
  try {
    app = await buildApiApp({ view, token: view.api.token, log });
    await app.listen({ host, port });
  } catch (error) {
    log.error({ code: 'GW_ERR_API_UNAVAILABLE', err: error, host, port }, 'local API not started; punches still flow');
    await app?.close().catch(() => undefined);
    return undefined;
  }
  const bound = app.server.address() as AddressInfo;
  const urlHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  log.info({ host: bound.address, port: bound.port }, 'local API listening');
  const running = app;
  return {
    address: { host: bound.address, port: bound.port },
    url: `http://${urlHost}:${bound.port}`,
    close: () => running.close(),
  };
}
