// The Merkle tree of the punch log, as RFC 6962 §2.1 defines it and RFC 9162 §2.1.3–2.1.4 verifies
// it (Certificate Transparency's tree): pure functions over SHA-256, no storage, no I/O.
// Invariants:
// - leaf hash = SHA-256(0x00 ‖ data), interior node = SHA-256(0x01 ‖ left ‖ right), the tree hash
//   of n leaves is MTH (the left subtree holds the largest power of two below n), the empty tree's
//   hash is SHA-256 of the empty string. test/log/merkle.test.ts checks the reference vectors.
// - Proofs are generated from any `TreeHashes` (the hash of a range of leaves): `LeafHashes` holds
//   every leaf hash in memory; the buffer's log store answers the same question from stored nodes.
//   The generators only ever ask for ranges that start on a multiple of a power of two no smaller
//   than the range, so a store that keeps every complete node answers each in O(log n).
// - Verifiers never throw for a bad proof: they answer false (wrong sizes, wrong hash lengths,
//   trailing or missing elements included).
// - Sizes and indexes are plain numbers: exact up to 2^53, far beyond any gateway's log.
import * as crypto from 'node:crypto';

export const HASH_BYTES = 32;
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/**
 * Node's one-shot digest (20.12+), a third of a streaming Hash's cost for a punch-sized input; else
 * the stream. Its digest is taken as 'binary' (latin1) text, one byte per character, and copied into Node's
 * pooled small-Buffer memory: a digest as 'buffer' is a fresh ArrayBuffer each, and the writer
 * thread's scavenges spent more on tracking those than the hashing cost.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'binary') => string }).hash;
const sha256 = oneShot
  ? (data: string | Uint8Array): Buffer => Buffer.from(oneShot('sha256', data, 'binary'), 'binary')
  : (data: string | Uint8Array): Buffer => crypto.createHash('sha256').update(data).digest();

export const EMPTY_ROOT: Buffer = sha256(new Uint8Array(0));

export function leafHash(data: Uint8Array): Buffer {
  return sha256(Buffer.concat([LEAF_PREFIX, data]));
}

/** leafHash of the UTF-8 bytes of `text` (0x00 is the UTF-8 form of U+0000). */
export function leafHashOfText(text: string): Buffer {
  return sha256(`\u0000${text}`);
}

/** leafHashOfText(text.slice(1)) for a `text` that starts with U+0000: for a caller that keeps that form anyway. */
export function leafHashOfPrefixedText(text: string): Buffer {
  if (text.charCodeAt(0) !== 0) throw new RangeError('leafHashOfPrefixedText: the text must start with U+0000');
  return sha256(text);
}

/** 0x01 ‖ left ‖ right of two hashes, rewritten for each node: the digest reads it synchronously */
const nodeInput = new Uint8Array(1 + 2 * HASH_BYTES);
nodeInput[0] = 0x01;

/** leafHashOfPrefixedText written into `target` at `offset` (HASH_BYTES bytes): no Buffer of its own. */
export function leafHashInto(text: string, target: Buffer, offset: number): void {
  if (text.charCodeAt(0) !== 0) throw new RangeError('leafHashInto: the text must start with U+0000');
  const digest = oneShot ? oneShot('sha256', text, 'binary') : crypto.createHash('sha256').update(text).digest('binary');
  target.write(digest, offset, HASH_BYTES, 'latin1');
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) return sha256(Buffer.concat([NODE_PREFIX, left, right]));
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_BYTES);
  return sha256(nodeInput);
}

/** The tree hash (MTH) of the leaves [start, end), 0 ≤ start < end. */
export interface TreeHashes {
  subtree(start: number, end: number): Buffer;
}

/** The largest power of two smaller than n (n ≥ 2): the size of MTH's left subtree. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Every leaf hash in memory: for verifiers and tests (the buffer keeps nodes instead). */
export class LeafHashes implements TreeHashes {
  constructor(private readonly leaves: readonly Uint8Array[]) {}

  get size(): number {
    return this.leaves.length;
  }

  subtree(start: number, end: number): Buffer {
    if (start < 0 || end > this.leaves.length || start >= end) throw new RangeError(`no leaves [${start}, ${end}) in a tree of ${this.leaves.length}`);
    if (end - start === 1) return Buffer.from(this.leaves[start] as Uint8Array);
    const k = splitPoint(end - start);
    return nodeHash(this.subtree(start, start + k), this.subtree(start + k, end));
  }
}

export function rootHash(tree: TreeHashes, size: number): Buffer {
  return size === 0 ? EMPTY_ROOT : tree.subtree(0, size);
}

/** RFC 6962 §2.1.1 PATH(index, D[size]): the audit path of leaf `index` in the tree of `size`, leaf side first. */
export function inclusionProof(tree: TreeHashes, index: number, size: number): Buffer[] {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) throw new RangeError(`no leaf ${index} in a tree of ${size}`);
  const path = (start: number, end: number): Buffer[] => {
    if (end - start === 1) return [];
    const k = splitPoint(end - start);
    return index < start + k ? [...path(start, start + k), tree.subtree(start + k, end)] : [...path(start + k, end), tree.subtree(start, start + k)];
  };
  return path(0, size);
}

/** RFC 6962 §2.1.2 PROOF(from, D[to]): proves the tree of `from` leaves is a prefix of the tree of `to`. */
export function consistencyProof(tree: TreeHashes, from: number, to: number): Buffer[] {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || from > to) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return [];
  const subproof = (m: number, start: number, end: number, whole: boolean): Buffer[] => {
    const n = end - start;
    if (m === n) return whole ? [] : [tree.subtree(start, end)];
    const k = splitPoint(n);
    return m <= k ? [...subproof(m, start, start + k, whole), tree.subtree(start + k, end)] : [...subproof(m - k, start + k, end, false), tree.subtree(start, start + k)];
  };
  return subproof(from, 0, to, true);
}

const isHash = (value: Uint8Array): boolean => value.length === HASH_BYTES;
const odd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2: the root the audit path leads to from `leaf` at `index` in a tree of `size`; undefined when the path cannot be one. */
export function rootFromInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Buffer | undefined {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size || !isHash(leaf) || !proof.every(isHash)) return undefined;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const computed = rootFromInclusion(leaf, index, size, proof);
  return computed !== undefined && isHash(root) && computed.equals(root);
}

/** RFC 9162 §2.1.4.2: does `proof` show that the tree (size1, root1) is a prefix of (size2, root2)? */
export function verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isInteger(size1) || !Number.isInteger(size2) || size1 < 0 || size1 > size2 || !proof.every(isHash)) return false;
  if (size1 === size2) return proof.length === 0 && Buffer.from(root1).equals(root2);
  // every tree extends the empty one; there is nothing to prove
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0 || !isHash(root1) || !isHash(root2)) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** A node of the tree: level 0 is a leaf, the node at (level, index) covers leaves [index·2^level, (index+1)·2^level). */
export interface TreeNode {
  level: number;
  index: number;
  hash: Buffer;
}

/**
 * The right edge of a growing tree (a "compact range" from 0): one complete subtree per set bit of
 * the size. Appending a leaf returns every node it completed, so a store that saves them can answer
 * any `TreeHashes.subtree` the proof generators ask for; `root()` is MTH of everything appended.
 */
export class CompactRange {
  private readonly edge: TreeNode[] = [];
  private count = 0;

  /** Resumes from the complete nodes of the right edge of a tree of `size` (largest first), as a store kept them. */
  static resume(size: number, edge: readonly TreeNode[]): CompactRange {
    const range = new CompactRange();
    range.count = size;
    range.edge.push(...edge.map((n) => ({ ...n })));
    return range;
  }

  get size(): number {
    return this.count;
  }

  /** The complete subtrees of the right edge, largest (leftmost) first. */
  get nodes(): readonly TreeNode[] {
    return this.edge;
  }

  /** Appends one leaf hash; returns the nodes it completed, the leaf itself first. */
  append(leaf: Buffer): TreeNode[] {
    const completed: TreeNode[] = [];
    this.appendEach(leaf, (level, index, hash) => completed.push({ level, index, hash }));
    return completed;
  }

  /** `append` that hands each completed node to `completed` (the leaf first) instead of collecting them. */
  appendEach(leaf: Buffer, completed: (level: number, index: number, hash: Buffer) => void): void {
    let level = 0;
    let index = this.count;
    let hash = leaf;
    completed(level, index, hash);
    while (this.edge.length > 0 && (this.edge[this.edge.length - 1] as TreeNode).level === level) {
      const left = this.edge.pop() as TreeNode;
      level += 1;
      index = left.index / 2;
      hash = nodeHash(left.hash, hash);
      completed(level, index, hash);
    }
    this.edge.push({ level, index, hash });
    this.count += 1;
  }

  root(): Buffer {
    if (this.edge.length === 0) return EMPTY_ROOT;
    let hash = (this.edge[this.edge.length - 1] as TreeNode).hash;
    for (let i = this.edge.length - 2; i >= 0; i--) hash = nodeHash((this.edge[i] as TreeNode).hash, hash);
    return hash;
  }
}
