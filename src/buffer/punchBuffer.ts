// The store-and-forward buffer seam. Invariants every implementation keeps:
// - `commit` resolves only after the transaction holding the punches (and the checkpoint values
//   given with them) is durable; it rejects with GW_ERR_BUFFER_UNAVAILABLE when it cannot commit.
// - Punch ids are unique: a punch committed twice is a duplicate, not a second row.
// - `seq` is strictly increasing in commit order and never reused, even after retention.
// - Each sink has its own cursor: every punch with seq <= cursor is acked or dead-lettered for that
//   sink. Punches handed out by `pending` and not yet acked are handed out again after a restart.
// - Nothing leaves the buffer except through retention of punches every sink is done with, or an
//   operator's purge of dead letters.
// - `committed` is emitted after every transaction that committed (duplicates only included),
//   `commitError` after every one that failed; the dispatchers wake on the first, readiness
//   watches both.
// - With a `log`, a punch is committed only together with its leaf, and the log is never behind
//   the last commit.
// The seam's types live here, with the buffer: the driver context commits through it and the
// dispatchers drain it as OutgoingPunch, so neither src/devices nor src/publish declares them.
import type { PunchLog } from '../log/punchLog.js';
import type { Punch } from '../punch/punch.js';
import type { SerializedPunch, UnsequencedPunch } from '../punch/normalize.js';

/**
 * A punch as the buffer hands it to a sink: the committed punch/v1 JSON, byte for byte, plus the
 * few fields routing and bookkeeping need — so a drain never parses and re-serializes punches.
 */
export interface OutgoingPunch {
  seq: number;
  id: string;
  deviceId: string;
  /** when the punch was first committed, ISO UTC */
  receivedAt: string;
  /** punch/v1 exactly as committed */
  json: string;
}

export interface QuarantineEntry {
  id: string;
  deviceId: string;
  reason: string;
  body: Record<string, unknown>;
}

export interface CommitBatch {
  punches: UnsequencedPunch[];
  /** `punches[i]` serialized, when the caller already did (normalize measures the size): not serialized twice */
  serialized?: SerializedPunch[];
  quarantined?: QuarantineEntry[];
  /** written in the same transaction as the punches */
  checkpoint?: { deviceId: string; values: Record<string, unknown> };
}

export interface CommitResult {
  inserted: number;
  duplicates: number;
  quarantined: number;
  /** the seq of each newly inserted punch, in input order (duplicates omitted) */
  seqs: number[];
  /** positions in the batch's `punches` that were duplicates */
  duplicateAt?: number[];
}

export interface SinkStats {
  sink: string;
  ackedSeq: number;
  pending: number;
  /** receivedAt of the oldest punch this sink has not acked, or null */
  oldestPendingAt: string | null;
  deadLetters: number;
  replayQueued: number;
}

export interface BufferStats {
  punches: number;
  headSeq: number;
  quarantined: number;
  fileBytes: number;
  sinks: SinkStats[];
}

/** What the buffer announces: a transaction committed, or one failed (with the error its commits were rejected with). */
export interface BufferEvents {
  committed: [];
  commitError: [error: Error];
}

export interface PunchBuffer {
  commit(batch: CommitBatch): Promise<CommitResult>;
  /** Next punches for `sink` that are neither acked nor already handed out: replays first, then in seq order. */
  pendingOutgoing(sink: string, limit: number): OutgoingPunch[];
  /** `pendingOutgoing`, parsed (tools and tests that look at the punches). */
  pending(sink: string, limit: number): Punch[];
  ack(sink: string, ids: string[]): void;
  deadLetter(sink: string, rejected: { id: string; reason: string }[]): void;
  /** Forget what was handed out and not acked, so `pending` serves it again from the cursor. */
  rewind(sink: string): void;
  /** The seq of the committed punch `id`; undefined when the buffer holds none (never, or removed by retention). */
  seqOf(id: string): number | undefined;
  /** The highest seq ever committed (0 for none yet), read now; never lower after retention. */
  headSeq(): number;
  getCheckpoint(deviceId: string, key: string): unknown;
  setCheckpoint(deviceId: string, values: Record<string, unknown>): void;
  stats(): BufferStats;
  /** The Merkle log over the committed punches (leaf i = seq i + 1, appended in the punch's transaction); undefined when the file keeps none. */
  readonly log: PunchLog | undefined;
  /** true once `close` ran: every read and write then throws GW_ERR_BUFFER_UNAVAILABLE */
  readonly isClosed: boolean;
  on<E extends keyof BufferEvents>(event: E, listener: (...args: BufferEvents[E]) => void): unknown;
  off<E extends keyof BufferEvents>(event: E, listener: (...args: BufferEvents[E]) => void): unknown;
  close(): void;
}
