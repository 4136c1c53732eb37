// Signed remote commands (DESIGN.md "The centre"; README "Remote commands"): the command/v1
// message the centre publishes to `{prefix}/{site}/gateway/{gatewayId}/cmd`, its Ed25519 signature,
// and the command-result/v1 answer. Pure: no I/O, no clock of its own (callers pass `nowMs`).
// Invariants:
// - The signature covers the domain tag COMMAND_SIGNING_CONTEXT followed by the RFC 8785 (JCS)
//   canonical JSON of the whole `command` object as received: every field (id, gateway, action,
//   args, issuedAt, expiresAt, issuer) is signed, and a verifier re-serializes what it parsed, so no
//   byte-exact copy is needed. The tag keeps a command signature from ever being taken for a
//   signed note (a checkpoint) of the same key type, and the other way round.
// - `verifyCommand` checks in a fixed order and names the first failure: malformed envelope →
//   unsigned → untrusted key id → bad signature → malformed command → wrong target → expired →
//   issued in the future (beyond the skew) or living longer than allowed. Nothing of a command is
//   believed before its signature verified; replay is the caller's (it needs storage).
// - Ids are 128 random bits (32 lowercase hex): unpredictable, and what replay protection keys on.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../log/jcs.js';
import { decodeBase64, keyIdHex, type NoteSigner, type NoteVerifier } from '../log/note.js';
import type { CommandRefusalReason, ErrorCode } from '../util/catalogue.js';

export const COMMAND_SCHEMA = 'command/v1';
export const RESULT_SCHEMA = 'command-result/v1';
/** what precedes the canonical command in the signed bytes */
export const COMMAND_SIGNING_CONTEXT = 'absensi-command/v1\n';
/** the largest command message a gateway reads (a users-import CSV of a few thousand rows fits) */
export const MAX_COMMAND_BYTES = 1024 * 1024;

export const COMMAND_ACTIONS = ['info', 'sync-clock', 'backfill', 'users-import'] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

const id = z.string().regex(/^[0-9a-f]{32}$/, 'expected 32 lowercase hex digits');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, dot, dash or underscore');
const instant = z.iso.datetime({ offset: false, message: 'expected an RFC 3339 UTC time (…Z)' });
const localStart = z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/, 'expected 2026-01-01 or 2026-01-01T07:00:00 (terminal local time)');

export const commandArgsSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('info'), args: z.strictObject({}) }),
  z.strictObject({ action: z.literal('sync-clock'), args: z.strictObject({ device: name }) }),
  z.strictObject({ action: z.literal('backfill'), args: z.strictObject({ device: name, since: localStart.optional() }) }),
  z.strictObject({ action: z.literal('users-import'), args: z.strictObject({ devices: z.array(name).min(1).optional(), csv: z.string().max(MAX_COMMAND_BYTES) }) }),
]);

const commandFields = z.strictObject({
  schema: z.literal(COMMAND_SCHEMA),
  id,
  gateway: name,
  action: z.enum(COMMAND_ACTIONS),
  args: z.record(z.string(), z.unknown()),
  issuedAt: instant,
  expiresAt: instant,
  /** the signing key's name (`absensi-central/{central.id}`), for the logs */
  issuer: z.string().min(1).max(128),
});

export type Command = z.output<typeof commandFields> & z.output<typeof commandArgsSchema>;

const envelopeSchema = z.strictObject({
  command: z.record(z.string(), z.unknown()),
  signature: z.strictObject({ keyId: z.string().regex(/^[0-9a-f]{8}$/), ed25519: z.string().min(1).max(200) }).optional(),
});

export interface SignedCommand {
  command: Command;
  signature: { keyId: string; ed25519: string };
}

export function newCommandId(): string {
  return randomBytes(16).toString('hex');
}

/** The bytes a command's signature covers. */
export function signingBytes(command: unknown): Buffer {
  return Buffer.from(COMMAND_SIGNING_CONTEXT + canonicalJson(command), 'utf8');
}

export interface CommandDraft {
  gateway: string;
  action: CommandAction;
  args: Record<string, unknown>;
  nowMs: number;
  lifetimeMs: number;
}

/** A new command, signed. */
export function signCommand(draft: CommandDraft, signer: NoteSigner): SignedCommand {
  const command = {
    schema: COMMAND_SCHEMA,
    id: newCommandId(),
    gateway: draft.gateway,
    action: draft.action,
    args: draft.args,
    issuedAt: isoSeconds(draft.nowMs),
    expiresAt: isoSeconds(draft.nowMs + draft.lifetimeMs),
    issuer: signer.name,
  } as Command;
  return { command, signature: { keyId: keyIdHex(signer.keyId), ed25519: signer.sign(signingBytes(command)).toString('base64') } };
}

export interface VerifyRules {
  trusted: readonly NoteVerifier[];
  gatewayId: string;
  nowMs: number;
  /** how far ahead of our clock issuedAt may be */
  maxSkewMs: number;
  /** the longest expiresAt − issuedAt accepted: bounds how long ids must be remembered */
  maxLifetimeMs: number;
}

export type Verdict =
  | { ok: true; command: Command; expiresAtMs: number; key: string }
  /** `id`/`action` only once the signature verified: nothing unsigned is echoed as if it were ours */
  | { ok: false; reason: CommandRefusalReason; detail: string; id?: string; action?: string };

/** Checks a received message (its payload bytes) against the rules; see the invariants for the order. */
export function verifyCommand(payload: Uint8Array, rules: VerifyRules): Verdict {
  if (payload.length > MAX_COMMAND_BYTES) return { ok: false, reason: 'malformed', detail: `larger than ${MAX_COMMAND_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed', detail: 'not JSON' };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: 'malformed', detail: firstIssue(envelope.error) };
  const { command: raw, signature } = envelope.data;
  if (!signature) return { ok: false, reason: 'unsigned', detail: 'no signature' };
  const candidates = rules.trusted.filter((key) => keyIdHex(key.keyId) === signature.keyId);
  if (candidates.length === 0) return { ok: false, reason: 'untrusted-key', detail: `key id ${signature.keyId} is not in commands.trustedKeys` };
  const sig = decodeBase64(signature.ed25519);
  let bytes: Buffer;
  try {
    bytes = signingBytes(raw);
  } catch {
    return { ok: false, reason: 'malformed', detail: 'the command is not canonical JSON' };
  }
  const key = sig && candidates.find((candidate) => candidate.verify(bytes, sig));
  if (!key) return { ok: false, reason: 'bad-signature', detail: `the signature does not verify with ${candidates[0]?.name ?? 'the key'}` };
  return checkSigned(raw, key.name, rules);
}

function checkSigned(raw: Record<string, unknown>, key: string, rules: VerifyRules): Verdict {
  const fields = commandFields.safeParse(raw);
  const args = commandArgsSchema.safeParse({ action: raw.action, args: raw.args });
  const echo = { ...(typeof raw.id === 'string' && /^[0-9a-f]{32}$/.test(raw.id) ? { id: raw.id } : {}), ...(typeof raw.action === 'string' ? { action: raw.action.slice(0, 32) } : {}) };
  if (!fields.success) return { ok: false, reason: 'malformed', detail: firstIssue(fields.error), ...echo };
  if (!args.success) return { ok: false, reason: 'malformed', detail: firstIssue(args.error), ...echo };
  const command = { ...fields.data, ...args.data } as Command;
  if (command.gateway !== rules.gatewayId) return { ok: false, reason: 'wrong-target', detail: `for gateway ${command.gateway}, this is ${rules.gatewayId}`, ...echo };
  const issuedAtMs = Date.parse(command.issuedAt);
  const expiresAtMs = Date.parse(command.expiresAt);
  if (expiresAtMs <= rules.nowMs) return { ok: false, reason: 'expired', detail: `expired at ${command.expiresAt}`, ...echo };
  if (issuedAtMs > rules.nowMs + rules.maxSkewMs) return { ok: false, reason: 'issued-in-future', detail: `issued at ${command.issuedAt}, ahead of the gateway clock by more than ${rules.maxSkewMs} ms`, ...echo };
  if (expiresAtMs - issuedAtMs > rules.maxLifetimeMs || expiresAtMs < issuedAtMs) return { ok: false, reason: 'issued-in-future', detail: `lives from ${command.issuedAt} to ${command.expiresAt}, longer than ${rules.maxLifetimeMs} ms`, ...echo };
  return { ok: true, command, expiresAtMs, key };
}

/** command-result/v1: what a gateway answers on the response topic. */
export const commandResultSchema = z.object({
  schema: z.literal(RESULT_SCHEMA),
  /** the command's id; null when the message was refused before its signature verified */
  id: id.nullable(),
  gateway: z.string(),
  action: z.string().nullable(),
  ok: z.boolean(),
  at: z.string(),
  result: z.unknown().optional(),
  /** a catalogue code when not ok */
  code: z.string().optional(),
  /** for a refusal: the gateway_commands_refused_total reason */
  reason: z.string().optional(),
  message: z.string().optional(),
});

export type CommandResult = z.output<typeof commandResultSchema>;

export interface ResultDraft {
  id: string | null;
  gateway: string;
  action: string | null;
  nowMs: number;
}

export function okResult(draft: ResultDraft, result: unknown): CommandResult {
  return { schema: RESULT_SCHEMA, id: draft.id, gateway: draft.gateway, action: draft.action, ok: true, at: new Date(draft.nowMs).toISOString(), result };
}

export function failedResult(draft: ResultDraft, failure: { code: ErrorCode; message: string; reason?: string }): CommandResult {
  return { schema: RESULT_SCHEMA, id: draft.id, gateway: draft.gateway, action: draft.action, ok: false, at: new Date(draft.nowMs).toISOString(), ...failure };
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(message)'}: ${issue.message}` : 'does not validate';
}
