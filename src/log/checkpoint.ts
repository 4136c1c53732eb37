// Checkpoints of the punch log (DESIGN.md "Punch log: tamper-evident, signed"): the C2SP
// tlog-checkpoint note body, with the gateway's names for its key and its log.
// Invariants:
// - A body is at least three non-empty lines, each ending in "\n": the origin, the tree size in
//   decimal without leading zeros, the base64 of the 32-byte RFC 6962 root hash; then extension
//   lines, each non-empty. The gateway writes exactly one extension line, `time <UTC RFC 3339,
//   seconds>`.
// - Key name `absensi-gateway/{site}/{gatewayId}`; origin `{key name}/{epoch}`, epoch 16
//   lowercase hex digits, one per buffer file: a replaced buffer is a new log, never a shorter one.
// - Pure: no I/O. `splitNotes` cuts a file of several checkpoint notes (bodies hold no blank
//   line, so each note ends where its signature lines do).
import { HASH_BYTES } from './merkle.js';
import { decodeBase64, EM_DASH } from './note.js';

export const KEY_NAME_PREFIX = 'absensi-gateway';
export const EPOCH = /^[0-9a-f]{16}$/;
const SIZE = /^(?:0|[1-9][0-9]*)$/;
const TIME_LINE = /^time (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/;

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  /** the lines after the root hash, as written */
  extensions: string[];
}

export function logKeyName(site: string, gatewayId: string): string {
  return `${KEY_NAME_PREFIX}/${site}/${gatewayId}`;
}

export function logOrigin(keyName: string, epoch: string): string {
  if (!EPOCH.test(epoch)) throw new CheckpointError(`a log epoch is 16 lowercase hex digits, not ${JSON.stringify(epoch)}`);
  return `${keyName}/${epoch}`;
}

/** The epoch of an origin of the log signed by `keyName`; undefined when the origin is not one of its logs. */
export function epochOf(origin: string, keyName: string): string | undefined {
  const prefix = `${keyName}/`;
  const epoch = origin.startsWith(prefix) ? origin.slice(prefix.length) : '';
  return EPOCH.test(epoch) ? epoch : undefined;
}

/** UTC, RFC 3339, whole seconds: 2026-01-19T00:31:05Z. */
export function checkpointTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export function formatCheckpoint(checkpoint: { origin: string; size: number; root: Uint8Array; time: Date }): string {
  const { origin, size, root, time } = checkpoint;
  if (origin.length === 0 || /[\n\u0000-\u001f]/.test(origin)) throw new CheckpointError('a checkpoint origin is one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw new CheckpointError(`not a tree size: ${size}`);
  if (root.length !== HASH_BYTES) throw new CheckpointError(`a root hash has ${HASH_BYTES} bytes, not ${root.length}`);
  return `${origin}\n${size}\n${Buffer.from(root).toString('base64')}\ntime ${checkpointTime(time)}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new CheckpointError('a checkpoint body ends in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointError('a checkpoint body has at least three lines: origin, tree size, root hash');
  if (lines.some((line) => line.length === 0)) throw new CheckpointError('a checkpoint body has no empty line');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  const size = Number(sizeText);
  if (!SIZE.test(sizeText) || !Number.isSafeInteger(size)) throw new CheckpointError(`the tree size is not a decimal number without leading zeros: ${JSON.stringify(sizeText)}`);
  const root = decodeBase64(rootText);
  if (!root || root.length !== HASH_BYTES) throw new CheckpointError(`the root hash is not the base64 of ${HASH_BYTES} bytes`);
  return { origin, size, root, extensions };
}

/** The `time` extension line the gateway writes (RFC 3339 UTC seconds); undefined when absent or malformed. */
export function checkpointTimeOf(checkpoint: Pick<Checkpoint, 'extensions'>): string | undefined {
  for (const line of checkpoint.extensions) {
    const match = TIME_LINE.exec(line);
    if (!match) continue;
    const time = match[1] as string;
    const at = new Date(time);
    return !Number.isNaN(at.getTime()) && checkpointTime(at) === time ? time : undefined;
  }
  return undefined;
}

/**
 * Cuts a text holding one or more checkpoint notes, one after another, into notes. A note ends
 * with the last of its signature lines ("— …"); blank lines between notes are skipped.
 */
export function splitNotes(text: string): string[] {
  const notes: string[] = [];
  const lines = text.split('\n');
  let current: string[] = [];
  let inSignatures = false;
  const flush = (): void => {
    if (current.length > 0) notes.push(`${current.join('\n')}\n`);
    current = [];
    inSignatures = false;
  };
  for (const line of lines) {
    const signature = line.startsWith(`${EM_DASH} `);
    if (inSignatures && !signature) flush();
    if (line.length === 0 && current.length === 0) continue;
    current.push(line);
    // a signature line after the body's blank line
    if (signature && current.length >= 2 && (current.at(-2) === '' || inSignatures)) inSignatures = true;
  }
  if (current.length > 0) {
    // a note whose text did not end in a newline keeps its shape, so that opening it says why
    const last = current.at(-1) === '' ? current.slice(0, -1) : current;
    notes.push(`${last.join('\n')}${text.endsWith('\n') ? '\n' : ''}`);
  }
  return notes;
}
