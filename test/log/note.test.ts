// src/log/note.ts against the reference vectors (fixtures/signed-note-vectors.json, with sources):
// the Go sumdb note key PeterNeumann signs its text byte for byte as Go does, the vkeys and notes
// of Go's tests and of the signed-note spec open as there, and Go's manglings are refused.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, ed25519KeyId, ed25519PrivateKeyFromSeed, ed25519Signer, keyIdHex, NoteError, openNote, parseVerifierKey, signNote, verifierKeyOf, type NoteVerifier } from '../../src/log/note.js';

interface Vectors {
  go: { skey: string; vkey: string; name: string; keyId: string; text: string; signatureLine: string; enochVkey: string; enochSignatureLine: string; badVkeys: string[] };
  c2sp: { vkey: string; publicKeyHex: string; note: string; text: string };
}

const V = JSON.parse(readFileSync(new URL('./fixtures/signed-note-vectors.json', import.meta.url), 'utf8')) as Vectors;
const go = V.go;
const peter = parseVerifierKey(go.vkey);
const enoch = parseVerifierKey(go.enochVkey);
/** Go's skey `PRIVATE+KEY+<name>+<id>+base64(0x01 ‖ seed)`: the seed is what Node imports. */
const peterSeed = (decodeBase64(go.skey.split('+').slice(4).join('+')) as Buffer).subarray(1);
const peterSigner = ed25519Signer(go.name, ed25519PrivateKeyFromSeed(peterSeed));

const reason = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof NoteError) return error.reason;
    throw error;
  }
};

describe('golang.org/x/mod/sumdb/note vectors', () => {
  it('the PeterNeumann seed gives the same key name, key id and vkey as Go', () => {
    expect(peterSigner.name).toBe(go.name);
    expect(keyIdHex(peterSigner.keyId)).toBe(go.keyId);
    expect(peterSigner.verifier.vkey).toBe(go.vkey);
    expect(verifierKeyOf(go.name, peter.publicKey)).toBe(go.vkey);
    expect(keyIdHex(ed25519KeyId(go.name, peter.publicKey))).toBe(go.keyId);
  });

  it('signs the text into exactly the note Go signs (Ed25519 is deterministic)', () => {
    expect(signNote(go.text, peterSigner)).toBe(`${go.text}\n${go.signatureLine}`);
  });

  it('opens the note; a second signature by a key not given is listed unverified, by one given verified', () => {
    const msg = `${go.text}\n${go.signatureLine}${go.enochSignatureLine}`;
    const one = openNote(msg, [peter]);
    expect(one.text).toBe(go.text);
    expect(one.signatures.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => [s.name, keyIdHex(s.keyId)])).toEqual([['EnochRoot', 'af0cfe78']]);
    const both = openNote(msg, [peter, enoch]);
    expect(both.signatures.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(both.unverified).toEqual([]);
    expect(openNote(Buffer.from(msg, 'utf8'), [peter]).text).toBe(go.text);
  });

  it('a note no given key signed is refused as unverified, and carries what was parsed', () => {
    const msg = `${go.text}\n${go.signatureLine}${go.enochSignatureLine}`;
    let caught: unknown;
    try {
      openNote(msg, []);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NoteError);
    expect((caught as NoteError).reason).toBe('unverified');
    expect((caught as NoteError).note?.unverified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
  });

  it('ambiguous verifiers, too many signatures and an altered signature are refused as Go refuses them', () => {
    expect(reason(() => openNote(`${go.text}\n${go.enochSignatureLine}`, [enoch, peter, enoch]))).toBe('ambiguous-key');
    expect(openNote(`${go.text}\n${go.signatureLine}`, [enoch, peter, enoch]).signatures).toHaveLength(1);
    expect(reason(() => openNote(`${go.text}\n${go.signatureLine.repeat(101)}`, [peter]))).toBe('malformed');
    expect(reason(() => openNote(`${go.text}\n${go.signatureLine.repeat(101)}`, []))).toBe('malformed');
    const sig = go.signatureLine;
    expect(reason(() => openNote(`${go.text}\n${sig.slice(0, 60)}ABCD${sig.slice(60)}`, [peter]))).toBe('invalid-signature');
  });

  it('repeated signatures: the known one counted once, identical unknown ones once, distinct unknown ones each', () => {
    const enochSig = go.enochSignatureLine;
    const enochAbcd = `${enochSig.slice(0, 60)}ABCD${enochSig.slice(60)}`;
    const n = openNote(`${go.text}\n${go.signatureLine}${go.signatureLine}${enochSig}${enochSig}${enochAbcd}`, [peter]);
    expect(n.signatures).toHaveLength(1);
    const b64 = (line: string): string => line.slice('— EnochRoot '.length, -1);
    expect(n.unverified.map((s) => s.base64)).toEqual([b64(enochSig), b64(enochAbcd)]);
  });

  it.each([
    ['the text alone', (t: string) => t],
    ['no signature after the blank line', (t: string) => `${t}\n`],
    ['a signature line without its newline', (t: string) => `${t}\n${go.signatureLine.slice(0, -1)}`],
    ['a control character', (t: string) => `\x01${t}\n${go.signatureLine}`],
    ['a key name with a space', (t: string) => `${t}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`],
    ['a line after the signatures', (t: string) => `${t}\n${go.signatureLine}Unexpected line.\n`],
  ])('malformed as in Go: %s', (_what, build) => {
    expect(reason(() => openNote(build(go.text), [peter]))).toBe('malformed');
  });

  it('bytes that are not UTF-8 are malformed', () => {
    const bytes = Buffer.concat([Buffer.from([0xff]), Buffer.from(`${go.text}\n${go.signatureLine}`, 'utf8')]);
    expect(reason(() => openNote(bytes, [peter]))).toBe('malformed');
  });

  it('every proper substring and every one-byte change of the vkey is refused, and Go\'s two bad keys', () => {
    const bytes = Buffer.from(go.vkey, 'utf8');
    const bad: string[] = [];
    for (let i = 0; i <= bytes.length; i++) for (let j = i + 1; j <= bytes.length; j++) if (i !== 0 || j !== bytes.length) bad.push(bytes.subarray(i, j).toString('latin1'));
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = (changed[i] as number) + 1;
      bad.push(changed.toString('latin1'));
    }
    bad.push(...go.badVkeys);
    const accepted = bad.filter((k) => reason(() => parseVerifierKey(k)) !== 'bad-key');
    expect(accepted).toEqual([]);
  });
});

describe('c2sp.org/signed-note example', () => {
  it('the vkey parses to the public key the spec shows, and verifies the example note', () => {
    const verifier = parseVerifierKey(V.c2sp.vkey);
    expect(verifier.name).toBe('example.com/foo');
    expect(keyIdHex(verifier.keyId)).toBe('530d903a');
    expect(verifier.publicKey.toString('hex')).toBe(V.c2sp.publicKeyHex);
    expect(verifierKeyOf(verifier.name, verifier.publicKey)).toBe(V.c2sp.vkey);
    expect(openNote(V.c2sp.note, [verifier]).text).toBe(V.c2sp.text);
  });

  it('the same note does not open with the Go key: the spec\'s signature is unknown to it', () => {
    expect(reason(() => openNote(V.c2sp.note, [peter]))).toBe('unverified');
  });
});

describe('sign and open', () => {
  const signer = ed25519Signer('absensi-gateway/BKPP/oki-bkpp-01', ed25519PrivateKeyFromSeed(Buffer.alloc(32, 7)));
  const verifiers: NoteVerifier[] = [signer.verifier];
  const line = fc.stringMatching(/^[^\u0000-\u001f]{1,40}$/).filter((s) => !s.startsWith('— '));

  it('any text of non-empty lines round-trips, and any one changed character is refused', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), fc.nat(), (lines, at) => {
        const text = `${lines.join('\n')}\n`;
        const note = signNote(text, signer);
        expect(openNote(note, verifiers).text).toBe(text);
        const i = at % text.length;
        const changed = `${text.slice(0, i)}${text[i] === 'x' ? 'y' : 'x'}${text.slice(i + 1)}`;
        if (changed !== text) expect(reason(() => openNote(`${changed}${note.slice(text.length)}`, verifiers))).not.toBeUndefined();
      }),
    );
  });

  it('refuses to sign a text that does not end in a newline or holds a control character', () => {
    expect(reason(() => signNote('no newline', signer))).toBe('malformed');
    expect(reason(() => signNote('tab\there\n', signer))).toBe('malformed');
  });

  it('base64 is read in its canonical form only', () => {
    expect(decodeBase64('AQ==')?.toString('hex')).toBe('01');
    for (const bad of ['AQ=', 'AQ', 'AR==', 'A Q==', 'AQ==\n', '-_8=']) expect(decodeBase64(bad), bad).toBeUndefined();
  });
});
