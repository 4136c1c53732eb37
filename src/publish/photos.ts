// Kiosk punch photos to a sink, with `publish.photos: true` (DESIGN.md "Kiosks and apps"; README
// "Publishing photos"). A photo is personal data: without that setting nothing here runs, and a
// punch carries only `raw.photoSha256`.
// Invariants:
// - A punch that names a photo is handed to the sink only after its photo was delivered (MQTT
//   PUBACK, HTTPS 2xx), so a centre that holds the punch can already fetch the photo by its hash.
//   A photo that could not be sent for now stops the batch at that punch: it and the punches after
//   it are retried in commit order, like any undelivered punch — so photos survive a sink outage
//   exactly as punches do, with no queue of their own.
// - A photo the sink refuses for good (too large for the broker, an HTTPS 4xx other than 401/403/
//   408/429) or that is gone from the gateway (retention ran, or its bytes no longer match the
//   hash) never holds a punch back: the punch is sent without it, and that is logged with a code.
// - The bytes sent are the stored file's, checked against the hash the punch names.
// - A photo already delivered in this process is not sent again while its punch waits for its own
//   acknowledgement; after a restart it is sent again (at least once, like punches).
import type { Logger } from 'pino';
import type { OutgoingPunch } from '../buffer/punchBuffer.js';
import { isSha256Hex } from '../util/sha256.js';
import type { SendResult } from './publisher.js';

export const PHOTO_SCHEMA = 'punch-photo/v1';

/** Where the photos are: the kiosk's PhotoStore (src/kiosk/photos.ts). */
export interface PhotoSource {
  /** The photo's bytes when the file is there and still hashes to `sha256`; otherwise undefined. */
  read(deviceId: string, sha256: string): Promise<Uint8Array | undefined>;
}

export interface OutgoingPhoto {
  punchId: string;
  deviceId: string;
  sha256: string;
  jpeg: Uint8Array;
}

export type PhotoOutcome =
  | { kind: 'sent' }
  /** refused for good: the punch goes on without it */
  | { kind: 'refused'; reason: string }
  /** not delivered for now: the punch waits, as after any failed send */
  | { kind: 'failed'; error: string; retryAfterMs?: number; halt?: 'auth' };

export interface PhotoSinkSide {
  sendPhoto(photo: OutgoingPhoto, signal: AbortSignal): Promise<PhotoOutcome>;
  sendPunches(batch: OutgoingPunch[], signal: AbortSignal): Promise<SendResult>;
}

/** The SHA-256 a committed punch names in `raw.photoSha256`, if any. */
export function photoSha256Of(punch: OutgoingPunch): string | undefined {
  if (!punch.json.includes('"photoSha256"')) return undefined;
  const raw = (JSON.parse(punch.json) as { raw?: { photoSha256?: unknown } }).raw;
  const sha256 = raw?.photoSha256;
  return typeof sha256 === 'string' && isSha256Hex(sha256) ? sha256 : undefined;
}

export class PhotoForwarder {
  /** punch ids whose photo this sink has delivered while the punch itself is not yet acknowledged */
  private readonly delivered = new Set<string>();

  constructor(
    private readonly source: PhotoSource,
    private readonly options: { sink: string; log: Logger },
  ) {}

  async send(batch: OutgoingPunch[], signal: AbortSignal, side: PhotoSinkSide): Promise<SendResult> {
    let ready = batch.length;
    let failure: Extract<PhotoOutcome, { kind: 'failed' }> | undefined;
    for (let i = 0; i < batch.length; i += 1) {
      const punch = batch[i] as OutgoingPunch;
      const outcome = await this.deliverPhotoOf(punch, signal, side);
      if (outcome?.kind === 'failed') {
        ready = i;
        failure = outcome;
        break;
      }
    }
    const result = ready > 0 ? await side.sendPunches(batch.slice(0, ready), signal) : { acked: [], rejected: [] };
    for (const id of result.acked) this.delivered.delete(id);
    for (const { id } of result.rejected) this.delivered.delete(id);
    if (!failure) return result;
    return {
      ...result,
      error: result.error ?? `photo not delivered: ${failure.error}`,
      ...(failure.retryAfterMs !== undefined ? { retryAfterMs: Math.max(failure.retryAfterMs, result.retryAfterMs ?? 0) } : {}),
      ...(failure.halt ? { halt: failure.halt } : {}),
    };
  }

  private async deliverPhotoOf(punch: OutgoingPunch, signal: AbortSignal, side: PhotoSinkSide): Promise<PhotoOutcome | undefined> {
    const sha256 = photoSha256Of(punch);
    if (!sha256 || this.delivered.has(punch.id)) return undefined;
    const { sink, log } = this.options;
    const jpeg = await this.source.read(punch.deviceId, sha256);
    if (!jpeg) {
      log.warn({ code: 'GW_ERR_KIOSK_PHOTO_GONE', sink, punchId: punch.id, deviceId: punch.deviceId, photoSha256: sha256 }, 'kiosk photo no longer on the gateway (retention, or its file changed); the punch is published without it');
      return undefined;
    }
    const outcome = await side.sendPhoto({ punchId: punch.id, deviceId: punch.deviceId, sha256, jpeg }, signal);
    if (outcome.kind === 'refused') {
      log.error({ code: 'GW_ERR_SINK_REJECTED', sink, punchId: punch.id, deviceId: punch.deviceId, photoSha256: sha256, reason: outcome.reason }, 'sink refused a kiosk photo; the punch is published without it');
    } else if (outcome.kind === 'sent') {
      this.delivered.add(punch.id);
    }
    return outcome;
  }
}
