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
// - Pure: no I/O, no state.
import { leafHash } from './merkle.js';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function canonicalJson(value: unknown): string {
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
      if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? fail('undefined in an array') : canonicalJson(item))).join(',')}]`;
      return canonicalObject(value as Record<string, unknown>);
    default:
      return fail(`a ${typeof value} is not a JSON value`);
  }
}

function canonicalObject(object: Record<string, unknown>): string {
  const members = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort()
    .map((key) => `${canonicalString(key)}:${canonicalJson(object[key])}`);
  return `{${members.join(',')}}`;
}

function canonicalString(text: string): string {
  if (LONE_SURROGATE.test(text)) throw new TypeError('JCS: a string holds a lone surrogate');
  return JSON.stringify(text);
}

function fail(why: string): never {
  throw new TypeError(`JCS: ${why}`);
}

/** The punch log's leaf hash of a punch/v1 object: SHA-256(0x00 ‖ UTF-8 of its JCS form). */
export function punchLeafHash(punch: unknown): Buffer {
  return leafHash(Buffer.from(canonicalJson(punch), 'utf8'));
}
