// Checks every gateway's punch log as its checkpoints arrive (DESIGN.md "The centre"): the
// signature with the gateway's verifier key, then the root recomputed from the punches stored.
// Invariants:
// - Incremental: per origin, the right edge of the tree verified so far is kept (`log_state`); a
//   new checkpoint is checked by appending the leaves of the punches after it, so the work is the
//   punches since the last checkpoint, not the whole log. A checkpoint below what is verified, or
//   a seq held by two different punches (a restored gateway's new epoch reuses seqs), is checked
//   with the whole-log verifier instead (src/log/verify.ts), which sorts copies from conflicts.
// - A checkpoint whose punches are not all here yet is `incomplete` and checked again by the
//   sweep: punches may arrive after the checkpoint that covers them. Past `missingAfter` the gap
//   becomes a log problem. A root that differs is `root-mismatch` and a problem at once (a punch
//   was altered: what was stored is not what the gateway logged); two roots for one size of one
//   origin are `inconsistent` (the gateway signed two histories).
// - Verification never blocks storage: it runs after the checkpoint's row is committed and its
//   failures are logged and retried by the sweep.
import type { Logger } from 'pino';
import { logKeyName } from '../log/checkpoint.js';
import { punchLeafHash } from '../log/jcs.js';
import { CompactRange, type TreeNode } from '../log/merkle.js';
import { formatRanges, openGatewayCheckpoint, verifyLog, type SeqRange } from '../log/verify.js';
import { errorMessage } from '../util/errors.js';
import { recordProblem } from './ingest.js';
import type { CentralStore, Sql } from './store.js';

export interface LogCheckerOptions {
  store: CentralStore;
  /** verifier keys from central.yaml, by gateway id */
  trustedKeys: Record<string, string>;
  missingAfterMs: number;
  log: Logger;
  now?: () => number;
}

interface CheckpointRow {
  origin: string;
  size: number;
  root: Buffer;
  gateway: string;
  received_at: Date;
}

type Verdict = { status: 'verified' } | { status: 'incomplete'; missing: SeqRange[] } | { status: 'root-mismatch' | 'inconsistent' | 'conflict'; detail: string };

interface EdgeJson {
  level: number;
  index: number;
  hash: string;
}

export class LogChecker {
  private readonly options: LogCheckerOptions;
  private readonly now: () => number;

  constructor(options: LogCheckerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** The key a gateway's checkpoints must be signed with: central.yaml's, else the one first seen in its status. */
  async keyOf(tx: Sql, gateway: string): Promise<string | undefined> {
    const configured = this.options.trustedKeys[gateway];
    if (configured) return configured;
    const { rows } = await tx.query<{ log_key: string | null }>('SELECT log_key FROM gateways WHERE id = $1', [gateway]);
    return rows[0]?.log_key ?? undefined;
  }

  /**
   * Stores a checkpoint note from `gateway` (signature checked first); then checks its origin.
   * Returns what became of it.
   */
  async checkpointArrived(note: string, site: string, gateway: string): Promise<string> {
    const { store, log } = this.options;
    const stored = await store.transaction(async (tx) => {
      const key = await this.keyOf(tx, gateway);
      if (!key) return 'awaiting-key' as const;
      let checkpoint: ReturnType<typeof openGatewayCheckpoint>;
      try {
        checkpoint = openGatewayCheckpoint(note, key);
      } catch (error) {
        const detail = `a checkpoint on its topic is not signed by its key: ${errorMessage(error).slice(0, 200)}`;
        if (await recordProblem(tx, { gateway, kind: 'bad-signature', detail })) log.error({ code: 'GW_ERR_CENTRAL_LOG_PROBLEM', gateway, kind: 'bad-signature' }, detail);
        return 'bad-signature' as const;
      }
      if (!checkpoint.origin.startsWith(`${logKeyName(site, gateway)}/`)) {
        const detail = `a checkpoint of ${checkpoint.origin} came on the topic of ${site}/${gateway}`;
        if (await recordProblem(tx, { gateway, kind: 'wrong-origin', detail })) log.error({ code: 'GW_ERR_CENTRAL_LOG_PROBLEM', gateway, kind: 'wrong-origin' }, detail);
        return 'wrong-origin' as const;
      }
      await tx.query(
        `INSERT INTO checkpoints (origin, size, root, gateway, epoch, signed_at, note, status, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', now())
         ON CONFLICT (origin, size, root) DO NOTHING`,
        [checkpoint.origin, checkpoint.size, Buffer.from(checkpoint.root), gateway, checkpoint.epoch, checkpoint.time, note],
      );
      return checkpoint.origin;
    });
    if (stored === 'awaiting-key' || stored === 'bad-signature' || stored === 'wrong-origin') return stored;
    await this.checkOrigin(stored);
    return stored;
  }

  /** Checks every checkpoint of every origin not yet final (the sweep; also after a restart). */
  async sweep(): Promise<void> {
    const { rows } = await this.options.store.query<{ origin: string }>("SELECT DISTINCT origin FROM checkpoints WHERE status IN ('pending', 'incomplete')");
    for (const { origin } of rows) await this.checkOrigin(origin);
  }

  /** Checks the open checkpoints of one origin, smallest first; stops at the first that cannot be verified yet. */
  async checkOrigin(origin: string): Promise<void> {
    const { store, log } = this.options;
    await store.transaction(async (tx) => {
      const open = (
        await tx.query<CheckpointRow>(
          // FOR UPDATE: two checks of one origin at once (the receiver's and the sweep's, or two
          // processes) take turns; the second then skips what the first verified, instead of
          // writing log_state from the state it read before the first committed (a smaller size)
          "SELECT origin, size, root, gateway, received_at FROM checkpoints WHERE origin = $1 AND status IN ('pending', 'incomplete') ORDER BY size FOR UPDATE",
          [origin],
        )
      ).rows;
      for (const checkpoint of open) {
        const verdict = await this.check(tx, checkpoint);
        const detail = verdict.status === 'verified' ? null : verdict.status === 'incomplete' ? `missing seqs ${formatRanges(verdict.missing)}` : verdict.detail;
        await tx.query('UPDATE checkpoints SET status = $4, detail = $5 WHERE origin = $1 AND size = $2 AND root = $3', [checkpoint.origin, checkpoint.size, checkpoint.root, verdict.status, detail]);
        if (verdict.status === 'verified') continue;
        if (verdict.status === 'incomplete') {
          if (this.now() - new Date(checkpoint.received_at).getTime() >= this.options.missingAfterMs) {
            for (const range of verdict.missing) {
              const text = `seqs ${formatRanges([range])} of ${origin} have not arrived, though a checkpoint of size ${checkpoint.size} covers them`;
              if (await recordProblem(tx, { gateway: checkpoint.gateway, origin, kind: 'missing', detail: text, seqFrom: range.from, seqTo: range.to })) {
                log.warn({ code: 'GW_ERR_CENTRAL_LOG_PROBLEM', gateway: checkpoint.gateway, origin, kind: 'missing', from: range.from, to: range.to }, text);
              }
            }
          }
          break;
        }
        if (await recordProblem(tx, { gateway: checkpoint.gateway, origin, kind: verdict.status, detail: verdict.detail })) {
          log.error({ code: 'GW_ERR_CENTRAL_LOG_PROBLEM', gateway: checkpoint.gateway, origin, kind: verdict.status, size: checkpoint.size }, verdict.detail);
        }
      }
    });
  }

  private async check(tx: Sql, checkpoint: CheckpointRow): Promise<Verdict> {
    const rival = (
      await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM checkpoints WHERE origin = $1 AND size = $2 AND root <> $3", [checkpoint.origin, checkpoint.size, checkpoint.root])
    ).rows[0];
    if (rival && rival.n > 0) return { status: 'inconsistent', detail: `${checkpoint.origin} has two roots signed for size ${checkpoint.size}: the gateway signed two histories` };
    const state = await this.stateOf(tx, checkpoint);
    if (checkpoint.size < state.size || (await this.hasConflicts(tx, checkpoint.gateway, checkpoint.size))) return this.checkWhole(tx, checkpoint);
    const punches = (
      await tx.query<{ seq: number; body: unknown }>('SELECT seq, body FROM punches WHERE gateway = $1 AND seq > $2 AND seq <= $3 ORDER BY seq', [checkpoint.gateway, state.size, checkpoint.size])
    ).rows;
    const missing = missingRanges(state.size + 1, checkpoint.size, punches.map((p) => p.seq));
    if (missing.length > 0) return { status: 'incomplete', missing };
    const range = CompactRange.resume(state.size, state.edge);
    for (const punch of punches) range.append(punchLeafHash(typeof punch.body === 'string' ? JSON.parse(punch.body) : punch.body));
    if (!range.root().equals(checkpoint.root)) {
      return { status: 'root-mismatch', detail: `the punches stored for seqs ${state.size + 1}–${checkpoint.size} of ${checkpoint.origin} do not make the root the gateway signed: one of them was altered` };
    }
    const edge: EdgeJson[] = range.nodes.map((n) => ({ level: n.level, index: n.index, hash: n.hash.toString('base64') }));
    await tx.query(
      `INSERT INTO log_state (origin, gateway, verified_size, edge, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (origin) DO UPDATE SET verified_size = excluded.verified_size, edge = excluded.edge, updated_at = now()`,
      [checkpoint.origin, checkpoint.gateway, range.size, JSON.stringify(edge)],
    );
    return { status: 'verified' };
  }

  private async stateOf(tx: Sql, checkpoint: CheckpointRow): Promise<{ size: number; edge: TreeNode[] }> {
    const row = (await tx.query<{ verified_size: number; edge: EdgeJson[] | string }>('SELECT verified_size, edge FROM log_state WHERE origin = $1', [checkpoint.origin])).rows[0];
    if (!row) return { size: 0, edge: [] };
    const edge = (typeof row.edge === 'string' ? (JSON.parse(row.edge) as EdgeJson[]) : row.edge).map((n) => ({ level: n.level, index: n.index, hash: Buffer.from(n.hash, 'base64') }));
    return { size: row.verified_size, edge };
  }

  private async hasConflicts(tx: Sql, gateway: string, size: number): Promise<boolean> {
    const row = (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT seq FROM punches WHERE gateway = $1 AND seq <= $2 GROUP BY seq HAVING count(*) > 1) AS doubled', [gateway, size])).rows[0];
    return (row?.n ?? 0) > 0;
  }

  /** The whole-log verifier over this gateway's punches and this origin's checkpoints. */
  private async checkWhole(tx: Sql, checkpoint: CheckpointRow): Promise<Verdict> {
    const key = await this.keyOf(tx, checkpoint.gateway);
    if (!key) return { status: 'incomplete', missing: [] };
    const punches = (await tx.query<{ body: unknown }>('SELECT body FROM punches WHERE gateway = $1 AND seq <= $2', [checkpoint.gateway, checkpoint.size])).rows.map((r) => (typeof r.body === 'string' ? JSON.parse(r.body) : r.body));
    const notes = (await tx.query<{ note: string }>('SELECT note FROM checkpoints WHERE origin = $1 AND size = $2 AND root = $3', [checkpoint.origin, checkpoint.size, checkpoint.root])).rows.map((r) => r.note);
    const report = verifyLog({ key, punches, checkpoints: notes });
    const result = report.checkpoints[0];
    if (result?.status === 'verified') return { status: 'verified' };
    const epoch = report.epochs.find((e) => e.origin === checkpoint.origin);
    if (result?.status === 'incomplete' && epoch) return { status: 'incomplete', missing: epoch.missing };
    return { status: 'conflict', detail: `${checkpoint.origin} at size ${checkpoint.size}: ${result?.status ?? 'not checked'}; ${report.problems.slice(0, 3).join(' ')}` };
  }
}

/** Seqs in [from, to] not in `present` (ascending), as ranges. */
export function missingRanges(from: number, to: number, present: readonly number[]): SeqRange[] {
  const ranges: SeqRange[] = [];
  let expected = from;
  for (const seq of present) {
    if (seq > expected) ranges.push({ from: expected, to: seq - 1 });
    expected = Math.max(expected, seq + 1);
  }
  if (expected <= to) ranges.push({ from: expected, to });
  return ranges;
}
