// src/log/merkle.ts against the RFC 6962 reference vectors (fixtures/rfc6962-vectors.json, with
// its source), then every proof of every tree up to 40 leaves, and a corrupted proof never verifying.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactRange, EMPTY_ROOT, LeafHashes, consistencyProof, inclusionProof, leafHash, rootHash, verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';

interface Vectors {
  emptyRoot: string;
  leaves: string[];
  roots: string[];
  inclusion: { leaf: number; size: number; proof: string[] }[];
  consistency: { size1: number; size2: number; proof: string[] }[];
}

const V = JSON.parse(readFileSync(new URL('./fixtures/rfc6962-vectors.json', import.meta.url), 'utf8')) as Vectors;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Buffer => Buffer.from(h, 'hex');
const reference = new LeafHashes(V.leaves.map((l) => leafHash(unhex(l))));
const rootOf = (size: number): Buffer => unhex(V.roots[size - 1] as string);
const flipBit = (hash: Buffer, bit: number): void => {
  hash.writeUInt8(hash.readUInt8(bit % 32) ^ (1 << (bit % 8)), bit % 32);
};

describe('RFC 6962 reference vectors', () => {
  it('the empty tree, and the tree hash of every prefix of the eight reference leaves', () => {
    expect(hex(EMPTY_ROOT)).toBe(V.emptyRoot);
    expect(hex(rootHash(reference, 0))).toBe(V.emptyRoot);
    for (let size = 1; size <= V.leaves.length; size++) expect(hex(rootHash(reference, size)), `size ${size}`).toBe(V.roots[size - 1]);
  });

  it.each(V.inclusion)('inclusion of leaf $leaf in a tree of $size: generated as published, and it verifies', ({ leaf, size, proof }) => {
    expect(inclusionProof(reference, leaf - 1, size).map(hex)).toEqual(proof);
    expect(verifyInclusion(reference.subtree(leaf - 1, leaf), leaf - 1, size, proof.map(unhex), rootOf(size))).toBe(true);
  });

  it.each(V.consistency)('consistency from $size1 to $size2: generated as published, and it verifies', ({ size1, size2, proof }) => {
    expect(consistencyProof(reference, size1, size2).map(hex)).toEqual(proof);
    expect(verifyConsistency(size1, size2, rootOf(size1), rootOf(size2), proof.map(unhex))).toBe(true);
  });

  it('refuses the corrupted probes of the reference suite', () => {
    const { leaf, size, proof } = V.inclusion[1] as Vectors['inclusion'][number];
    const path = proof.map(unhex);
    const leafHashOf = reference.subtree(leaf - 1, leaf);
    const root = rootOf(size);
    const probes: [number, number, Uint8Array, Uint8Array[], Uint8Array][] = [
      [leaf - 2, size, leafHashOf, path, root],
      [leaf, size, leafHashOf, path, root],
      [leaf - 1, size * 2, leafHashOf, path, root],
      [leaf - 1, size / 2, leafHashOf, path, root],
      [leaf - 1, size, Buffer.from('WrongLeaf'), path, root],
      [leaf - 1, size, leafHashOf, path, EMPTY_ROOT],
      [leaf - 1, size, leafHashOf, [...path, root], root],
      [leaf - 1, size, leafHashOf, [root, ...path], root],
      [leaf - 1, size, leafHashOf, path.slice(0, -1), root],
      [leaf - 1, size, leafHashOf, [...path, Buffer.alloc(0)], root],
    ];
    for (const [index, n, l, p, r] of probes) expect(verifyInclusion(l, index, n, p, r)).toBe(false);
    const c = V.consistency[2] as Vectors['consistency'][number];
    const cp = c.proof.map(unhex);
    const [r1, r2] = [rootOf(c.size1), rootOf(c.size2)];
    expect(verifyConsistency(c.size1, c.size2, r2, r1, cp)).toBe(false);
    expect(verifyConsistency(c.size1 - 1, c.size2, r1, r2, cp)).toBe(false);
    expect(verifyConsistency(c.size1, c.size2, r1, r2, cp.slice(0, -1))).toBe(false);
    expect(verifyConsistency(c.size1, c.size2, r1, r2, [...cp, r2])).toBe(false);
    expect(verifyConsistency(c.size1, c.size2, r1, r2, [])).toBe(false);
    expect(verifyConsistency(c.size2, c.size1, r2, r1, cp)).toBe(false);
  });
});

describe('every tree up to 40 leaves', () => {
  const leaves = Array.from({ length: 40 }, (_, i) => leafHash(Uint8Array.of(i, (i * 7) & 0xff)));
  const tree = new LeafHashes(leaves);

  it('CompactRange appends give the same root as MTH at every size, and name every node they complete', () => {
    const range = new CompactRange();
    const nodes = new Map<string, Buffer>();
    expect(range.root().equals(EMPTY_ROOT)).toBe(true);
    leaves.forEach((leaf, i) => {
      for (const node of range.append(leaf)) nodes.set(`${node.level}/${node.index}`, node.hash);
      expect(range.root().equals(rootHash(tree, i + 1)), `size ${i + 1}`).toBe(true);
    });
    for (const [key, hash] of nodes) {
      const [level, index] = key.split('/').map(Number) as [number, number];
      expect(hash.equals(tree.subtree(index * 2 ** level, (index + 1) * 2 ** level)), key).toBe(true);
    }
    const resumed = CompactRange.resume(range.size, range.nodes);
    const next = leafHash(Uint8Array.of(99));
    resumed.append(next);
    expect(resumed.root().equals(rootHash(new LeafHashes([...leaves, next]), 41))).toBe(true);
  });

  it('every inclusion proof and every consistency proof verifies', () => {
    for (let size = 1; size <= leaves.length; size++) {
      const root = rootHash(tree, size);
      for (let i = 0; i < size; i++) expect(verifyInclusion(leaves[i] as Buffer, i, size, inclusionProof(tree, i, size), root), `${i} in ${size}`).toBe(true);
      for (let from = 0; from <= size; from++) expect(verifyConsistency(from, size, rootHash(tree, from), root, consistencyProof(tree, from, size)), `${from}→${size}`).toBe(true);
    }
  });

  it('a proof with one bit flipped, or checked against another size, never verifies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), fc.nat(), fc.nat(255), (size, rawIndex, rawFrom, bit) => {
        const index = rawIndex % size;
        const root = rootHash(tree, size);
        const path = inclusionProof(tree, index, size);
        if (path.length > 0) {
          const flipped = path.map((p) => Buffer.from(p));
          flipBit(flipped[bit % flipped.length] as Buffer, bit);
          expect(verifyInclusion(leaves[index] as Buffer, index, size, flipped, root)).toBe(false);
        }
        const from = 1 + (rawFrom % (size - 1));
        const proof = consistencyProof(tree, from, size);
        expect(verifyConsistency(from, size, rootHash(tree, from), root, proof)).toBe(true);
        expect(verifyConsistency(from, size, rootHash(tree, from === 1 ? 2 : from - 1), root, proof)).toBe(false);
        if (proof.length > 0) {
          const flipped = proof.map((p) => Buffer.from(p));
          flipBit(flipped[bit % flipped.length] as Buffer, bit);
          expect(verifyConsistency(from, size, rootHash(tree, from), root, flipped)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
