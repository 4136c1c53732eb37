// The edge rule for what a driver reports about its device (StatusReporter.update): whatever a
// terminal sends as its name, version or serial, nothing unbounded reaches a punch (device.model,
// the serial in the id), the retained MQTT status, /api/devices or the status page.
// Invariants:
// - model, firmware and platform leave here as edgeRules.boundedText with MAX_IDENTITY_CHARS: a
//   value that lost content (non-printable characters, or cut at 64) is applied cut and reported
//   as a problem; one with nothing printable left is not applied.
// - A serial is the device part of every punch id: it is applied only when it is already bounded
//   (printable, NFC, trimmed, 1..64 characters, no "|", the id's separator); else it is refused
//   whole, reported, and the device keeps the serial it had. A cut serial would be another device.
// - `details` (free-form facts, some of them device text such as a zk-push INFO answer) keep at
//   most MAX_DETAIL_ENTRIES entries per object or array, MAX_DETAIL_VALUES values in all,
//   MAX_DETAIL_DEPTH levels and strings of at most MAX_DETAIL_TEXT_CHARS printable characters;
//   keys are bounded like identity strings. Whatever had to go is reported once per update. The
//   same bounds hold for a device's details merged over many updates (mergeDetails).
// - `lastError` as shown (`CODE: message`; the message is gateway text that may quote a device) is
//   cut to MAX_LAST_ERROR_CHARS, control characters made spaces; never reported as a problem.
// - Pure: the caller counts and logs the problems.
import { boundedText, isBoundedText, MAX_IDENTITY_CHARS } from '../punch/edgeRules.js';
import type { DeviceStatusUpdate } from './driver.js';

export const MAX_DETAIL_TEXT_CHARS = 256;
export const MAX_DETAIL_ENTRIES = 64;
export const MAX_DETAIL_VALUES = 256;
export const MAX_DETAIL_DEPTH = 4;
export const MAX_LAST_ERROR_CHARS = 500;

const TEXT_FIELDS = ['model', 'firmware', 'platform'] as const;

export interface BoundedStatus {
  change: DeviceStatusUpdate;
  /** one line per field that lost content or was refused, for the rejection's detail */
  problems: string[];
}

export function boundStatusUpdate(change: DeviceStatusUpdate): BoundedStatus {
  const out: DeviceStatusUpdate = { ...change };
  const problems: string[] = [];
  for (const field of TEXT_FIELDS) {
    const value = change[field];
    if (value === undefined) continue;
    const bounded = typeof value === 'string' ? boundedText(value, MAX_IDENTITY_CHARS) : { text: '', lost: true };
    if (bounded.lost) problems.push(`${field}: ${describe(value)}, kept ${JSON.stringify(bounded.text)}`);
    if (bounded.text === '') delete out[field];
    else out[field] = bounded.text;
  }
  if (change.serial !== undefined && !isUsableSerial(change.serial)) {
    problems.push(`serial refused: ${describe(change.serial)}`);
    delete out.serial;
  }
  if (change.details !== undefined) {
    const loss = { cut: 0, dropped: 0, values: 0 };
    out.details = boundObject(change.details, 1, loss);
    if (loss.cut + loss.dropped > 0) problems.push(`details: ${loss.cut} text value(s) cut, ${loss.dropped} entr(ies) dropped`);
  }
  if (change.lastError) {
    const { code } = change.lastError;
    const message = String(change.lastError.message);
    const room = MAX_LAST_ERROR_CHARS - code.length - 2; // shown as `CODE: message`
    if (message.length > room || /[\u0000-\u001f\u007f]/.test(message)) {
      out.lastError = { code, message: message.slice(0, room).replace(/[\u0000-\u001f\u007f]/g, ' ') };
    }
  }
  return { change: out, problems };
}

/**
 * A device's details after an update: the update's entries first, then the older ones it did not
 * replace, within the same bounds (so keys that change from update to update cannot pile up).
 * Both sides are already bounded text; nothing here is reported.
 */
export function mergeDetails(older: Record<string, unknown>, update: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...update };
  for (const [key, value] of Object.entries(older)) if (!Object.hasOwn(merged, key)) merged[key] = value;
  return boundObject(merged, 1, { cut: 0, dropped: 0, values: 0 });
}

function isUsableSerial(serial: unknown): boolean {
  return typeof serial === 'string' && isBoundedText(serial, MAX_IDENTITY_CHARS) && !serial.includes('|');
}

/** How a refused or cut value looked, without repeating it: its length and a short printable start. */
function describe(value: unknown): string {
  if (typeof value !== 'string') return `not text (${typeof value})`;
  return `${value.length} characters starting ${JSON.stringify(boundedText(value.slice(0, 24), 24).text)}`;
}

interface Loss {
  cut: number;
  dropped: number;
  /** values kept so far, against MAX_DETAIL_VALUES */
  values: number;
}

function boundObject(value: Record<string, unknown>, depth: number, loss: Loss): Record<string, unknown> {
  // entries, then fromEntries: a key "__proto__" stays a plain own property
  const out = new Map<string, unknown>();
  for (const [rawKey, entry] of Object.entries(value)) {
    const key = out.size < MAX_DETAIL_ENTRIES && loss.values < MAX_DETAIL_VALUES ? boundedText(rawKey, MAX_IDENTITY_CHARS) : undefined;
    if (!key || key.lost || key.text === '' || out.has(key.text)) {
      loss.dropped += 1;
      continue;
    }
    loss.values += 1;
    out.set(key.text, boundValue(entry, depth, loss));
  }
  return Object.fromEntries(out);
}

function boundValue(value: unknown, depth: number, loss: Loss): unknown {
  if (typeof value === 'string') {
    if (value === '') return value;
    const bounded = boundedText(value, MAX_DETAIL_TEXT_CHARS);
    if (bounded.lost) loss.cut += 1;
    return bounded.text;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DETAIL_DEPTH) {
    loss.dropped += 1;
    return null;
  }
  if (Array.isArray(value)) {
    const keep = Math.max(0, Math.min(value.length, MAX_DETAIL_ENTRIES, MAX_DETAIL_VALUES - loss.values));
    loss.dropped += value.length - keep;
    loss.values += keep;
    return value.slice(0, keep).map((item) => boundValue(item, depth + 1, loss));
  }
  return boundObject(value as Record<string, unknown>, depth + 1, loss);
}
