// Version 5: the punch log's leaves in blocks of 16, one row each, instead of a log_nodes row per
// leaf. Committing a punch wrote two B-tree rows (the punch, its leaf); now a sixteenth of a leaf
// row. Block b holds the 32-byte hashes of leaves 16b … 16b + 15 in order; only the last block of
// the log may hold fewer, and it is rewritten only to grow. The leaves a file had (log_nodes level
// 0) move here. Never edit after release: add a migration instead.
import type Database from 'better-sqlite3';

export const LEAVES_PER_BLOCK = 16;

export const LEAF_BLOCKS_SQL = `
CREATE TABLE log_leaves (
  block  INTEGER PRIMARY KEY,
  hashes BLOB NOT NULL
);
`;

export function moveLeavesIntoBlocks(db: Database.Database): void {
  const insert = db.prepare('INSERT INTO log_leaves (block, hashes) VALUES (?, ?)');
  const page = db.prepare('SELECT idx, hash FROM log_nodes WHERE level = 0 AND idx >= ? ORDER BY idx LIMIT 4096');
  let block: Buffer[] = [];
  let blockIndex = 0;
  const flush = (): void => {
    if (block.length > 0) insert.run(blockIndex, Buffer.concat(block));
    block = [];
  };
  let next = 0;
  for (let rows = page.all(0) as { idx: number; hash: Buffer }[]; rows.length > 0; rows = page.all(next) as { idx: number; hash: Buffer }[]) {
    for (const row of rows) {
      // leaves are written from 0 with no gap; after one (a damaged file) the rest cannot be
      // placed in a block: those up to it move, the old rows stay, and a proof that needs a leaf
      // past it fails as "node missing", as it would have before
      if (row.idx !== next) return flush();
      if (Math.floor(row.idx / LEAVES_PER_BLOCK) !== blockIndex) {
        flush();
        blockIndex = Math.floor(row.idx / LEAVES_PER_BLOCK);
      }
      block.push(row.hash);
      next += 1;
    }
  }
  flush();
  db.prepare('DELETE FROM log_nodes WHERE level = 0').run();
}
