// An in-memory punch log (the PunchLog seam of src/log/punchLog.ts) for the signer's and the
// verifier's tests: every node kept in a Map, so proofs cost O(log n) as in the buffer's store
// (src/buffer/logStore.ts), with no file. It is also the reference the store is checked against.
import { randomBytes } from 'node:crypto';
import { punchLeafHash } from '../../src/log/jcs.js';
import { CompactRange, consistencyProof, inclusionProof, nodeHash, rootHash, splitPoint, type TreeHashes } from '../../src/log/merkle.js';
import type { PunchLog } from '../../src/log/punchLog.js';

export class MemoryPunchLog implements PunchLog {
  readonly epoch: string;
  private readonly range = new CompactRange();
  private readonly nodes = new Map<string, Buffer>();
  private readonly tree: TreeHashes = { subtree: (start, end) => this.subtree(start, end) };

  constructor(epoch: string = randomBytes(8).toString('hex')) {
    this.epoch = epoch;
  }

  /** Appends the punch with seq = size + 1. */
  append(punch: { seq: number }): void {
    if (punch.seq !== this.range.size + 1) throw new Error(`leaf ${this.range.size} is seq ${this.range.size + 1}, not ${punch.seq}`);
    this.appendLeaf(punchLeafHash(punch));
  }

  appendLeaf(leaf: Buffer): void {
    for (const node of this.range.append(leaf)) this.nodes.set(`${node.level}:${node.index}`, node.hash);
  }

  head(): { size: number; root: Buffer } {
    return { size: this.range.size, root: this.range.root() };
  }

  root(size: number): Buffer {
    this.check(size);
    return rootHash(this.tree, size);
  }

  inclusionProof(index: number, size: number): Buffer[] {
    this.check(size);
    return inclusionProof(this.tree, index, size);
  }

  consistencyProof(from: number, to: number): Buffer[] {
    this.check(to);
    return consistencyProof(this.tree, from, to);
  }

  leafHash(index: number): Buffer {
    this.check(index + 1);
    return this.subtree(index, index + 1);
  }

  private check(size: number): void {
    if (!Number.isInteger(size) || size < 0 || size > this.range.size) throw new RangeError(`no tree of size ${size} (the log has ${this.range.size})`);
  }

  /** MTH of [start, end) from the stored complete nodes (the proof generators ask only aligned ranges). */
  private subtree(start: number, end: number): Buffer {
    const n = end - start;
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const node = this.nodes.get(`${Math.log2(n)}:${start / n}`);
      if (node) return node;
    }
    if (n <= 1) throw new RangeError(`no leaf ${start}`);
    const k = splitPoint(n);
    return nodeHash(this.subtree(start, start + k), this.subtree(start + k, end));
  }
}
