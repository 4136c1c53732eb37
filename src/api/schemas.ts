// Request and response schemas of the local API, in zod. Requests are validated with zod (a 400
// names every problem); responses are serialised through the JSON Schema generated from the same
// zod objects, so a field not declared here never leaves the process (e.g. a config secret).
// Invariants:
// - Queries and bodies are strict: a misspelt parameter is a 400, not a silently broader search.
// - Time parameters accept a date (whole day in gateway.timezone), a wall time (in
//   gateway.timezone), or an instant with Z/offset; see timeBounds.ts.
import { z } from 'zod';
import { punchSchema } from '../punch/punch.js';
import { watermarkSchema } from '../punch/watermark.js';

const PUNCH_ID = /^[0-9a-f]{32}$/;
export const TIME_PARAM = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback).describe(`how many rows at most (1-${max})`);
const timeParam = (what: string) =>
  z.string().regex(TIME_PARAM, 'expected a date (2026-01-19), a local time (2026-01-19T07:30) or an instant (2026-01-19T00:30:00Z)').describe(what);
const name = z.string().min(1).max(64);

export const punchesQuery = z.strictObject({
  pin: z.string().trim().min(1).max(32).optional().describe('user id exactly as the device stores it'),
  device: name.optional().describe('device id'),
  since: timeParam('earliest punch time (inclusive)').optional(),
  until: timeParam('latest punch time (exclusive; a date includes that whole day)').optional(),
  limit: limit(500, 50),
});

/** the status page's pictures: the language of their words */
export const chartQuery = z.strictObject({ lang: z.enum(['id', 'en']).default('id') });
export type ChartQuery = z.output<typeof chartQuery>;
export const punchIdParams = z.strictObject({ id: z.string().regex(/^[0-9a-f]{32}$/, 'a punch id is 32 lowercase hex digits') });

export const deadLettersQuery = z.strictObject({ sink: name.optional(), limit: limit(1000, 100) });
export const quarantineQuery = z.strictObject({ device: name.optional(), limit: limit(1000, 100) });

export const deadLetterAction = z
  .strictObject({
    sink: name.optional().describe('only this sink (default: every sink)'),
    ids: z.array(z.string().regex(PUNCH_ID, 'expected a 32-character lowercase hex punch id')).min(1).max(10_000).optional(),
    all: z.literal(true).optional(),
  })
  .refine((body) => (body.ids !== undefined) !== (body.all === true), { message: 'give either "ids" (punch ids) or "all": true, not both, not neither' });

const leafCount = (what: string) => z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe(what);
export const inclusionQuery = z.strictObject({
  index: leafCount('leaf index: the punch with seq index + 1'),
  size: leafCount('tree size, e.g. of a checkpoint; at most the log\'s'),
});
export const consistencyQuery = z.strictObject({
  from: leafCount('the smaller tree size'),
  to: leafCount('the larger tree size; at most the log\'s'),
});

export type PunchesQuery = z.output<typeof punchesQuery>;
export type DeadLetterAction = z.output<typeof deadLetterAction>;

// ---- responses ----

export const errorBody = z.object({ error: z.string(), code: z.string(), details: z.unknown().optional() });

const nullableString = z.string().nullable();

export const healthBody = z.object({ status: z.literal('ok') });

export const readyBody = z.object({
  ready: z.boolean(),
  reasons: z.array(z.object({ code: z.string(), message: z.string() })),
  bufferOpen: z.boolean(),
  lastCommitError: z.object({ at: z.string(), message: z.string() }).nullable(),
  sinks: z.array(z.object({ sink: z.string(), connected: z.boolean(), halted: nullableString })),
});

export const gatewayBody = z.object({
  id: z.string(),
  site: z.string(),
  timezone: z.string(),
  version: z.string(),
  startedAt: z.string(),
  uptimeSec: z.number(),
  sinks: z.array(z.string()),
  authRequired: z.boolean(),
  hostClock: z.object({ synchronized: z.boolean().nullable(), reason: z.string(), checkedAt: z.string() }).nullable(),
  /** the punch log: the verifier key and the latest signed checkpoint */
  log: z.object({
    key: nullableString,
    checkpoint: z.object({ origin: z.string(), size: z.number(), time: z.string() }).nullable(),
  }),
});

export const deviceBody = z.object({
  id: z.string(),
  driver: z.string(),
  enabled: z.boolean(),
  timezone: z.string(),
  protocol: z.string(),
  online: z.boolean(),
  lastSeen: nullableString,
  lastPunchAt: nullableString,
  serial: nullableString,
  model: nullableString,
  firmware: nullableString,
  platform: nullableString,
  clockSkewSec: z.number().nullable(),
  /** `CODE: message` */
  lastError: nullableString,
  /** the catalogue code of lastError */
  lastErrorCode: nullableString,
  restarts: z.number(),
  punchesCommitted: z.number(),
  rejected: z.record(z.string(), z.number()),
  recentRejects: z.array(z.object({ at: z.string(), reason: z.string(), detail: z.string().optional() })),
  details: z.record(z.string(), z.unknown()),
  /** the completeness watermark/v1 (the retained MQTT object); null while none was proven */
  watermark: watermarkSchema.nullable(),
  /** why the watermark can no longer advance (the terminal's record lost what the gateway never read); null while it can */
  watermarkFrozen: z.object({ reason: z.string(), at: z.string() }).nullable(),
  /** push devices only: what authenticates their requests (DriverDefinition.push, src/devices/definition.ts) */
  trust: z.object({ authenticated: z.boolean(), by: z.array(z.enum(['allowFrom', 'commKey', 'host'])) }).optional(),
  /** kiosks only: the newest certificate the local kiosk CA issued it (null before kiosk enroll) and how many are valid; lastPunchAt and clockSkewSec are the device's own fields */
  kiosk: z
    .object({
      certificate: z.object({ serial: z.string(), notAfter: z.string(), revoked: z.boolean(), expired: z.boolean() }).nullable(),
      valid: z.number(),
      problem: z.string().optional(),
    })
    .optional(),
});
export const devicesBody = z.object({ devices: z.array(deviceBody) });

export const sinkStateBody = z.object({
  state: z.enum(['acked', 'pending', 'dead-lettered', 'replay-queued', 'purged']),
  ackedAt: nullableString.optional(),
  reason: z.string().optional(),
  at: z.string().optional(),
  attempts: z.number().optional(),
  requestedAt: z.string().optional(),
});

/** a buffered punch as punch/v1 (every field of it, so a new optional field such as device.address is never dropped) plus its delivery state per sink */
export const punchBody = punchSchema.extend({ sinks: z.record(z.string(), sinkStateBody) });
/** `returned`: punches in this answer (at most `limit`); `more`: more punches match than it holds (narrow the search, or raise limit) */
export const punchesBody = z.object({ returned: z.number(), more: z.boolean(), limit: z.number(), punches: z.array(punchBody) });

export const queueBody = z.object({
  punches: z.number(),
  headSeq: z.number(),
  quarantined: z.number(),
  fileBytes: z.number(),
  sinks: z.array(
    z.object({
      sink: z.string(),
      ackedSeq: z.number(),
      pending: z.number(),
      oldestPendingAt: nullableString,
      oldestPendingAgeSec: z.number().nullable(),
      deadLetters: z.number(),
      replayQueued: z.number(),
      connected: z.boolean(),
      halted: nullableString,
      /** `CODE: message` */
      lastError: nullableString,
      lastErrorCode: nullableString,
      lastSuccessAt: nullableString,
    }),
  ),
});

const deadLetterRow = z.object({
  sink: z.string(),
  seq: z.number(),
  punchId: z.string(),
  reason: z.string(),
  at: z.string(),
  attempts: z.number(),
  pin: nullableString,
  device: nullableString,
  utc: nullableString,
});
export const deadLettersBody = z.object({ count: z.number(), deadLetters: z.array(deadLetterRow) });

export const deadLetterActionBody = z.object({
  action: z.enum(['replay', 'purge']),
  count: z.number(),
  rows: z.array(z.object({ sink: z.string(), seq: z.number(), punchId: z.string() })),
  notFound: z.array(z.string()),
});

export const quarantineBody = z.object({
  count: z.number(),
  quarantine: z.array(z.object({ punchId: z.string(), device: z.string(), reason: z.string(), receivedAt: z.string(), body: z.unknown() })),
});

const base64Hash = z.string().describe('base64 of a SHA-256 tree hash');
export const inclusionBody = z.object({ origin: z.string(), index: z.number(), size: z.number(), leafHash: base64Hash, rootHash: base64Hash, path: z.array(base64Hash) });
export const consistencyBody = z.object({ origin: z.string(), from: z.number(), to: z.number(), fromRoot: base64Hash, toRoot: base64Hash, path: z.array(base64Hash) });

/** JSON Schema for Fastify's serializer (fast-json-stringify), generated from a zod object. */
export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

/** Response schemas for a route: the body on success, the error body on 4xx/5xx. */
export function responses(ok: z.ZodType, status = 200): Record<number | string, Record<string, unknown>> {
  return { [status]: jsonSchema(ok), '4xx': jsonSchema(errorBody), '5xx': jsonSchema(errorBody) };
}
