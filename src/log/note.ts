// C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, as golang.org/x/mod/sumdb/note
// writes and reads them: verifier keys (vkeys), key ids, signing and opening a note.
// Invariants:
// - A note is UTF-8 text ending in "\n", a blank line, then one or more lines
//   "— <key name> <base64(key id ‖ signature)>\n"; no ASCII control character but "\n" anywhere.
//   The text (what is signed) is everything up to and including the newline before the last
//   blank line.
// - Key names are non-empty and hold no Unicode space and no "+". Key id = the first 4 bytes,
//   big-endian, of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key). A vkey is
//   `<name>+<key id, 8 lowercase hex>+<base64(0x01 ‖ public key)>`.
// - Base64 is RFC 4648 §4 with padding, and only its canonical form is read: one text, one value.
// - Opening follows the spec's trust rules: a signature whose (name, key id) no given verifier has
//   is ignored (listed as unverified), one from a known key must verify or the whole note is
//   refused, and at least one known signature must be there. At most 100 signature lines (the Go
//   implementation's bound; the spec asks for at least 16).
// - Pure: node:crypto only, no I/O. Private keys are never part of an error or a returned value.
import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export const ED25519_SIGNATURE_TYPE = 0x01;
export const EM_DASH = '\u2014';
const SIGNATURE_PREFIX = `${EM_DASH} `;
const MAX_SIGNATURES = 100;
const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
// DER prefixes that wrap a raw 32-byte Ed25519 key into what node:crypto imports (RFC 8410)
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
// what Go's unicode.IsSpace calls a space: the ASCII white space, NEL, NBSP and Unicode category Z
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\p{Z}]/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const wellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

export type NoteErrorReason = 'malformed' | 'invalid-signature' | 'unverified' | 'ambiguous-key' | 'bad-key';

export class NoteError extends Error {
  readonly reason: NoteErrorReason;
  /** for `unverified`: the note as parsed, with every signature unverified */
  readonly note: OpenedNote | undefined;
  constructor(reason: NoteErrorReason, message: string, note?: OpenedNote) {
    super(message);
    this.name = 'NoteError';
    this.reason = reason;
    this.note = note;
  }
}

/** RFC 4648 §4 base64, canonical form only; undefined for anything else. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && wellFormed(name) && !UNICODE_SPACE.test(name) && !name.includes('+');
}

/** The recommended key id of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], big-endian. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update('\n').update(Uint8Array.of(ED25519_SIGNATURE_TYPE)).update(publicKey).digest().readUInt32BE(0);
}

export const keyIdHex = (keyId: number): string => keyId.toString(16).padStart(8, '0');

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** the vkey this verifier was made from */
  readonly vkey: string;
  readonly publicKey: Buffer;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** the Ed25519 signature (64 bytes) of `text` */
  sign(text: Uint8Array): Buffer;
}

export function verifierKeyOf(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError('bad-key', `not a valid key name: ${JSON.stringify(name)}`);
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) throw new NoteError('bad-key', `an Ed25519 public key has ${ED25519_PUBLIC_KEY_BYTES} bytes, not ${publicKey.length}`);
  const typed = Buffer.concat([Uint8Array.of(ED25519_SIGNATURE_TYPE), publicKey]);
  return `${name}+${keyIdHex(ed25519KeyId(name, publicKey))}+${typed.toString('base64')}`;
}

/** Reads a vkey (`name+keyid+base64(0x01 ‖ key)`); NoteError `bad-key` for anything else. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const bad = (why: string): never => {
    throw new NoteError('bad-key', `not an Ed25519 verifier key (name+keyid+key): ${why}`);
  };
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) bad('expected three parts separated by "+"');
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  const typed = decodeBase64(vkey.slice(second + 1));
  if (!isValidKeyName(name)) bad('the key name is empty or holds a space or "+"');
  if (!/^[0-9a-f]{8}$/.test(idHex)) bad('the key id is not 8 lowercase hex digits');
  if (!typed || typed.length === 0) bad('the key is not base64');
  if ((typed as Buffer)[0] !== ED25519_SIGNATURE_TYPE) bad(`signature type ${(typed as Buffer)[0]} is not Ed25519 (1)`);
  const publicKey = (typed as Buffer).subarray(1);
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) bad(`an Ed25519 key has ${ED25519_PUBLIC_KEY_BYTES} bytes, this one ${publicKey.length}`);
  const keyId = Number.parseInt(idHex, 16);
  if (ed25519KeyId(name, publicKey) !== keyId) bad('the key id does not match the name and key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch {
    return bad('the key is not a valid Ed25519 point');
  }
  return {
    name,
    keyId,
    vkey,
    publicKey: Buffer.from(publicKey),
    verify: (text, signature) => signature.length === ED25519_SIGNATURE_BYTES && cryptoVerify(null, text, key, signature),
  };
}

/** A signer and its verifier from an Ed25519 private key (a KeyObject, e.g. read from PKCS#8 PEM). */
export function ed25519Signer(name: string, privateKey: KeyObject): NoteSigner & { verifier: NoteVerifier } {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new NoteError('bad-key', `not an Ed25519 key (${privateKey.asymmetricKeyType ?? privateKey.type})`);
  const publicKey = rawPublicKey(privateKey);
  const verifier = parseVerifierKey(verifierKeyOf(name, publicKey));
  return { name, keyId: verifier.keyId, verifier, sign: (text) => cryptoSign(null, text, privateKey) };
}

/** An Ed25519 private key from its 32-byte seed (what Go's `PRIVATE+KEY+…` skeys carry). */
export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new NoteError('bad-key', `an Ed25519 seed has 32 bytes, not ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - ED25519_PUBLIC_KEY_BYTES);
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** base64(key id ‖ signature), as on the line */
  base64: string;
}

export interface OpenedNote {
  /** the signed text, final newline included */
  text: string;
  /** signatures of known keys, each verified */
  signatures: NoteSignature[];
  /** signatures of keys no verifier was given for (ignored, as the spec demands) */
  unverified: NoteSignature[];
}

/** The note: `text` (ending in "\n"), a blank line, one signature line. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n') || !isNoteText(text)) throw new NoteError('malformed', 'a note text must be UTF-8 without control characters and end in a newline');
  if (!isValidKeyName(signer.name)) throw new NoteError('bad-key', `not a valid key name: ${JSON.stringify(signer.name)}`);
  return `${text}\n${signatureLine(signer.name, signer.keyId, signer.sign(Buffer.from(text, 'utf8')))}`;
}

export function signatureLine(name: string, keyId: number, signature: Uint8Array): string {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(keyId);
  return `${SIGNATURE_PREFIX}${name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}

function isNoteText(text: string): boolean {
  return wellFormed(text) && !CONTROL.test(text);
}

/**
 * Opens a note: parses it and checks every signature of a known key. Throws NoteError:
 * `malformed` (not a signed note), `invalid-signature` (a known key's signature fails),
 * `ambiguous-key` (two verifiers with the same name and id), `unverified` (no known signature).
 */
export function openNote(message: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const malformed = (why: string): never => {
    throw new NoteError('malformed', `malformed note: ${why}`);
  };
  let msg: string;
  if (typeof message === 'string') msg = message;
  else {
    try {
      msg = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(message);
    } catch {
      return malformed('not UTF-8');
    }
  }
  if (!isNoteText(msg)) malformed('not UTF-8, or a control character other than newline');
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) malformed('no blank line before the signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) malformed('no signature line, or the last one does not end in a newline');
  const note: OpenedNote = { text, signatures: [], unverified: [] };
  const textBytes = Buffer.from(text, 'utf8');
  const seenKnown = new Set<string>();
  const seenUnknown = new Set<string>();
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) malformed(`more than ${MAX_SIGNATURES} signatures`);
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) malformed('a signature line does not start with "— "');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const base64 = space < 0 ? '' : rest.slice(space + 1);
    const raw = decodeBase64(base64);
    if (!isValidKeyName(name) || !raw || raw.length < 5) malformed('a signature line has a bad key name or signature');
    const keyId = (raw as Buffer).readUInt32BE(0);
    const signature: NoteSignature = { name, keyId, base64 };
    const known = verifiers.filter((v) => v.name === name && v.keyId === keyId);
    if (known.length === 0) {
      if (!seenUnknown.has(line)) note.unverified.push(signature);
      seenUnknown.add(line);
      continue;
    }
    if (known.length > 1) throw new NoteError('ambiguous-key', `ambiguous key ${name}+${keyIdHex(keyId)}`);
    const id = `${name}+${keyId}`;
    if (seenKnown.has(id)) continue;
    seenKnown.add(id);
    if (!(known[0] as NoteVerifier).verify(textBytes, (raw as Buffer).subarray(4))) throw new NoteError('invalid-signature', `invalid signature for key ${name}+${keyIdHex(keyId)}`);
    note.signatures.push(signature);
  }
  if (note.signatures.length === 0) throw new NoteError('unverified', 'note has no verifiable signatures', note);
  return note;
}
