// The punch log verifier, for the centre (`absensi-gateway/verify`, and `absensi-gateway log
// verify`): given a gateway's verifier key, the punches received from it and its checkpoints, it
// says whether every punch is exactly what the gateway logged, none is missing, and the gateway
// never signed two histories.
// Invariants:
// - No gateway state: the inputs are the vkey, punch/v1 objects (as parsed from MQTT payloads or
//   HTTPS batches, in any order, re-deliveries included) and checkpoint note texts. Pure:
//   node:crypto and the pure modules beside it, no I/O.
// - A checkpoint counts only when its note opens with the key (signed-note rules), its body is a
//   tlog-checkpoint of an origin `{key name}/{epoch}` and it has the time line.
// - Each origin (epoch) is checked on its own: punch seq i is leaf i-1; the root of seq 1..size is
//   recomputed (RFC 6962 MTH of SHA-256(0x00 ‖ JCS(punch))) and must equal the signed one. A
//   replaced buffer is another origin: its checkpoints are checked against the punches as a log of
//   their own, never held against the old one. Identical copies of a punch are re-deliveries
//   (at-least-once), not a problem; different punches with one seq are tried in every epoch, and
//   the copy that makes a signed root is the logged one.
// - An altered punch is located to the seqs between the largest checkpoint still verified and the
//   first one that no longer is (a root says nothing finer). A smaller or equal-sized checkpoint
//   whose root is not the prefix root of a verified larger one is `inconsistent`: the gateway
//   signed two histories.
// - `ok` only when there are no problems at all: every checkpoint verified, no seq missing below
//   the largest checkpoint, no punch outside what a verified checkpoint covers, no bad input.
import { checkpointTimeOf, epochOf, parseCheckpoint, splitNotes, type Checkpoint } from './checkpoint.js';
import { punchLeafHash } from './jcs.js';
import { CompactRange, EMPTY_ROOT, rootFromInclusion, verifyConsistency } from './merkle.js';
import { keyIdHex, NoteError, openNote, parseVerifierKey, type NoteVerifier } from './note.js';

export { parseCheckpoint, splitNotes, type Checkpoint } from './checkpoint.js';
export { punchLeafHash } from './jcs.js';
export { verifyConsistency, verifyInclusion } from './merkle.js';
export { openNote, parseVerifierKey, NoteError } from './note.js';

/** How many ways of choosing among different punches sharing seqs are tried for one checkpoint. */
const MAX_CHOICES = 256;
const MAX_LISTED = 100;

export interface VerifyInput {
  /** the gateway's verifier key: `absensi-gateway/{site}/{gatewayId}+<key id>+<base64 key>` */
  key: string;
  /** punch/v1 objects in any order, copies allowed; read once (a generator may stream them from a file) */
  punches: Iterable<unknown>;
  /** how a problem names the punch at `index` in `punches` (e.g. file:line); default `#<index + 1>` */
  describePunch?: (index: number) => string;
  /** checkpoint notes; an entry may hold several notes one after another. Read after every punch was (so a stream of batches may add theirs) */
  checkpoints: readonly (string | { source: string; note: string })[];
}

/** Stands in `punches` for an input that could not even be parsed (a line that is not JSON): reported as invalid. */
export class UnreadablePunch {
  constructor(readonly why: string) {}
}

export interface SeqRange {
  from: number;
  to: number;
}

export type SignatureState = 'valid' | 'invalid' | 'not-signed-by-key' | 'malformed';
export type CheckpointStatus = 'verified' | 'root-mismatch' | 'incomplete' | 'inconsistent' | 'ambiguous' | 'refused';

export interface CheckpointResult {
  /** where it came from: the source given (a file name), `#n` when it held several notes */
  source: string;
  signature: SignatureState;
  origin: string | null;
  epoch: string | null;
  size: number | null;
  /** base64, as signed */
  root: string | null;
  time: string | null;
  /**
   * verified: the root of punches 1..size is the signed one. root-mismatch: it is not (an altered
   * punch, see the epoch's `altered`). incomplete: a seq up to size is missing. inconsistent: not a
   * prefix of a verified larger checkpoint, or two roots for one size. ambiguous: too many ways to
   * choose among different punches with one seq. refused: not a checkpoint of this key.
   */
  status: CheckpointStatus;
  detail?: string;
}

export interface EpochReport {
  origin: string;
  epoch: string;
  checkpoints: number;
  /** the largest size signed */
  size: number;
  /** the largest size whose root the punches reproduce (0 when none) */
  verifiedSize: number;
  /** seqs 1..size that no punch has */
  missing: SeqRange[];
  /** seqs among which at least one punch is not what the gateway signed */
  altered: SeqRange[];
  inconsistent: { size: number; root: string; detail: string }[];
}

export interface PunchProblem {
  /** position in the input */
  index: number;
  seq: number | null;
  id: string | null;
  problem: string;
}

export interface SeqConflict {
  seq: number;
  /** the different punches given for it, each with the epochs whose verified log holds it */
  copies: { id: string | null; inLog: string[] }[];
}

export interface LogReport {
  ok: boolean;
  key: { name: string; keyId: string };
  punches: {
    given: number;
    /** distinct (seq, content) pairs */
    distinct: number;
    /** identical copies beyond the first (re-deliveries) */
    redelivered: number;
    /** punches of another gateway or site than the key's, left out */
    foreign: number;
    invalid: PunchProblem[];
  };
  checkpoints: CheckpointResult[];
  /** one per origin, oldest first */
  epochs: EpochReport[];
  conflicts: SeqConflict[];
  /** seqs held beyond every checkpoint: not proven yet (a newer checkpoint will) */
  uncovered: SeqRange[];
  /** every problem in a sentence; empty when ok */
  problems: string[];
}

interface Variant {
  seq: number;
  leaf: Buffer;
  id: string | null;
  placedIn: string[];
}

interface ValidCheckpoint {
  result: CheckpointResult;
  checkpoint: Checkpoint;
  epoch: string;
  time: string;
}

/** Checks punches and checkpoints against the key; throws NoteError `bad-key` for a malformed vkey. */
export function verifyLog(input: VerifyInput): LogReport {
  const verifier = parseVerifierKey(input.key);
  const owner = gatewayOfKey(verifier.name);
  const problems: string[] = [];
  const punches = collectPunches(input.punches, owner);
  const describe = input.describePunch ?? ((index: number) => `#${index + 1}`);
  const results: CheckpointResult[] = [];
  const valid: ValidCheckpoint[] = [];
  for (const { source, note } of noteEntries(input.checkpoints)) {
    const opened = openCheckpoint(source, note, verifier);
    results.push(opened.result);
    if (opened.valid) valid.push(opened.valid);
  }
  const byOrigin = new Map<string, ValidCheckpoint[]>();
  for (const cp of valid) {
    const list = byOrigin.get(cp.checkpoint.origin) ?? [];
    list.push(cp);
    byOrigin.set(cp.checkpoint.origin, list);
  }
  const epochs = [...byOrigin.entries()]
    .map(([origin, cps]) => checkEpoch(origin, cps, punches.bySeq))
    .sort((a, b) => (a.firstTime < b.firstTime ? -1 : a.firstTime > b.firstTime ? 1 : 0))
    .map((e) => e.report);

  const largest = Math.max(0, ...epochs.map((e) => e.size));
  const verifiedMax = Math.max(0, ...epochs.map((e) => e.verifiedSize));
  const conflicts: SeqConflict[] = [];
  const uncoveredSeqs: number[] = [];
  for (const [seq, variants] of punches.bySeq) {
    if (seq > largest) uncoveredSeqs.push(seq);
    if (variants.length > 1) conflicts.push({ seq, copies: variants.map((v) => ({ id: v.id, inLog: v.placedIn })) });
  }
  conflicts.sort((a, b) => a.seq - b.seq);
  const uncovered = toRanges(uncoveredSeqs.sort((a, b) => a - b));

  if (results.length === 0) problems.push('no checkpoint was given: nothing is proven');
  else if (valid.length === 0) problems.push('no checkpoint signed by the key was given: nothing is proven');
  for (const r of results) if (r.status !== 'verified') problems.push(`checkpoint ${r.source}${r.size === null ? '' : ` (size ${r.size})`}: ${r.status}${r.detail ? `: ${r.detail}` : ''}`);
  for (const p of punches.invalid.slice(0, MAX_LISTED)) problems.push(`punch ${describe(p.index)}${p.seq === null ? '' : ` (seq ${p.seq})`}: ${p.problem}`);
  if (punches.invalid.length > MAX_LISTED) problems.push(`… and ${punches.invalid.length - MAX_LISTED} more punches that cannot be read`);
  for (const e of epochs) {
    if (e.missing.length > 0) problems.push(`epoch ${e.epoch}: missing seq ${formatRanges(e.missing)} (${countRanges(e.missing)} punches)`);
    if (e.altered.length > 0) problems.push(`epoch ${e.epoch}: at least one punch of seq ${formatRanges(e.altered)} is not what the gateway signed`);
  }
  for (const c of conflicts) {
    const stray = c.copies.filter((copy) => copy.inLog.length === 0);
    // a copy outside every verified log is a problem once a verified log covers its seq
    if (stray.length > 0 && c.seq <= verifiedMax) problems.push(`seq ${c.seq}: ${stray.length} of ${c.copies.length} different punches (${stray.map((s) => s.id ?? 'no id').join(', ')}) are in no signed log`);
  }
  if (uncovered.length > 0) problems.push(`seq ${formatRanges(uncovered)}: beyond every checkpoint (size ${largest}), not proven yet`);

  return {
    ok: problems.length === 0,
    key: { name: verifier.name, keyId: keyIdHex(verifier.keyId) },
    punches: { given: punches.given, distinct: punches.distinct, redelivered: punches.redelivered, foreign: punches.foreign, invalid: punches.invalid },
    checkpoints: results,
    epochs,
    conflicts,
    uncovered,
    problems,
  };
}

/** A checkpoint note opened with the key and read as the gateway's checkpoint; throws NoteError or Error with the reason. */
export function openGatewayCheckpoint(note: string, vkey: string | NoteVerifier): Checkpoint & { epoch: string; time: string } {
  const verifier = typeof vkey === 'string' ? parseVerifierKey(vkey) : vkey;
  const opened = openCheckpoint('note', note, verifier);
  if (!opened.valid) throw new Error(opened.result.detail ?? opened.result.status);
  return { ...opened.valid.checkpoint, epoch: opened.valid.epoch, time: opened.valid.time };
}

/** RFC 9162 §2.1.4: does `proof` (base64 or bytes, from GET /api/log/consistency) show `older` is a prefix of `newer`? */
export function checkConsistency(older: Pick<Checkpoint, 'origin' | 'size' | 'root'>, newer: Pick<Checkpoint, 'origin' | 'size' | 'root'>, proof: readonly (string | Uint8Array)[]): boolean {
  return older.origin === newer.origin && verifyConsistency(older.size, newer.size, older.root, newer.root, proof.map(bytesOf));
}

/** RFC 9162 §2.1.3: is `punch` the leaf seq-1 of the tree `checkpoint` signed, by `proof` (from GET /api/log/inclusion)? */
export function checkInclusion(punch: { seq: number }, checkpoint: Pick<Checkpoint, 'size' | 'root'>, proof: readonly (string | Uint8Array)[]): boolean {
  const root = rootFromInclusion(punchLeafHash(punch), punch.seq - 1, checkpoint.size, proof.map(bytesOf));
  return root !== undefined && root.equals(checkpoint.root);
}

function bytesOf(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.from(value);
}

function gatewayOfKey(name: string): { site: string; gateway: string } | undefined {
  const parts = name.split('/');
  return parts.length === 3 && parts[0] === 'absensi-gateway' ? { site: parts[1] as string, gateway: parts[2] as string } : undefined;
}

function collectPunches(input: Iterable<unknown>, owner: { site: string; gateway: string } | undefined) {
  const bySeq = new Map<number, Variant[]>();
  const invalid: PunchProblem[] = [];
  let distinct = 0;
  let redelivered = 0;
  let foreign = 0;
  let index = -1;
  for (const punch of input) {
    index += 1;
    const added = addPunch(punch, index);
    if (added) invalid.push(added);
  }
  return { bySeq, invalid, distinct, redelivered, foreign, given: index + 1 };

  function addPunch(punch: unknown, index: number): PunchProblem | undefined {
    if (punch instanceof UnreadablePunch) return { index, seq: null, id: null, problem: punch.why };
    if (typeof punch !== 'object' || punch === null || Array.isArray(punch)) return { index, seq: null, id: null, problem: 'not a JSON object' };
    const record = punch as Record<string, unknown>;
    const id = typeof record.id === 'string' ? record.id : null;
    const seq = record.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return { index, seq: null, id, problem: 'no seq (a whole number from 1)' };
    if (owner && (record.gateway !== owner.gateway || record.site !== owner.site)) {
      foreign += 1;
      return undefined;
    }
    let leaf: Buffer;
    try {
      leaf = punchLeafHash(punch);
    } catch (error) {
      return { index, seq, id, problem: error instanceof Error ? error.message : String(error) };
    }
    const variants = bySeq.get(seq) ?? [];
    if (variants.some((v) => v.leaf.equals(leaf))) {
      redelivered += 1;
      return undefined;
    }
    variants.push({ seq, leaf, id, placedIn: [] });
    bySeq.set(seq, variants);
    distinct += 1;
    return undefined;
  }
}

function noteEntries(entries: VerifyInput['checkpoints']): { source: string; note: string }[] {
  return entries.flatMap((entry, i) => {
    const { source, note } = typeof entry === 'string' ? { source: `#${i + 1}`, note: entry } : entry;
    const notes = splitNotes(note);
    if (notes.length === 0) return [{ source, note }];
    return notes.length === 1 ? [{ source, note: notes[0] as string }] : notes.map((n, k) => ({ source: `${source}#${k + 1}`, note: n }));
  });
}

function openCheckpoint(source: string, note: string, verifier: NoteVerifier): { result: CheckpointResult; valid?: ValidCheckpoint } {
  const result: CheckpointResult = { source, signature: 'malformed', origin: null, epoch: null, size: null, root: null, time: null, status: 'refused' };
  let text: string;
  try {
    text = openNote(note, [verifier]).text;
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
    result.signature = error.reason === 'invalid-signature' ? 'invalid' : error.reason === 'unverified' ? 'not-signed-by-key' : 'malformed';
    result.detail = error.message;
    return { result };
  }
  result.signature = 'valid';
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(text);
  } catch (error) {
    result.detail = `not a checkpoint: ${error instanceof Error ? error.message : String(error)}`;
    return { result };
  }
  Object.assign(result, { origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.root.toString('base64') });
  const epoch = epochOf(checkpoint.origin, verifier.name);
  const time = checkpointTimeOf(checkpoint);
  result.epoch = epoch ?? null;
  result.time = time ?? null;
  if (!epoch) result.detail = `origin ${checkpoint.origin} is not a log of ${verifier.name} (${verifier.name}/<16 hex digits>)`;
  else if (!time) result.detail = 'no "time <UTC RFC 3339 seconds>" line';
  if (!epoch || !time) return { result };
  if (checkpoint.size === 0 && !checkpoint.root.equals(EMPTY_ROOT)) {
    result.status = 'inconsistent';
    result.detail = 'the empty tree has root SHA-256("")';
    return { result };
  }
  return { result, valid: { result, checkpoint, epoch, time } };
}

/** One origin's checkpoints against the punches: extends the verified prefix checkpoint by checkpoint. */
function checkEpoch(origin: string, cps: ValidCheckpoint[], bySeq: Map<number, Variant[]>): { report: EpochReport; firstTime: string } {
  const epoch = cps[0]?.epoch as string;
  const sizes = [...new Set(cps.map((c) => c.checkpoint.size))].sort((a, b) => a - b);
  const largest = sizes.at(-1) ?? 0;
  const report: EpochReport = { origin, epoch, checkpoints: cps.length, size: largest, verifiedSize: 0, missing: [], altered: [], inconsistent: [] };
  const missing: number[] = [];
  for (let seq = 1; seq <= largest; seq++) if (!bySeq.has(seq)) missing.push(seq);
  report.missing = toRanges(missing);
  const firstMissing = missing[0] ?? Number.POSITIVE_INFINITY;

  const groups = new Map<number, ValidCheckpoint[]>();
  for (const c of cps) {
    const list = groups.get(c.checkpoint.size) ?? [];
    list.push(c);
    groups.set(c.checkpoint.size, list);
  }
  const atSize = (size: number): ValidCheckpoint[] => groups.get(size) ?? [];
  const mark = (list: ValidCheckpoint[], status: CheckpointStatus, detail?: string): void => {
    for (const c of list) {
      c.result.status = status;
      if (detail) c.result.detail = detail;
    }
  };
  let range = new CompactRange();
  let verified = 0;
  const chosen: Variant[] = [];
  /** sizes that could not be verified against the verified prefix, for a larger verified one to judge */
  let unresolved: number[] = [];
  const inconsistent = (list: ValidCheckpoint[], detail: string): void => {
    mark(list, 'inconsistent', detail);
    for (const c of list) report.inconsistent.push({ size: c.checkpoint.size, root: c.checkpoint.root.toString('base64'), detail });
  };
  for (const size of sizes) {
    const group = atSize(size);
    const roots = new Set(group.map((c) => c.checkpoint.root.toString('base64')));
    if (size === 0) {
      mark(group, 'verified');
      continue;
    }
    if (size >= firstMissing) {
      mark(group, 'incomplete', `seq ${formatRanges(report.missing)} missing`);
      continue;
    }
    const found = extend(range, size, unresolved, roots, bySeq);
    if (found === 'ambiguous' || !found) {
      if (found === 'ambiguous') mark(group, 'ambiguous', `more than ${MAX_CHOICES} ways to choose among different punches with one seq in ${verified + 1}..${size}`);
      else mark(group, 'root-mismatch', `the root of seq 1..${size} recomputed from the punches is not the signed one`);
      unresolved.push(size);
      continue;
    }
    for (const c of group) {
      if (c.checkpoint.root.equals(found.root)) {
        c.result.status = 'verified';
        delete c.result.detail;
      } else inconsistent([c], `another checkpoint of size ${size} signs a different root, the one the punches reproduce`);
    }
    // what could not be verified before against the verified prefix is judged by this larger verified tree
    for (const earlier of unresolved) {
      const prefix = found.prefixRoots.get(earlier) as Buffer;
      for (const c of atSize(earlier)) {
        if (c.checkpoint.root.equals(prefix)) {
          c.result.status = 'verified';
          delete c.result.detail;
        } else inconsistent([c], `not a prefix of the verified checkpoint of size ${size}: the gateway signed two histories`);
      }
    }
    unresolved = [];
    range = found.range;
    for (const variant of found.variants) chosen.push(variant);
    verified = size;
  }
  for (const size of unresolved) {
    const group = atSize(size);
    const roots = new Set(group.map((c) => c.checkpoint.root.toString('base64')));
    if (roots.size > 1) inconsistent(group, `${roots.size} different roots signed for size ${size}`);
  }
  if (unresolved.length > 0) report.altered = [{ from: verified + 1, to: unresolved[0] as number }];
  report.verifiedSize = verified;
  for (const variant of chosen) variant.placedIn.push(epoch);
  const firstTime = cps.map((c) => c.time).sort()[0] as string;
  return { report, firstTime };
}

/**
 * Extends the verified tree `range` to `to` leaves with the punches, trying each way of choosing
 * among different punches of one seq, until its root is one of `roots`; then also gives the
 * roots of that tree at the sizes `between` (earlier checkpoints to judge against it).
 */
function extend(range: CompactRange, to: number, between: readonly number[], roots: ReadonlySet<string>, bySeq: Map<number, Variant[]>): { root: Buffer; range: CompactRange; variants: Variant[]; prefixRoots: Map<number, Buffer> } | 'ambiguous' | undefined {
  const choices: Variant[][] = [];
  let ways = 1;
  for (let seq = range.size + 1; seq <= to; seq++) {
    const variants = bySeq.get(seq) as Variant[];
    choices.push(variants);
    ways *= variants.length;
    if (ways > MAX_CHOICES) return 'ambiguous';
  }
  const wanted = new Set(between);
  const picks = choices.map(() => 0);
  for (let way = 0; way < ways; way++) {
    const next = CompactRange.resume(range.size, range.nodes);
    const prefixRoots = new Map<number, Buffer>();
    const variants = choices.map((list, i) => list[picks[i] as number] as Variant);
    for (const variant of variants) {
      next.append(variant.leaf);
      if (wanted.has(next.size)) prefixRoots.set(next.size, next.root());
    }
    const root = next.root();
    if (roots.has(root.toString('base64'))) return { root, range: next, variants, prefixRoots };
    // the next way: an odometer over the seqs that have several punches
    for (let i = choices.length - 1; i >= 0; i--) {
      picks[i] = ((picks[i] as number) + 1) % (choices[i] as Variant[]).length;
      if (picks[i] !== 0) break;
    }
  }
  return undefined;
}

function toRanges(sorted: readonly number[]): SeqRange[] {
  const ranges: SeqRange[] = [];
  for (const n of sorted) {
    const last = ranges.at(-1);
    if (last && n === last.to + 1) last.to = n;
    else ranges.push({ from: n, to: n });
  }
  return ranges;
}

function countRanges(ranges: readonly SeqRange[]): number {
  return ranges.reduce((sum, r) => sum + r.to - r.from + 1, 0);
}

export function formatRanges(ranges: readonly SeqRange[], max = 20): string {
  const shown = ranges.slice(0, max).map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`));
  return `${shown.join(', ')}${ranges.length > max ? `, … (${ranges.length - max} more ranges)` : ''}`;
}
