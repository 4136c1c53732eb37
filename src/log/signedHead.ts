// What the gateway last signed, kept outside the buffer file (`{dataDir}/log-head.json`), so that
// a buffer replaced by an older copy of itself is found at start: the copy has the same epoch and
// a shorter tree (or another root at the signed size). Signing on from it would give the centre
// two histories under one origin; the gateway gives it a new epoch instead (README "Punch log").
// Invariants:
// - Written after every signature, before the checkpoint is handed out: a temporary file renamed
//   into place, so a reader sees the old record or the new one. Not fsync'ed: after a power cut
//   it may be older than the buffer (whose commits are), never ahead of it, so it never makes a
//   good buffer look restored.
// - An unreadable or malformed record is no record: nothing is concluded from it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { PunchLog } from './punchLog.js';

export const SIGNED_HEAD_FILE = 'log-head.json';

const signedHeadSchema = z.object({
  origin: z.string().min(1),
  epoch: z.string().regex(/^[0-9a-f]{16}$/),
  size: z.number().int().nonnegative(),
  root: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
});

export type SignedHead = z.infer<typeof signedHeadSchema>;

export function signedHeadFile(dataDir: string): string {
  return join(dataDir, SIGNED_HEAD_FILE);
}

export function readSignedHead(file: string): SignedHead | undefined {
  try {
    const parsed = signedHeadSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeSignedHead(file: string, head: SignedHead): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(head)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/**
 * Why the log is not a continuation of what was signed from its epoch (a restored copy of the
 * buffer), or undefined when it is, or when the record is of another epoch.
 */
export function restoredFrom(log: Pick<PunchLog, 'epoch' | 'head' | 'root'>, signed: SignedHead | undefined): string | undefined {
  if (!signed || signed.epoch !== log.epoch) return undefined;
  const { size } = log.head();
  if (size < signed.size) return `the buffer's log has ${size} leaves, but ${signed.size} were signed from it`;
  if (!log.root(signed.size).equals(Buffer.from(signed.root, 'base64'))) return `the buffer's log has another root at size ${signed.size} than the one signed`;
  return undefined;
}
