// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a JSON value, so that a centre
// that parsed a punch can recompute its leaf hash without keeping the bytes it received.
// Invariants:
// - Object members are sorted by their names' UTF-16 code units (what Array.prototype.sort does
//   with no comparator), with no whitespace anywhere; strings and numbers are serialized as
//   ECMAScript's JSON.stringify does (RFC 8785 §3.2.2 defines them that way: shortest round-trip
//   numbers, -0 as 0, the minimal escapes).
// - Values JSON cannot hold are refused, never guessed at: NaN, ±Infinity, lone surrogates,
//   undefined inside arrays, functions, bigints, symbols, objects that serialize themselves
//   (toJSON). A member whose value is undefined is left out, as JSON.stringify leaves it out.
// - Written out member by member rather than through a JSON.stringify replacer: every punch is
//   serialized this way on the ingest path, and this is twice as fast (test/bench/punchLog.ts).
// - Pure: no I/O; the only state is a bounded cache of quoted member names.
import { leafHash } from './merkle.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as string & { isWellFormed(): boolean }).isWellFormed()
    : (text) => !LONE_SURROGATE.test(text);

export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`JCS: ${value} is not a JSON number`);
      // Number::toString is JSON's number form for every finite number (-0 included: "0")
      return String(value);
    case 'string':
      return canonicalString(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return canonicalArray(value);
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return fail('an object with toJSON has no one JSON form');
      return canonicalObject(value as Record<string, unknown>);
    default:
      return fail(`a ${typeof value} is not a JSON value`);
  }
}

function canonicalArray(items: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < items.length; i++) {
    if (items[i] === undefined) fail('undefined in an array');
    text += i === 0 ? canonicalJson(items[i]) : `,${canonicalJson(items[i])}`;
  }
  return `${text}]`;
}

function canonicalObject(object: Record<string, unknown>): string {
  return `{${members(object, Object.keys(object).sort())}}`;
}

/** `"name":value` for each name whose value is not undefined, comma-separated. */
function members(object: Record<string, unknown>, names: readonly string[]): string {
  let text = '';
  for (const name of names) {
    const value = object[name];
    if (value === undefined) continue;
    text += text === '' ? `${quotedName(name)}:${canonicalJson(value)}` : `,${quotedName(name)}:${canonicalJson(value)}`;
  }
  return text;
}

const quotedNames = new Map<string, string>();

function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = canonicalString(name);
    if (quotedNames.size >= 4096) quotedNames.clear();
    quotedNames.set(name, quoted);
  }
  return quoted;
}

function canonicalString(text: string): string {
  if (!isWellFormed(text)) throw new TypeError('JCS: a string holds a lone surrogate');
  return JSON.stringify(text);
}

/**
 * `text` as one flat string. Built member by member, it is a rope of some thirty nodes; a punch's
 * form lives until its commit is answered, and thousands of live ropes made the young-generation
 * scavenges copy them over and over (a burst's GC cost tripled). Reading a character makes V8
 * flatten the rope in place, so its nodes die young.
 */
export function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

function fail(why: string): never {
  throw new TypeError(`JCS: ${why}`);
}

/**
 * The JCS form of `object` with one more top-level member, `name`, whose value is not known yet:
 * `open + JSON of the value + close` is canonicalJson({ ...object, [name]: value }) for any finite
 * number. The buffer serializes a punch this way before the writer assigns its seq.
 */
export function canonicalJsonAround(object: Record<string, unknown>, name: string): { open: string; close: string } {
  const names = Object.keys(object)
    .filter((n) => n !== name)
    .sort();
  let at = 0;
  while (at < names.length && (names[at] as string) < name) at++;
  const before = members(object, names.slice(0, at));
  const after = members(object, names.slice(at));
  return { open: flat(`{${before}${before === '' ? '' : ','}${quotedName(name)}:`), close: flat(`${after === '' ? '' : ','}${after}}`) };
}

/** The punch log's leaf hash of a punch/v1 object: SHA-256(0x00 ‖ UTF-8 of its JCS form). */
export function punchLeafHash(punch: unknown): Buffer {
  return leafHash(Buffer.from(canonicalJson(punch), 'utf8'));
}
