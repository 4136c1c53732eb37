// Bearer-token check of the local API (DESIGN.md "Local API").
// Invariants:
// - When a token is configured, every route except /healthz and the status-page shell `/` needs
//   `Authorization: Bearer <token>`. `/` holds no data (the page fetches everything through the
//   API with the token), and a browser cannot send a header on navigation.
// - The config refuses a non-loopback api.listen without a token; `requiresToken` refuses it again
//   here so that a hand-built app can never expose data unauthenticated.
// - Tokens are compared in constant time: both sides are hashed to SHA-256 digests of equal
//   length and compared with crypto.timingSafeEqual (src/util/bearer.ts), so neither content nor
//   length leaks.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost } from '../config/schema.js';
import { bearerToken, tokenMatches } from '../util/bearer.js';
import { GatewayError } from '../util/errors.js';

export { bearerToken, tokenMatches };

/** Routes reachable without the token. */
export const PUBLIC_PATHS = new Set(['/healthz', '/']);

/**
 * Whether requests must carry the token: whenever one is configured. Throws when the API would
 * listen beyond loopback without one.
 */
export function requiresToken(host: string, token: string | undefined): boolean {
  if (token) return true;
  if (!isLoopbackHost(host)) throw new GatewayError('GW_ERR_CONFIG_INVALID', `api.listen ${host} is not a loopback address: api.token is required`);
  return false;
}

/** An onRequest hook answering 401 unless the request carries the token. */
export function bearerAuth(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = request.url.split('?', 1)[0] as string;
    if (PUBLIC_PATHS.has(path)) return;
    const presented = bearerToken(request.headers.authorization);
    if (presented !== undefined && tokenMatches(token, presented)) return;
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="absensi-gateway"')
      .send({ error: presented === undefined ? 'missing bearer token' : 'wrong bearer token', code: 'GW_ERR_API_UNAUTHORIZED' });
  };
}
