// Incremental deframer for the ZK TCP stream: `50 50 82 7d | u32 LE length | ZK packet` (zk-standalone.md §1).
// Invariants:
// - Pure: `deframe(bytes)` returns the whole frames it found and the bytes it did not consume;
//   feeding `rest + next read` again yields the same frames whatever the split (any split, any merge).
// - Never loses sync forever: bytes that cannot start a frame (wrong magic, impossible length) are
//   skipped up to the next magic and reported in `skipped`, so a later valid frame is always found.
// - A frame is only emitted whole; a partial frame stays in `rest` (bounded by MAX_FRAME_BYTES).
import { TCP_MAGIC, TCP_PREFIX_BYTES, ZK_HEADER_BYTES } from './tables.js';

/**
 * Largest ZK packet accepted: a chunk answered by one CMD_DATA (pyzk handles this reply to
 * CMD_DATA_RDY) holds up to 0xFFC0 bytes (§6.4). A longer length is treated as garbage, so a
 * bogus frame start inside garbage delays resync by at most this many bytes.
 */
export const MAX_FRAME_BYTES = 0x20000;

export interface DeframeResult {
  /** bare ZK packets (prefix removed), in stream order */
  frames: Buffer[];
  /** bytes not yet consumed: the start of a frame still arriving */
  rest: Buffer;
  /** bytes discarded while looking for the next frame */
  skipped: number;
}

const EMPTY = Buffer.alloc(0);

function magicAt(bytes: Buffer, at: number): boolean {
  return bytes[at] === TCP_MAGIC[0] && bytes[at + 1] === TCP_MAGIC[1] && bytes[at + 2] === TCP_MAGIC[2] && bytes[at + 3] === TCP_MAGIC[3];
}

/** Index of the next position at or after `from` that could start a frame (a magic, or a magic prefix at the end). */
function nextCandidate(bytes: Buffer, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== TCP_MAGIC[0]) continue;
    const left = Math.min(4, bytes.length - i);
    let ok = true;
    for (let k = 1; k < left; k++) if (bytes[i + k] !== TCP_MAGIC[k]) ok = false;
    if (ok) return i;
  }
  return bytes.length;
}

export function deframe(bytes: Buffer, maxFrameBytes = MAX_FRAME_BYTES): DeframeResult {
  const frames: Buffer[] = [];
  let at = 0;
  let skipped = 0;
  while (bytes.length - at >= 4) {
    if (!magicAt(bytes, at)) {
      const next = nextCandidate(bytes, at + 1);
      skipped += next - at;
      at = next;
      continue;
    }
    if (bytes.length - at < TCP_PREFIX_BYTES) break;
    const length = bytes.readUInt32LE(at + 4);
    if (length < ZK_HEADER_BYTES || length > maxFrameBytes) {
      const next = nextCandidate(bytes, at + 1);
      skipped += next - at;
      at = next;
      continue;
    }
    const end = at + TCP_PREFIX_BYTES + length;
    if (end > bytes.length) break;
    frames.push(bytes.subarray(at + TCP_PREFIX_BYTES, end));
    at = end;
  }
  if (at < bytes.length && bytes.length - at < 4) {
    // A short tail is kept only when it could still become a magic.
    const next = nextCandidate(bytes, at);
    skipped += next - at;
    at = next;
  }
  return { frames, rest: at >= bytes.length ? EMPTY : bytes.subarray(at), skipped };
}

/** Stateful wrapper for a socket: push each read, get whole frames back. */
export class TcpDeframer {
  private pending: Buffer = EMPTY;
  /** total bytes skipped while resynchronizing */
  skippedBytes = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): Buffer[] {
    const input = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const { frames, rest, skipped } = deframe(input, this.maxFrameBytes);
    this.skippedBytes += skipped;
    // Copy the tail so a retained frame start does not pin a large socket read in memory.
    this.pending = rest.length === 0 ? EMPTY : Buffer.from(rest);
    return frames;
  }

  /** bytes held for a frame still arriving */
  get pendingBytes(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = EMPTY;
  }
}
