// How the HTTPS sink sends a kiosk photo (publish.photos; README "Publishing photos"):
// `PUT <photosUrl>/<sha256>` with the JPEG as the body, `Content-Type: image/jpeg`, and
// `X-Punch-Id` / `X-Device-Id` naming whose it is. A PUT by hash is idempotent: sending it again
// after a lost answer is always safe.
import type { OutgoingHttpHeaders } from 'node:http';
import type { PhotoOutcome } from './photos.js';

/** `<url>/photos` next to the punch-batch endpoint, unless publish.https.photosUrl says otherwise. */
export function photosBaseUrl(url: string, photosUrl?: string): URL {
  return new URL(photosUrl ?? `${url.replace(/\/+$/, '')}/photos`);
}

export function photoUrl(base: URL, sha256: string): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${sha256}`;
  return url;
}

/** The batch headers (authorization, user agent, extra headers) made fit for a raw JPEG body. */
export function photoHeaders(batchHeaders: Record<string, string>, photo: { punchId: string; deviceId: string; bytes: number }): OutgoingHttpHeaders {
  const { 'content-encoding': _gzip, ...rest } = batchHeaders;
  return { ...rest, 'content-type': 'image/jpeg', 'content-length': String(photo.bytes), 'x-punch-id': photo.punchId, 'x-device-id': photo.deviceId };
}

/** 2xx sent; 401/403 stop the sink; 408, 429 and 5xx are retried (Retry-After); any other status refuses that photo for good. */
export function photoOutcomeOf(status: number, retryAfterMs?: number): PhotoOutcome {
  if (status >= 200 && status < 300) return { kind: 'sent' };
  const error = `http ${status} for a photo`;
  if (status === 401 || status === 403) return { kind: 'failed', error, halt: 'auth' };
  if (status === 408 || status === 429 || status >= 500) return { kind: 'failed', error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  return { kind: 'refused', reason: error };
}
