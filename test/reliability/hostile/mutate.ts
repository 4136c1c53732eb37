// Mutation arbitraries for the hostile-input properties: a real (quoted) input with a few edits
// applied, the way a flaky link, a buggy firmware or an attacker would change it.
// Invariants:
// - Pure fast-check arbitraries; shrinking removes edits, so a failure shrinks toward the
//   original fixture with the one edit that matters.
import fc from 'fast-check';

type ByteEdit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number };

const position = fc.nat({ max: 1 << 20 });

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x09, 0x50) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
);

function applyEdit(input: Buffer, edit: ByteEdit): Buffer {
  if (input.length === 0) return edit.kind === 'insert' ? Buffer.from(edit.bytes) : input;
  const at = edit.at % input.length;
  const out = Buffer.from(input);
  switch (edit.kind) {
    case 'flip':
      out[at] = (out[at] as number) ^ (1 << edit.bit);
      return out;
    case 'set':
      out[at] = edit.value;
      return out;
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + edit.length)]);
    case 'insert':
      return Buffer.concat([input.subarray(0, at), edit.bytes, input.subarray(at)]);
    case 'duplicate':
      return Buffer.concat([input.subarray(0, at + edit.length), input.subarray(at)]);
    case 'truncate':
      return input.subarray(0, at);
  }
}

/** One of `originals` with 1..maxEdits byte edits. */
export function mutatedBytes(originals: readonly Buffer[], maxEdits = 4): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...originals), fc.array(byteEdit, { minLength: 1, maxLength: maxEdits }))
    .map(([original, edits]) => edits.reduce(applyEdit, original));
}

/** One of `originals` (text) with byte edits, read back as latin1 so every byte value survives. */
export function mutatedText(originals: readonly string[], maxEdits = 4): fc.Arbitrary<string> {
  return mutatedBytes(originals.map((t) => Buffer.from(t, 'utf8')), maxEdits).map((b) => b.toString('latin1'));
}

/** Cut points for re-feeding `length` bytes in pieces: sorted, distinct, inside (0, length). */
export function cutsOf(length: number, cuts: number[]): number[] {
  if (length < 2) return [];
  return [...new Set(cuts.map((c) => 1 + (c % (length - 1))))].sort((a, b) => a - b);
}

/** `input` (bytes or text) split at `points`. */
export function splitAt<T extends Buffer | string>(input: T, points: number[]): T[] {
  const pieces: T[] = [];
  let at = 0;
  for (const p of [...points, input.length]) {
    pieces.push((typeof input === 'string' ? input.slice(at, p) : input.subarray(at, p)) as T);
    at = p;
  }
  return pieces;
}

/** Text that is hostile to line and field parsers: control characters, separators, huge runs, odd Unicode. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 200 }), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 120 }), weight: 6 },
  { arbitrary: fc.array(fc.constantFrom('\t', '\n', '\r', '\0', '=', '&', ' ', '-', ':', '\u0002', '\u0003', '\ufffd', '\u2028', 'é', '1', '9', 'A'), { maxLength: 80 }).map((a) => a.join('')), weight: 6 },
  // very long runs (a reader on the wrong baud rate, a body of one endless line): rarer, they are slow
  { arbitrary: fc.tuple(fc.constantFrom('1', '\t', 'x', '9'), fc.integer({ min: 1000, max: 20_000 })).map(([c, n]) => c.repeat(n)), weight: 1 },
);

const PIN_CHARS = [...'0123456789AZaz09._-'];
/** Characters that make a PIN look like another one, or break out of where it is shown (issue 15 finding 12). */
const LOOK_ALIKE_CHARS = [
  '\u200b', '\u200d', '\ufeff', '\u202e', '\u2066', '\u03bf', '\u039f', '\u0430', '\uff10', '\uff11', '\u212a', '\u0301',
  '\u00a0', ' ', '\t', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '<', '>', '/', '|', '&', '"', "'", 'é', '\ud800',
];
const rulePin = (min: number, max: number) => fc.array(fc.constantFrom(...PIN_CHARS), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** PINs as hostile or broken terminals send them: good ones, good ones with a look-alike inside, too long, markup, text. */
export const hostilePin: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: rulePin(1, 24), weight: 4 },
  { arbitrary: fc.tuple(rulePin(1, 23), fc.constantFrom(...LOOK_ALIKE_CHARS), fc.nat()).map(([pin, c, at]) => `${pin.slice(0, at % (pin.length + 1))}${c}${pin.slice(at % (pin.length + 1))}`), weight: 4 },
  { arbitrary: rulePin(25, 40), weight: 2 },
  { arbitrary: fc.constantFrom('<b>1</b>', '<script>alert(1)</script>', '00123\u200b', '\u202e00123', '\u03bf0123', '\u212a1001', '', ' ', ' 7 '), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 2 },
  { arbitrary: hostileText.map((t) => t.slice(0, 60)), weight: 1 },
);

/** Model, firmware and serial strings as hostile terminals send them: plain, with control and bidi characters, very long. */
export const hostileIdentity: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('K40', 'ZKTeco K40 Pro', 'Ver 6.60 Apr 28 2020', 'DS-K1T341AM', 'BOCK200961014', 'X'.repeat(64), '指纹机'), weight: 3 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 40 }), fc.constantFrom(...LOOK_ALIKE_CHARS), fc.string({ maxLength: 40 })).map(([a, c, b]) => `${a}${c}${b}`), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 50, maxLength: 120 }), weight: 2 },
  { arbitrary: fc.tuple(fc.constantFrom('M', '\u200b', ' ', '\u0000', 'é'), fc.integer({ min: 65, max: 300 * 1024 })).map(([c, n]) => c.repeat(n)), weight: 1 },
  { arbitrary: hostileText, weight: 2 },
);

/** Extra protocol fields of hostile size: none, a few short ones, or enough to pass 4 KiB. */
export const hostileExtraFields: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 3 },
  { arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 4 }), weight: 3 },
  { arbitrary: fc.integer({ min: 3000, max: 20_000 }).map((n) => ({ extra: 'x'.repeat(n) })), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => Object.fromEntries(Array.from({ length: n * 200 }, (_, i) => [`f${i}`, String(i)]))), weight: 1 },
);
