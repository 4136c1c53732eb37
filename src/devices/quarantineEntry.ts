// The quarantine row of a raw punch the normalizer refused. Rows are bounded whatever a terminal
// sends: a quarantined 1.3 MB punch must not cost 1.3 MB of buffer.
// Invariants:
// - A raw punch whose JSON is at most MAX_QUARANTINE_RAW_BYTES is kept whole (`raw`), so the
//   operator sees exactly what came in (a look-alike PIN with its zero-width space).
// - A larger one keeps its small fields cut short (`raw`), the first QUARANTINE_EXCERPT_CHARS
//   characters of its JSON, its size in UTF-8 bytes and the SHA-256 of that JSON (`truncated`).
// - An `invalid` punch has no punch id: its row id is `invalid-` and 24 hex digits of that same
//   SHA-256, so the same bad input sent again is one row.
import { createHash } from 'node:crypto';
import type { QuarantineEntry } from '../buffer/punchBuffer.js';
import type { NormalizeOutcome } from '../punch/normalize.js';
import type { RawPunch } from '../punch/punch.js';

export const MAX_QUARANTINE_RAW_BYTES = 4096;
export const QUARANTINE_EXCERPT_CHARS = 1024;
const SMALL_FIELD_CHARS = 64;

export interface QuarantineFacts {
  deviceId: string;
  serial: string;
  zone: string;
}

export function quarantineEntryOf(raw: RawPunch, outcome: Exclude<NormalizeOutcome, { kind: 'ok' }>, facts: QuarantineFacts): QuarantineEntry {
  const json = jsonOf(raw);
  const sha256 = createHash('sha256').update(json).digest('hex');
  const id = outcome.kind === 'quarantined' ? outcome.id : `invalid-${sha256.slice(0, 24)}`;
  const reason = outcome.kind === 'quarantined' ? outcome.reason : `invalid: ${outcome.reason}`;
  const bytes = Buffer.byteLength(json, 'utf8');
  const context = { serial: facts.serial, zone: facts.zone };
  if (bytes <= MAX_QUARANTINE_RAW_BYTES) return { id, deviceId: facts.deviceId, reason, body: { raw, ...context } };
  const truncated = { bytes, sha256, excerpt: json.slice(0, QUARANTINE_EXCERPT_CHARS) };
  return { id, deviceId: facts.deviceId, reason, body: { raw: smallFieldsOf(raw), truncated, ...context } };
}

function jsonOf(raw: RawPunch): string {
  try {
    return JSON.stringify(raw) ?? 'undefined';
  } catch (error) {
    return JSON.stringify({ unserializable: (error as Error).message });
  }
}

/** A string cut short; a number, boolean or null as is; anything else named by its type. */
function cut(value: unknown, chars = SMALL_FIELD_CHARS): unknown {
  if (typeof value === 'string') return value.slice(0, chars);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  return `(${typeof value})`;
}

/** The fields an operator identifies a punch by, each cut short; `raw` (protocol fields) left out. */
function smallFieldsOf(raw: RawPunch): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    pin: cut(raw.pin),
    localTime: cut(raw.localTime),
    state: cut(raw.state),
    verify: cut(raw.verify),
    workCode: typeof raw.workCode === 'number' ? raw.workCode : null,
  };
  if (raw.address !== undefined) fields.address = cut(raw.address, 255);
  return fields;
}
