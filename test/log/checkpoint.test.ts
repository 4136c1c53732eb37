// src/log/checkpoint.ts: the tlog-checkpoint body against the spec's example and the Go checksum
// database's golden body (fixtures/signed-note-vectors.json, with sources), the gateway's own
// names and time line, and cutting a file of several notes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkpointTimeOf, CheckpointError, epochOf, formatCheckpoint, logKeyName, logOrigin, parseCheckpoint, splitNotes } from '../../src/log/checkpoint.js';
import { EMPTY_ROOT, leafHash } from '../../src/log/merkle.js';
import { ed25519PrivateKeyFromSeed, ed25519Signer, NoteError, openNote, signNote } from '../../src/log/note.js';

interface Vectors {
  checkpoint: { note: string; origin: string; size: number; root: string };
  goTree: { body: string; size: number; leafData: string; badBodies: string[] };
}
const V = JSON.parse(readFileSync(new URL('./fixtures/signed-note-vectors.json', import.meta.url), 'utf8')) as Vectors;

describe('tlog-checkpoint vectors', () => {
  it('the spec\'s example: origin, size and root are read, and its unknown signature opens with no key we hold', () => {
    const text = V.checkpoint.note.slice(0, V.checkpoint.note.indexOf('\n\n') + 1);
    const cp = parseCheckpoint(text);
    expect(cp).toMatchObject({ origin: V.checkpoint.origin, size: V.checkpoint.size, extensions: [] });
    expect(cp.root.toString('base64')).toBe(V.checkpoint.root);
    const signer = ed25519Signer('example.com/behind-the-sofa', ed25519PrivateKeyFromSeed(Buffer.alloc(32, 1)));
    expect(() => openNote(V.checkpoint.note, [signer.verifier])).toThrow(NoteError);
  });

  it('the Go checksum database body: size 123456789012 and root RecordHash("hello world"), and its bad bodies refused', () => {
    const cp = parseCheckpoint(V.goTree.body);
    expect(cp.origin).toBe('go.sum database tree');
    expect(cp.size).toBe(V.goTree.size);
    expect(cp.root.equals(leafHash(Buffer.from(V.goTree.leafData)))).toBe(true);
    for (const bad of V.goTree.badBodies) expect(() => parseCheckpoint(bad), bad).toThrow(CheckpointError);
  });

  it('written as the gateway writes it: the three lines, then the time line', () => {
    const root = leafHash(Buffer.from(V.goTree.leafData));
    const time = new Date('2026-01-19T00:31:05.734Z');
    const text = formatCheckpoint({ origin: 'go.sum database tree', size: V.goTree.size, root, time });
    expect(text).toBe(`${V.goTree.body}time 2026-01-19T00:31:05Z\n`);
    expect(checkpointTimeOf(parseCheckpoint(text))).toBe('2026-01-19T00:31:05Z');
  });
});

describe('the gateway\'s names', () => {
  it('key name, origin and epoch', () => {
    const name = logKeyName('BKPP', 'oki-bkpp-01');
    expect(name).toBe('absensi-gateway/BKPP/oki-bkpp-01');
    const origin = logOrigin(name, '0123456789abcdef');
    expect(origin).toBe('absensi-gateway/BKPP/oki-bkpp-01/0123456789abcdef');
    expect(epochOf(origin, name)).toBe('0123456789abcdef');
    expect(epochOf(origin, logKeyName('BKPP', 'oki-bkpp-02'))).toBeUndefined();
    expect(epochOf(`${name}/0123456789ABCDEF`, name)).toBeUndefined();
    expect(() => logOrigin(name, 'short')).toThrow(CheckpointError);
  });

  it('the empty tree is size 0 with the root SHA-256("")', () => {
    const text = formatCheckpoint({ origin: 'o', size: 0, root: EMPTY_ROOT, time: new Date(0) });
    expect(text).toBe('o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ntime 1970-01-01T00:00:00Z\n');
  });

  it.each([
    ['two lines', 'o\n1\n'],
    ['an empty line', 'o\n1\n\nAAAA\n'],
    ['a leading zero', `o\n01\n${EMPTY_ROOT.toString('base64')}\n`],
    ['a negative size', `o\n-1\n${EMPTY_ROOT.toString('base64')}\n`],
    ['a size past 2^53', `o\n9007199254740993\n${EMPTY_ROOT.toString('base64')}\n`],
    ['a short root', 'o\n1\nAAAA\n'],
    ['no final newline', `o\n1\n${EMPTY_ROOT.toString('base64')}`],
  ])('refuses a body with %s', (_what, text) => {
    expect(() => parseCheckpoint(text)).toThrow(CheckpointError);
  });

  it('a time line that is not UTC RFC 3339 seconds is no time', () => {
    for (const line of ['time 2026-01-19T00:31:05.1Z', 'time 2026-01-19T07:31:05+07:00', 'time 2026-02-30T00:00:00Z', 'time  2026-01-19T00:31:05Z']) {
      expect(checkpointTimeOf({ extensions: [line] }), line).toBeUndefined();
    }
  });
});

describe('splitNotes', () => {
  const signer = ed25519Signer('absensi-gateway/S/g', ed25519PrivateKeyFromSeed(Buffer.alloc(32, 2)));
  const note = (size: number): string => signNote(formatCheckpoint({ origin: 'absensi-gateway/S/g/0000000000000001', size, root: EMPTY_ROOT, time: new Date(0) }), signer);

  it('cuts notes written one after another, with or without blank lines between them', () => {
    const [a, b, c] = [note(1), note(2), note(3)];
    expect(splitNotes(`${a}${b}${c}`)).toEqual([a, b, c]);
    expect(splitNotes(`\n${a}\n\n${b}\n${c}\n`)).toEqual([a, b, c]);
    expect(splitNotes(a)).toEqual([a]);
    expect(splitNotes('')).toEqual([]);
  });

  it('a note with several signature lines stays whole', () => {
    const a = note(1);
    const cosigned = `${a}— other.example/witness AAAAAAE=\n`;
    expect(splitNotes(`${cosigned}${note(2)}`)).toEqual([cosigned, note(2)]);
  });

  it('a truncated last note keeps its shape, so that opening it says why', () => {
    const a = note(1);
    const pieces = splitNotes(`${a}${a.slice(0, -1)}`);
    expect(pieces).toEqual([a, a.slice(0, -1)]);
    expect(() => openNote(pieces[1] as string, [signer.verifier])).toThrow(NoteError);
  });
});
