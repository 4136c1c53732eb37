// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a JSON value, so that a centre
// that parsed a punch can recompute its leaf hash without keeping the bytes it received.
// Invariants:
// - Object members are sorted by their names' UTF-16 code units (what Array.prototype.sort does
//   with no comparator), with no whitespace anywhere; strings and numbers are serialized as
//   ECMAScript's JSON.stringify does (RFC 8785 §3.2.2 defines them that way: shortest round-trip
//   numbers, -0 as 0, the minimal escapes).
// - Values JSON cannot hold are refused, never guessed at: NaN, ±Infinity, lone surrogates,
//   undefined inside arrays, functions, bigints, symbols. A member whose value is undefined is
//   left out, as JSON.stringify leaves it out.
// - Two paths, one answer: JSON.stringify with a replacer that sorts each object's keys (fast),
//   used only where it is exactly JCS — no array-index-like key (JavaScript objects order those
//   numerically, JCS by code units), no escaped surrogate in the output, nothing JSON.stringify
//   would quietly turn into null or drop; otherwise the member-by-member path below, which refuses
//   what JCS refuses. test/log/jcs.test.ts checks them against each other.
// - Pure: no I/O, no state (the hole marker is a constant of the process).
import { randomBytes } from 'node:crypto';
import { leafHash } from './merkle.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function canonicalJson(value: unknown): string {
  return sortedStringify(value) ?? slowCanonicalJson(value);
}

const INDEX_LIKE_KEY = /^(?:0|[1-9][0-9]*)$/;

/** JSON.stringify with every object's keys sorted; undefined wherever that would not be JCS. */
function sortedStringify(value: unknown): string | undefined {
  let exact = true;
  const text = JSON.stringify(value, (_key, member: unknown) => {
    switch (typeof member) {
      case 'number':
        if (!Number.isFinite(member)) exact = false;
        return member;
      case 'object': {
        if (member === null) return member;
        if (Array.isArray(member)) {
          if (member.includes(undefined)) exact = false;
          return member;
        }
        if (typeof (member as { toJSON?: unknown }).toJSON === 'function') exact = false;
        // no prototype: a member named __proto__ is a member like any other
        const sorted = Object.create(null) as Record<string, unknown>;
        for (const key of Object.keys(member).sort()) {
          if (INDEX_LIKE_KEY.test(key)) exact = false;
          sorted[key] = (member as Record<string, unknown>)[key];
        }
        return sorted;
      }
      case 'string':
      case 'boolean':
      case 'undefined':
        return member;
      default:
        exact = false;
        return undefined;
    }
  }) as string | undefined;
  return exact && text !== undefined && !text.includes('\\ud') ? text : undefined;
}

function slowCanonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`JCS: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'string':
      return canonicalString(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? fail('undefined in an array') : slowCanonicalJson(item))).join(',')}]`;
      return canonicalObject(value as Record<string, unknown>);
    default:
      return fail(`a ${typeof value} is not a JSON value`);
  }
}

function canonicalObject(object: Record<string, unknown>): string {
  const members = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort()
    .map((key) => `${canonicalString(key)}:${slowCanonicalJson(object[key])}`);
  return `{${members.join(',')}}`;
}

function canonicalString(text: string): string {
  if (LONE_SURROGATE.test(text)) throw new TypeError('JCS: a string holds a lone surrogate');
  return JSON.stringify(text);
}

function fail(why: string): never {
  throw new TypeError(`JCS: ${why}`);
}

/**
 * The JCS form of `object` with one more top-level member, `key`, whose value is not known yet:
 * `open + JSON of the value + close` is canonicalJson({ ...object, [key]: value }) for any finite
 * number. The buffer serializes a punch this way before the writer assigns its seq.
 */
export function canonicalJsonAround(object: Record<string, unknown>, key: string): { open: string; close: string } {
  const marker = `${HOLE_MARKER}`;
  const text = canonicalJson({ ...object, [key]: marker });
  const quoted = JSON.stringify(marker);
  const at = text.indexOf(quoted);
  if (at >= 0 && text.lastIndexOf(quoted) === at) return { open: text.slice(0, at), close: text.slice(at + quoted.length) };
  // the marker also stands in a value (it cannot by chance: it is random): place the member by its key
  const keys = [...Object.keys(object).filter((k) => k !== key && object[k] !== undefined), key].sort();
  const members = keys.map((k) => (k === key ? '' : `${canonicalString(k)}:${canonicalJson(object[k])}`));
  const index = keys.indexOf(key);
  const before = members.slice(0, index);
  const after = members.slice(index + 1);
  return { open: `{${before.map((m) => `${m},`).join('')}${canonicalString(key)}:`, close: `${after.map((m) => `,${m}`).join('')}}` };
}

const HOLE_MARKER = `hole-${randomBytes(16).toString('hex')}`;

/** The punch log's leaf hash of a punch/v1 object: SHA-256(0x00 ‖ UTF-8 of its JCS form). */
export function punchLeafHash(punch: unknown): Buffer {
  return leafHash(Buffer.from(canonicalJson(punch), 'utf8'));
}
