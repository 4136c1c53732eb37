// Bearer tokens, for every listener that takes one (the local API, the centre's HTTPS endpoint).
// Tokens are compared in constant time: both sides are hashed to SHA-256 digests of equal length
// and compared with crypto.timingSafeEqual, so neither content nor length leaks.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time comparison of a presented token with the configured one. */
export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S.*?)\s*$/i.exec(header ?? '');
  return match?.[1];
}
