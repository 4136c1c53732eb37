// The input bounds every driver's data meets at the edge, whatever the protocol (DESIGN.md "Trust
// at the edge"): one rule for PINs, one for device-supplied identity text, one size for a punch.
// Invariants:
// - Pure functions of their arguments: no I/O, no clock, no logging.
// - A PIN is taken only in its Unicode NFC form and only when that form matches PIN_PATTERN, so
//   look-alikes (a zero-width space, a bidi override, Greek omicron, markup) are never a PIN of
//   their own; the NFC form is what the punch id and punch/v1 carry.
// - Identity text that passes `boundedText` is NFC, at most its limit of code points, and holds
//   no character of Unicode category C (controls, format characters such as U+200B and U+202E,
//   surrogates, private use, unassigned) nor a line or paragraph separator.

/** What a PIN must be after NFC: the characters terminals use for user ids, 1 to 24 of them. */
export const PIN_PATTERN = /^[0-9A-Za-z._-]{1,24}$/;
export const MAX_PIN_CHARS = 24;

/** Device-supplied identity strings (serial, model, firmware, platform): at most this many characters. */
export const MAX_IDENTITY_CHARS = 64;

/** The largest punch/v1 JSON (UTF-8 bytes, `seq` included) the gateway commits; larger goes to quarantine `too-large`. */
export const MAX_PUNCH_JSON_BYTES = 4096;

/** The digits of the largest safe integer: what the buffer puts into a serialized punch (`…"seq":` + digits + `…`). */
export const SEQ_JSON_RESERVE_BYTES = String(Number.MAX_SAFE_INTEGER).length;

const NOT_PRINTABLE = /[\p{C}\u2028\u2029]/gu;
const HAS_NOT_PRINTABLE = /[\p{C}\u2028\u2029]/u;

/** The PIN as punch/v1 carries it (NFC), or undefined when it breaks the rule. */
export function edgePin(pin: string): string | undefined {
  if (PIN_PATTERN.test(pin)) return pin;
  // NFC of a string that ends as ASCII maps code points one to one (U+212A KELVIN SIGN → K), so a
  // longer input can never pass: skip normalizing a megabyte of hostile text
  if (pin.length > MAX_PIN_CHARS) return undefined;
  const nfc = pin.normalize('NFC');
  return PIN_PATTERN.test(nfc) ? nfc : undefined;
}

/** True when `text` is NFC, printable, trimmed and 1..max code points: usable as is. */
export function isBoundedText(text: string, max: number): boolean {
  if (text.length === 0 || text.length > max * 2) return false;
  if (HAS_NOT_PRINTABLE.test(text) || text.trim() !== text) return false;
  return [...text].length <= max && text.normalize('NFC') === text;
}

/**
 * `text` made bounded: NFC, every non-printable character removed, trimmed, cut to `max` code
 * points ('' when nothing printable is left). `lost` says whether content had to go (a
 * non-printable character, or what was past `max`); NFC and trimming lose nothing.
 */
export function boundedText(text: string, max: number): { text: string; lost: boolean } {
  if (isBoundedText(text, max)) return { text, lost: false };
  // only the start is read: a 300 KB model costs no more than its first few thousand characters
  const head = text.slice(0, max * 64).normalize('NFC');
  const printable = head.replace(NOT_PRINTABLE, '');
  const points = [...printable.trim()];
  const kept = points.slice(0, max).join('').trim();
  return { text: kept, lost: text.length > max * 64 || printable.length !== head.length || points.length > max };
}
