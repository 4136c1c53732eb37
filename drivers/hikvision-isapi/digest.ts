// HTTP Digest access authentication, client side (RFC 7616; RFC 2617 without qop still answered).
// Invariants:
// - Pure functions plus one small session object; no I/O. The password never leaves `respond`
//   except hashed, and nothing here logs.
// - Algorithms: MD5, SHA-256 and their -sess variants; qop "auth" (auth-int is not offered by
//   ISAPI devices and is refused with a clear error rather than answered wrongly).
// - The nonce count is per nonce: it starts at 00000001 and increases with every request; a new
//   challenge (e.g. after 401 stale=true) resets it.
import { createHash, randomBytes } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  /** qop values offered; empty for an RFC 2069 challenge */
  qop: string[];
  opaque?: string;
  stale: boolean;
}

export interface DigestInput {
  challenge: DigestChallenge;
  method: string;
  /** request-target as sent: path and query */
  uri: string;
  username: string;
  password: string;
  nc: number;
  cnonce: string;
}

const ALGORITHMS: Record<string, DigestAlgorithm> = { 'md5': 'MD5', 'md5-sess': 'MD5-sess', 'sha-256': 'SHA-256', 'sha-256-sess': 'SHA-256-sess' };

/** The auth-params of a `WWW-Authenticate: Digest …` header (quoted or token values). */
export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const match of text.matchAll(pattern)) {
    params[(match[1] as string).toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] as string);
  }
  return params;
}

/**
 * Picks the Digest challenge from one or more `WWW-Authenticate` values, preferring SHA-256 when
 * the server offers several (RFC 7616 §3.7). Undefined when no usable Digest challenge is there.
 */
export function parseDigestChallenge(headers: string | string[]): DigestChallenge | undefined {
  const values = (Array.isArray(headers) ? headers : [headers]).flatMap((h) => h.split(/,\s*(?=(?:Digest|Basic|Bearer)\s)/i));
  const challenges: DigestChallenge[] = [];
  for (const value of values) {
    const match = /^\s*Digest\s+(.*)$/is.exec(value);
    if (!match) continue;
    const p = parseAuthParams(match[1] as string);
    const algorithm = ALGORITHMS[(p.algorithm ?? 'MD5').toLowerCase()];
    if (!p.realm || !p.nonce || !algorithm) continue;
    challenges.push({
      realm: p.realm,
      nonce: p.nonce,
      algorithm,
      qop: (p.qop ?? '').split(',').map((q) => q.trim()).filter(Boolean),
      ...(p.opaque !== undefined ? { opaque: p.opaque } : {}),
      stale: (p.stale ?? '').toLowerCase() === 'true',
    });
  }
  return challenges.find((c) => c.algorithm.startsWith('SHA-256')) ?? challenges[0];
}

function hashOf(algorithm: DigestAlgorithm): (text: string) => string {
  const name = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  return (text) => createHash(name).update(text, 'utf8').digest('hex');
}

/** The `response` value and the qop used, per RFC 7616 §3.4.1 (or RFC 2069 without qop). */
export function digestResponse(input: DigestInput): { response: string; qop?: 'auth' } {
  const { challenge: c } = input;
  const h = hashOf(c.algorithm);
  const qop = c.qop.length === 0 ? undefined : c.qop.includes('auth') ? 'auth' : null;
  if (qop === null) throw new Error(`digest: the server offers only qop=${c.qop.join(',')}; this client answers qop=auth`);
  let ha1 = h(`${input.username}:${c.realm}:${input.password}`);
  if (c.algorithm.endsWith('-sess')) ha1 = h(`${ha1}:${c.nonce}:${input.cnonce}`);
  const ha2 = h(`${input.method}:${input.uri}`);
  if (!qop) return { response: h(`${ha1}:${c.nonce}:${ha2}`) };
  return { response: h(`${ha1}:${c.nonce}:${formatNc(input.nc)}:${input.cnonce}:${qop}:${ha2}`), qop };
}

export function formatNc(nc: number): string {
  return nc.toString(16).padStart(8, '0');
}

const quote = (value: string): string => `"${value.replace(/(["\\])/g, '\\$1')}"`;

/** The `Authorization: Digest …` header value for one request. */
export function digestAuthorization(input: DigestInput): string {
  const { challenge: c } = input;
  const { response, qop } = digestResponse(input);
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(input.uri)}`,
    `algorithm=${c.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${formatNc(input.nc)}`, `cnonce=${quote(input.cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/** One client's digest state toward one server: the current challenge and its nonce count. */
export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(
    private readonly username: string,
    private readonly password: string,
    private readonly makeCnonce: () => string = () => randomBytes(16).toString('hex'),
  ) {}

  get hasChallenge(): boolean {
    return this.challenge !== undefined;
  }

  /** Adopt a (new) challenge; the nonce count starts again. */
  accept(challenge: DigestChallenge): void {
    this.challenge = challenge;
    this.nc = 0;
  }

  forget(): void {
    this.challenge = undefined;
    this.nc = 0;
  }

  /** Authorization header for the next request, or undefined before any challenge. */
  authorize(method: string, uri: string): string | undefined {
    if (!this.challenge) return undefined;
    this.nc += 1;
    return digestAuthorization({ challenge: this.challenge, method, uri, username: this.username, password: this.password, nc: this.nc, cnonce: this.makeCnonce() });
  }
}
