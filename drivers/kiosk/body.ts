// The body of `POST /kiosk/v1/punch` (DESIGN.md "Kiosks and apps"), decoded: pure, no I/O.
// `{ pin, time, sentAt?, state?, verify?, photo? }`:
// - `time`: ISO 8601 with an offset (`Z` or ±hh:mm), seconds required, fractions ignored; a real
//   calendar time.
// - `sentAt` (optional, same form): when the kiosk sent it, for a punch it queued while the
//   gateway was away; the clock check then applies to `sentAt`, and `time` may not be after it.
// - `state` (default `unknown`) and `verify` (default `password`: a typed PIN) in punch/v1 words.
// - `photo`: base64 (optionally a `data:image/jpeg;base64,` URL) of a JPEG of at most 200 KB.
// Invariants:
// - The body is strict: an unknown key is refused, and a key naming a device (device, deviceId,
//   serial, …) is refused as `kiosk-device-claim`: a kiosk is who its certificate says.
// - The PIN is taken in NFC and must match the edge rule (PIN_PATTERN), else `kiosk-pin`: refused
//   here with 400 rather than quarantined, so the person at the kiosk sees it at once.
// - Errors carry a catalogue reason and a short text that never quotes the body.
import { z } from 'zod';
import { edgePin } from '../../src/punch/edgeRules.js';
import { PUNCH_STATES, VERIFY_METHODS, type PunchState, type VerifyMethod } from '../../src/punch/punch.js';
import { formatLocal } from '../../src/punch/time.js';
import type { RejectionReason } from '../../src/util/catalogue.js';

export const MAX_PHOTO_BYTES = 200 * 1024;
const MAX_PHOTO_BASE64 = Math.ceil(MAX_PHOTO_BYTES / 3) * 4;
const DATA_URL_PREFIX = /^data:image\/jpe?g;base64,/i;
const DEVICE_KEYS = ['device', 'deviceId', 'device_id', 'serial', 'sn', 'kiosk', 'kioskId'];
const ISO_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export interface KioskPunch {
  pin: string;
  /** the stated instant, ms since the epoch (whole seconds) */
  timeMs: number;
  /** the kiosk's `time` as sent (validated), for raw */
  time: string;
  /** the instant the clock check applies to: sentAt when given, else time */
  clockMs: number;
  state: PunchState;
  verify: VerifyMethod;
  photo?: Uint8Array;
}

export type KioskBodyOutcome = { ok: true; punch: KioskPunch } | { ok: false; reason: Extract<RejectionReason, 'kiosk-body' | 'kiosk-device-claim' | 'kiosk-pin' | 'kiosk-photo'>; message: string };

const isoTime = z.string().max(40).regex(ISO_WITH_OFFSET, 'expected ISO 8601 with seconds and an offset, e.g. 2026-01-19T07:31:05+07:00');

const bodySchema = z.strictObject({
  pin: z.string().min(1).max(64),
  time: isoTime,
  sentAt: isoTime.optional(),
  state: z.enum(PUNCH_STATES).default('unknown'),
  verify: z.enum(VERIFY_METHODS).default('password'),
  photo: z.string().max(MAX_PHOTO_BASE64 + 32, 'photo: larger than 200 KB').optional(),
});

/** The instant of an ISO 8601 time with offset, when it is a real calendar time; whole seconds. */
export function instantOf(text: string): number | undefined {
  const match = ISO_WITH_OFFSET.exec(text);
  if (!match) return undefined;
  const [, wall, zone] = match as unknown as [string, string, string];
  const offsetMin = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const ms = Date.parse(`${wall}Z`) - offsetMin * 60_000;
  // Date.parse rolls 2026-02-30 over to March: a real time maps back to the same wall time
  if (!Number.isFinite(ms) || formatLocal(ms, offsetMin) !== wall) return undefined;
  return ms;
}

export function decodeKioskPunch(body: unknown): KioskBodyOutcome {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'kiosk-body', message: 'expected a JSON object' };
  const claimed = DEVICE_KEYS.find((key) => Object.hasOwn(body, key));
  if (claimed) return { ok: false, reason: 'kiosk-device-claim', message: `the body names a device ("${claimed}"): a kiosk is the one its client certificate names` };
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'body';
    const reason = where === 'photo' ? 'kiosk-photo' : 'kiosk-body';
    return { ok: false, reason, message: `${where}: ${issue?.code === 'unrecognized_keys' ? 'unknown key(s)' : (issue?.message ?? 'invalid')}` };
  }
  const input = parsed.data;
  const pin = edgePin(input.pin);
  if (pin === undefined) return { ok: false, reason: 'kiosk-pin', message: 'pin: expected 1-24 letters, digits, dot, dash or underscore' };
  const timeMs = instantOf(input.time);
  if (timeMs === undefined) return { ok: false, reason: 'kiosk-body', message: 'time: not a real calendar time' };
  const sentMs = input.sentAt === undefined ? undefined : instantOf(input.sentAt);
  if (input.sentAt !== undefined && sentMs === undefined) return { ok: false, reason: 'kiosk-body', message: 'sentAt: not a real calendar time' };
  if (sentMs !== undefined && timeMs > sentMs) return { ok: false, reason: 'kiosk-body', message: 'time: after sentAt' };
  const punch: KioskPunch = { pin, timeMs, time: input.time, clockMs: sentMs ?? timeMs, state: input.state, verify: input.verify };
  if (input.photo !== undefined) {
    const photo = decodePhoto(input.photo);
    if (typeof photo === 'string') return { ok: false, reason: 'kiosk-photo', message: `photo: ${photo}` };
    punch.photo = photo;
  }
  return { ok: true, punch };
}

/** The JPEG bytes, or what is wrong with them. */
function decodePhoto(text: string): Uint8Array | string {
  const base64 = text.replace(DATA_URL_PREFIX, '');
  if (base64.length > MAX_PHOTO_BASE64) return 'larger than 200 KB';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return 'not base64';
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) return 'empty';
  if (bytes.length > MAX_PHOTO_BYTES) return 'larger than 200 KB';
  // SOI marker and the first marker's prefix (JPEG, ITU-T T.81 B.1.1.3)
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) return 'not a JPEG';
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
