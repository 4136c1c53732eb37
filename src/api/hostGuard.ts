// The local API against DNS rebinding and cross-site requests (DESIGN.md "Trust at the edge").
// A web page opened on the gateway PC can make the browser talk to 127.0.0.1 under a DNS name the
// page controls (rebinding), or post to it from its own origin; neither may read or change anything.
// Invariants:
// - A request is answered only when its Host names a loopback address or `localhost` (any port),
//   the configured listen host, or one of api.allowedHosts. With a wildcard listen (0.0.0.0, ::)
//   any IP literal is accepted too: a rebinding page always reaches the API under a DNS name, and a
//   page on another origin cannot read what an IP-literal origin answers. Anything else: 421.
// - A state-changing request (POST, PUT, PATCH, DELETE) carrying an Origin other than the API's
//   own (its Host, either scheme; `null` is never its own) or `Sec-Fetch-Site: cross-site` is
//   refused 403. A request without either header (curl, the CLI's fetch) passes: browsers send
//   Origin on every cross-origin POST.
// - Both refusals answer JSON `{error, code: GW_ERR_API_FORBIDDEN}` before the token check and
//   before any route runs, are counted (gateway_api_rejected_total{status}) and logged rate-limited.
// - A request without a Host header passes: HTTP/1.1 requires one (Node answers 400 without it) and
//   browsers always send it.
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LogLimiter } from '../util/logLimiter.js';
import { isLoopbackHost, unbracket } from '../util/loopback.js';

export interface HostPolicy {
  /** api.listen's host */
  listenHost: string;
  /** api.allowedHosts */
  allowedHosts: readonly string[];
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

/** The host part of a Host header (lower case, no brackets, no port, no root dot); undefined when malformed. */
export function hostnameOf(header: string): string | undefined {
  const text = header.trim().toLowerCase();
  // reg-name characters (RFC 3986 §3.2.2) or a bracketed IPv6 literal, then an optional port
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9._~!$&'()*+,;=%-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return undefined;
  return unbracket(match[1] as string).replace(/\.$/, '');
}

const canonical = (host: string): string => unbracket(host.trim().toLowerCase()).replace(/\.$/, '');

/** Whether the API answers a request with this Host header. */
export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  if (header === undefined) return true;
  const host = hostnameOf(header);
  if (host === undefined) return false;
  if (isLoopbackHost(host)) return true;
  const listen = canonical(policy.listenHost);
  if (host === listen) return true;
  if (WILDCARD_HOSTS.has(listen) && isIP(host) !== 0) return true;
  return policy.allowedHosts.some((allowed) => canonical(allowed) === host);
}

/** Why a state-changing request looks cross-site; undefined when it does not. */
export function crossSiteReason(headers: FastifyRequest['headers']): string | undefined {
  const fetchSite = headers['sec-fetch-site'];
  if (fetchSite === 'cross-site') return 'Sec-Fetch-Site: cross-site';
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const host = headers.host ?? '';
  let own: boolean;
  try {
    const url = new URL(origin);
    own = (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`${url.protocol}//${host}`).host;
  } catch {
    own = false; // `null` (sandboxed frames, file:// pages) and anything unparsable
  }
  return own ? undefined : `Origin ${origin.slice(0, 100)}`;
}

/** The onRequest hook: 421 for a foreign Host, 403 for a cross-site state change. */
export function hostGuard(policy: HostPolicy, limiter: LogLimiter) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const host = request.headers.host;
    if (!hostAllowed(host, policy)) {
      limiter.warn('host', { code: 'GW_ERR_API_FORBIDDEN', host: host?.slice(0, 100), remote: request.ip }, 'local API refused a request for a host it does not serve (DNS rebinding?); add the name to api.allowedHosts if it is yours');
      await reply.code(421).send({ error: `this API does not answer for host ${JSON.stringify(host?.slice(0, 100))}; use 127.0.0.1 or add the name to api.allowedHosts`, code: 'GW_ERR_API_FORBIDDEN' });
      return;
    }
    if (!STATE_CHANGING.has(request.method)) return;
    const reason = crossSiteReason(request.headers);
    if (reason === undefined) return;
    limiter.warn('origin', { code: 'GW_ERR_API_FORBIDDEN', reason, method: request.method, route: request.url.split('?', 1)[0], remote: request.ip }, 'local API refused a state-changing request from another web origin');
    await reply.code(403).send({ error: `refused: a ${request.method} from another web origin (${reason})`, code: 'GW_ERR_API_FORBIDDEN' });
  };
}
