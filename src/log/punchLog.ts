// The punch log as its signers and the local API read it: the buffer's Merkle log over committed
// punches (DESIGN.md "Punch log: tamper-evident, signed"). The buffer implements it
// (`PunchBuffer.log`, src/buffer/punchBuffer.ts); this is the same shape, declared here so that
// src/log needs nothing from the buffer.
// Invariants (the storage keeps them):
// - Leaf i is the punch with seq i + 1; `head()` is the committed tree: size = highest seq, root
//   = RFC 6962 MTH of the leaves. A punch is never committed without its leaf.
// - Append-only within an epoch: every head is an extension of every earlier one. A new buffer
//   file is a new epoch (16 lowercase hex digits).
// - Proofs are RFC 6962 §2.1.1–2.1.2 paths for any size up to the head, also after retention.
export interface PunchLog {
  readonly epoch: string;
  head(): { size: number; root: Buffer };
  root(size: number): Buffer;
  inclusionProof(index: number, size: number): Buffer[];
  consistencyProof(from: number, to: number): Buffer[];
  leafHash(index: number): Buffer;
}
