// Turns one HTTP answer to a punch-batch/v1 POST into a SendResult (DESIGN.md "HTTPS (contract)").
// Invariants:
// - Pure: no I/O, no clock, no logging. The publisher logs what `notes` says.
// - Every id of the batch ends in exactly one of: acked, rejected, or neither (= retried). Ids
//   the server names that are not in the batch never reach the result.
// - 2xx: all acked except the ids a valid `{"rejected":[{"id","reason"}]}` list names. An empty,
//   non-JSON, truncated or malformed 2xx body means the server took the batch: all acked (a
//   malformed list is reported in `notes` so the operator sees it).
// - 408, 409, 429, 5xx, 3xx and anything outside 2xx–5xx: nothing acked, Retry-After honoured.
//   409 is retried because the Idempotency-Key draft (draft-ietf-httpapi-idempotency-key-header
//   §2.7) answers 409 to a retry that arrives while the first attempt is still being processed.
//   3xx is retried, not dead-lettered: redirects are not followed (the body would be re-POSTed to
//   an address nobody configured), and a misconfigured URL must not cost punches.
// - 401/403: halt 'auth', nothing acked or rejected: every punch is kept.
// - Other 4xx: the server refused the whole batch, so every punch goes to the dead-letter table
//   (DESIGN: "other 4xx: the batch moves to dead-letter with the response"), each with the
//   per-id reason when the body carries a valid rejected list naming it, else the body excerpt.
import { z } from 'zod';
import type { SendResult } from './publisher.js';

export const REASON_MAX_CHARS = 500;

export interface HttpReply {
  status: number;
  statusMessage?: string;
  /** the response body as text (already decoded); possibly cut short */
  body: string;
  /** the body was longer than the publisher reads; `body` is its beginning */
  truncated?: boolean;
  retryAfterMs?: number;
  /** the Location header of a 3xx, for the error text */
  location?: string;
}

export type OutcomeKind = 'delivered' | 'retry' | 'auth' | 'refused';

export interface Outcome {
  kind: OutcomeKind;
  result: SendResult;
  /** things worth a warning that do not change the result */
  notes: { unknownIds: string[]; malformedRejected: boolean };
}

const rejectedEntrySchema = z.object({
  id: z.string().min(1),
  reason: z.unknown().optional(),
});

const replyBodySchema = z.object({
  rejected: z.array(z.unknown()).optional(),
});

interface RejectedList {
  /** id → reason, batch members only, first mention wins */
  reasons: Map<string, string>;
  unknownIds: string[];
  malformed: boolean;
}

export function classifyReply(reply: HttpReply, batchIds: readonly string[]): Outcome {
  const ids = [...new Set(batchIds)];
  const { status } = reply;
  const noNotes = { unknownIds: [], malformedRejected: false };
  if (status >= 200 && status < 300) return delivered(reply, ids);
  if (status === 401 || status === 403) {
    return { kind: 'auth', result: withRetryAfter({ acked: [], rejected: [], halt: 'auth', error: describeStatus(reply) }, reply), notes: noNotes };
  }
  if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) return refused(reply, ids);
  return { kind: 'retry', result: withRetryAfter({ acked: [], rejected: [], error: describeStatus(reply) }, reply), notes: noNotes };
}

const RETRYABLE_4XX = new Set([408, 409, 429]);

function delivered(reply: HttpReply, ids: string[]): Outcome {
  const list = readRejectedList(reply.body, ids);
  const rejected = [...list.reasons].map(([id, reason]) => ({ id, reason: `http ${reply.status}: ${reason}` }));
  const acked = ids.filter((id) => !list.reasons.has(id));
  return { kind: 'delivered', result: { acked, rejected }, notes: { unknownIds: list.unknownIds, malformedRejected: list.malformed } };
}

function refused(reply: HttpReply, ids: string[]): Outcome {
  const list = readRejectedList(reply.body, ids);
  const whole = describeStatus(reply);
  const rejected = ids.map((id) => {
    const own = list.reasons.get(id);
    return { id, reason: own === undefined ? whole : `http ${reply.status}: ${own}` };
  });
  return {
    kind: 'refused',
    result: { acked: [], rejected, error: whole },
    notes: { unknownIds: list.unknownIds, malformedRejected: list.malformed },
  };
}

function withRetryAfter(result: SendResult, reply: HttpReply): SendResult {
  if (reply.retryAfterMs !== undefined) result.retryAfterMs = reply.retryAfterMs;
  return result;
}

/** Reads `{"rejected":[…]}`; anything else (empty, not JSON, other shapes) is "no list". */
export function readRejectedList(body: string, batchIds: readonly string[]): RejectedList {
  const list: RejectedList = { reasons: new Map(), unknownIds: [], malformed: false };
  const json = parseJson(body);
  if (json === undefined || typeof json !== 'object' || json === null || Array.isArray(json)) return list;
  const parsed = replyBodySchema.safeParse(json);
  if (!parsed.success) {
    list.malformed = true;
    return list;
  }
  const inBatch = new Set(batchIds);
  for (const raw of parsed.data.rejected ?? []) {
    const entry = rejectedEntrySchema.safeParse(raw);
    if (!entry.success) {
      list.malformed = true;
      continue;
    }
    const { id, reason } = entry.data;
    if (!inBatch.has(id)) {
      if (!list.unknownIds.includes(id)) list.unknownIds.push(id);
      continue;
    }
    if (!list.reasons.has(id)) list.reasons.set(id, reasonText(reason));
  }
  return list;
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function reasonText(reason: unknown): string {
  if (reason === undefined || reason === null || reason === '') return 'rejected by the server (no reason given)';
  const text = typeof reason === 'string' ? reason : JSON.stringify(reason);
  return excerpt(text, REASON_MAX_CHARS);
}

/** `http 422: <first 500 chars of the body>`, or the status line when the body is empty. */
export function describeStatus(reply: HttpReply): string {
  const text = excerpt(reply.body, REASON_MAX_CHARS);
  if (reply.status >= 300 && reply.status < 400) {
    const target = reply.location ? ` to ${excerpt(reply.location, 200)}` : '';
    return `http ${reply.status}: redirect${target} not followed; check the configured url`;
  }
  if (text !== '') return `http ${reply.status}: ${text}`;
  const message = reply.statusMessage ? ` ${reply.statusMessage}` : '';
  return `http ${reply.status}${message} (empty body)`;
}

/** One line of at most maxChars: control characters and runs of white space become one space. */
export function excerpt(text: string, maxChars: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length > maxChars ? flat.slice(0, maxChars) : flat;
}
