// The buffer's punch log (the PunchLog of src/log/punchLog.ts) stored beside the punches: the
// writer appends each punch's leaf in the transaction that commits the punch; readers answer
// heads and proofs from the stored nodes.
// Invariants:
// - `punch_log.size` is the number of leaves, and leaf i is the punch with seq i + 1: the writer
//   appends only when the log's size is the seq before the first punch of the transaction, so a
//   punch is committed with its leaf or (a log already behind, which nothing here makes) without
//   any, never with a wrong one. A log that is behind stays behind and is reported, not repaired.
// - Every leaf and every complete node of level ≥ 4 is stored and never deleted: the leaves in
//   blocks of 16 (`log_leaves`, migration 5), the nodes a row each (`log_nodes`); a node of level
//   1–3 is hashed from its ≤ 8 leaves, which lie in one block, when read. A subtree the proof
//   generators ask for is one row, any other range O(log n) of those, for every size up to the head.
// - What a size holds never changes once written (the last, partial block is rewritten only to
//   grow), so a reader that read the size first may read the nodes later, on any connection,
//   while the writer goes on appending.
// - The writer's right edge is kept between transactions and re-read from the file when another
//   connection (CLI `pull`) grew the log or a transaction rolled back.
import type { Statement } from 'better-sqlite3';
import { CompactRange, consistencyProof, HASH_BYTES, inclusionProof, leafHashOfPrefixedText, nodeHash, rootHash, splitPoint, type TreeHashes, type TreeNode } from '../log/merkle.js';
import type { PunchLog } from '../log/punchLog.js';
import { GatewayError } from '../util/errors.js';
import type { SqliteDatabase } from './database.js';
import { LOWEST_STORED_NODE_LEVEL, newEpoch } from './migrations/003PunchLog.js';
import { LEAVES_PER_BLOCK } from './migrations/005LeafBlocks.js';

const NODES_PER_INSERT = 64;
const SELECT_LEAF_BLOCK = 'SELECT hashes FROM log_leaves WHERE block = ?';

interface LogRow {
  epoch: string;
  size: number;
}

/** Whether the file's schema has the punch log (version 3 and up). */
export function keepsLog(db: SqliteDatabase): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'punch_log'").get() !== undefined;
}

/** the widest node hashed from leaves when read (level 3: 8 leaves) fits in one block */
const widestUnstored = 2 ** (LOWEST_STORED_NODE_LEVEL - 1);
if (LEAVES_PER_BLOCK % widestUnstored !== 0) throw new Error('a leaf block must hold whole nodes of every level not stored');

/** A complete node: one row, or for the levels not stored the hash of its leaves (from one block). */
function nodeReader(db: SqliteDatabase): (level: number, index: number) => Buffer {
  const select = db.prepare('SELECT hash FROM log_nodes WHERE level = ? AND idx = ?').pluck();
  const selectBlock = db.prepare(SELECT_LEAF_BLOCK).pluck();
  const missing = (level: number, index: number): GatewayError => new GatewayError('GW_ERR_LOG_INCONSISTENT', `punch log: node (${level}, ${index}) is missing from the buffer`);
  return (level, index) => {
    if (level >= LOWEST_STORED_NODE_LEVEL) {
      const hash = select.get(level, index) as Buffer | undefined;
      if (!hash) throw missing(level, index);
      return hash;
    }
    const width = 2 ** level;
    const first = index * width;
    const block = Math.floor(first / LEAVES_PER_BLOCK);
    const hashes = selectBlock.get(block) as Buffer | undefined;
    const start = (first - block * LEAVES_PER_BLOCK) * HASH_BYTES;
    if (!hashes || hashes.length < start + width * HASH_BYTES) throw missing(level, index);
    let row = Array.from({ length: width }, (_, i) => hashes.subarray(start + i * HASH_BYTES, start + (i + 1) * HASH_BYTES));
    while (row.length > 1) row = Array.from({ length: row.length / 2 }, (_, i) => nodeHash(row[2 * i] as Buffer, row[2 * i + 1] as Buffer));
    return row[0] as Buffer;
  };
}

/** The complete subtrees of the right edge of a tree of `size`, largest first. */
function edgeOf(size: number, node: (level: number, index: number) => Buffer): TreeNode[] {
  const edge: TreeNode[] = [];
  let offset = 0;
  for (let level = Math.floor(Math.log2(Math.max(size, 1))); level >= 0; level--) {
    const width = 2 ** level;
    if (size - offset < width) continue;
    edge.push({ level, index: offset / width, hash: node(level, offset / width) });
    offset += width;
  }
  return edge;
}

/** The writer's side: appends leaves inside the commit transaction (writeBatches). */
export class LogAppender {
  private range: CompactRange | undefined;
  private appending = false;
  private readonly readLog: Statement;
  private readonly readBlock: Statement;
  private readonly insertNode: Statement;
  private readonly insertNodes: Statement;
  private readonly writeBlock: Statement;
  private readonly saveSize: Statement;
  /** level, index, hash of the nodes appended in this transaction and not written yet */
  private unwritten: (number | Buffer)[] = [];
  /** the leaves of the log's last block so far (a new Buffer for each block: the edge keeps views of it) */
  private block = Buffer.allocUnsafe(LEAVES_PER_BLOCK * HASH_BYTES);
  private blockIndex = 0;
  private blockLeaves = 0;
  /** the last block got leaves in this transaction and is not written yet */
  private blockGrew = false;
  private readonly node: (level: number, index: number) => Buffer;

  private constructor(db: SqliteDatabase) {
    this.readLog = db.prepare('SELECT epoch, size FROM punch_log WHERE id = 1');
    this.readBlock = db.prepare(SELECT_LEAF_BLOCK).pluck();
    this.insertNode = db.prepare('INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)');
    // one statement per NODES_PER_INSERT nodes: the per-call cost, not SQLite's, dominates a row this small
    this.insertNodes = db.prepare(`INSERT INTO log_nodes (level, idx, hash) VALUES ${Array.from({ length: NODES_PER_INSERT }, () => '(?, ?, ?)').join(', ')}`);
    this.writeBlock = db.prepare('INSERT OR REPLACE INTO log_leaves (block, hashes) VALUES (?, ?)');
    this.saveSize = db.prepare('UPDATE punch_log SET size = ? WHERE id = 1');
    this.node = nodeReader(db);
  }

  /** undefined for a file that keeps no log (its schema predates it) */
  static open(db: SqliteDatabase): LogAppender | undefined {
    return keepsLog(db) ? new LogAppender(db) : undefined;
  }

  /** Inside the transaction, before its first punch (seq `nextSeq`). */
  begin(nextSeq: number): void {
    const row = this.readLog.get() as LogRow | undefined;
    this.unwritten = [];
    this.blockGrew = false;
    this.appending = row !== undefined && row.size === nextSeq - 1;
    if (!this.appending || !row) return;
    if (this.range?.size !== row.size) this.resume(row.size);
  }

  /** The right edge and the last block of the log of `size` as the file has them. */
  private resume(size: number): void {
    this.range = CompactRange.resume(size, edgeOf(size, this.node));
    this.block = Buffer.allocUnsafe(LEAVES_PER_BLOCK * HASH_BYTES);
    this.blockIndex = Math.floor(size / LEAVES_PER_BLOCK);
    this.blockLeaves = size % LEAVES_PER_BLOCK;
    if (this.blockLeaves === 0) return;
    // edgeOf read this block already (its last leaf is on the edge): it is there and long enough
    (this.readBlock.get(this.blockIndex) as Buffer).copy(this.block, 0, 0, this.blockLeaves * HASH_BYTES);
  }

  /**
   * The punch just inserted with the next seq, as committed: U+0000 then its canonical (JCS) JSON,
   * so its leaf is the hash of these bytes (0x00 is the leaf prefix; the caller stored the rest).
   */
  append(prefixedBody: string): void {
    if (this.appending) this.appendLeaf(leafHashOfPrefixedText(prefixedBody));
  }

  /** `append` for a body whose leaf hash the caller has (computed over these very bytes). */
  appendLeaf(hash: Uint8Array): void {
    if (!this.appending || !this.range) return;
    const at = this.blockLeaves * HASH_BYTES;
    this.block.set(hash, at);
    this.blockLeaves += 1;
    this.blockGrew = true;
    // the leaf as the block holds it: an edge node outlives the write whose leaves `hash` may view
    this.range.appendEach(this.block.subarray(at, at + HASH_BYTES), this.keep);
    if (this.blockLeaves < LEAVES_PER_BLOCK) return;
    this.writeBlock.run(this.blockIndex, this.block);
    this.block = Buffer.allocUnsafe(LEAVES_PER_BLOCK * HASH_BYTES);
    this.blockIndex += 1;
    this.blockLeaves = 0;
    this.blockGrew = false;
  }

  /** Stored nodes are written NODES_PER_INSERT at a time as they complete, so that their hashes die young. */
  private readonly keep = (level: number, index: number, hash: Buffer): void => {
    if (level < LOWEST_STORED_NODE_LEVEL) return;
    this.unwritten.push(level, index, hash);
    if (this.unwritten.length === NODES_PER_INSERT * 3) {
      this.insertNodes.run(this.unwritten);
      this.unwritten.length = 0;
    }
  };

  /** Inside the transaction, after its last punch. */
  end(): void {
    if (!this.appending || !this.range) return;
    const values = this.unwritten;
    for (let at = 0; at < values.length; at += 3) this.insertNode.run(values[at], values[at + 1], values[at + 2]);
    this.unwritten = [];
    if (this.blockGrew) this.writeBlock.run(this.blockIndex, this.block.subarray(0, this.blockLeaves * HASH_BYTES));
    this.blockGrew = false;
    this.saveSize.run(this.range.size);
  }

  /** The transaction rolled back: the kept edge and block are ahead of the file. */
  rolledBack(): void {
    this.range = undefined;
    this.unwritten = [];
    this.blockGrew = false;
  }
}

/** The readers' side: heads and RFC 6962 proofs from the stored nodes. */
export class SqlitePunchLog implements PunchLog {
  private currentEpoch: string;
  private readonly readLog: Statement;
  private readonly node: (level: number, index: number) => Buffer;
  private readonly tree: TreeHashes = { subtree: (start, end) => this.subtree(start, end) };
  private cachedRoot: { size: number; root: Buffer } | undefined;

  private constructor(
    private readonly db: SqliteDatabase,
    row: LogRow,
  ) {
    this.currentEpoch = row.epoch;
    this.readLog = db.prepare('SELECT epoch, size FROM punch_log WHERE id = 1');
    this.node = nodeReader(db);
  }

  /** undefined when the file keeps no log: its schema predates it, or retention had thinned it before the upgrade */
  static open(db: SqliteDatabase): SqlitePunchLog | undefined {
    if (!keepsLog(db)) return undefined;
    const row = db.prepare('SELECT epoch, size FROM punch_log WHERE id = 1').get() as LogRow | undefined;
    return row ? new SqlitePunchLog(db, row) : undefined;
  }

  get epoch(): string {
    return this.currentEpoch;
  }

  /**
   * Gives the same tree a new epoch: for a buffer found older than what was signed from it (a
   * restored copy), so that what it logs from now on is a new log, never a second history of the old.
   */
  startNewEpoch(): string {
    const epoch = newEpoch();
    this.db.prepare('UPDATE punch_log SET epoch = ? WHERE id = 1').run(epoch);
    this.currentEpoch = epoch;
    return epoch;
  }

  size(): number {
    return (this.readLog.get() as LogRow).size;
  }

  head(): { size: number; root: Buffer } {
    const size = this.size();
    return { size, root: this.rootOf(size) };
  }

  root(size: number): Buffer {
    this.check(size);
    return this.rootOf(size);
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
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`no leaf ${index}`);
    this.check(index + 1);
    return this.node(0, index);
  }

  private rootOf(size: number): Buffer {
    if (this.cachedRoot?.size !== size) this.cachedRoot = { size, root: rootHash(this.tree, size) };
    return this.cachedRoot.root;
  }

  private check(size: number): void {
    const head = this.size();
    if (!Number.isInteger(size) || size < 0 || size > head) throw new RangeError(`no tree of size ${size} (the log has ${head})`);
  }

  /** MTH of [start, end): one stored node when the range is one complete subtree, else its two halves. */
  private subtree(start: number, end: number): Buffer {
    const width = end - start;
    const level = Math.log2(width);
    if (Number.isInteger(level) && start % width === 0) return this.node(level, start / width);
    const k = splitPoint(width);
    return nodeHash(this.subtree(start, start + k), this.subtree(start + k, end));
  }
}
