// RawPunch (from a driver) → punch/v1 minus `seq` (assigned by the buffer at commit).
// Invariants:
// - The edge rules (edgeRules.ts, DESIGN.md "Trust at the edge") hold for every driver alike: a
//   PIN is used in its NFC form, and one that breaks PIN_PATTERN is `quarantined` as `pin-invalid`;
//   a punch whose punch/v1 JSON (seq counted at its widest) would exceed MAX_PUNCH_JSON_BYTES is
//   `quarantined` as `too-large`. Nothing larger than that is ever returned as `ok`.
// - An empty PIN is how a driver hands over a line it could not decode (already counted as a
//   rejection): it and any other field that does not validate make the punch `invalid`. Counted,
//   logged, quarantined by the context, never published.
// - A punch with an impossible timestamp (before `minYear`, or further in the future than
//   `maxFutureMs` from the gateway clock) is `quarantined`: kept in its own table for the operator,
//   counted, not published. Device clocks reset to 2000-01-01 after a dead RTC battery are the
//   common cause.
// - `device.address` is the raw punch's own (a push request's source), else the device's
//   configured one; `null` in the raw punch means none (an imported file: no terminal address).
import { z } from 'zod';
import { canonicalJson, canonicalJsonAround, flat } from '../log/jcs.js';
import { edgePin, MAX_PUNCH_JSON_BYTES, SEQ_JSON_RESERVE_BYTES } from './edgeRules.js';
import { PUNCH_SCHEMA, PUNCH_STATES, VERIFY_METHODS, punchId, type Punch, type RawPunch } from './punch.js';
import { resolveLocalTime } from './time.js';
import type { QuarantineReason } from '../util/catalogue.js';

export type UnsequencedPunch = Omit<Punch, 'seq'>;

/**
 * A punch serialized before the buffer assigns its seq, in its RFC 8785 (JCS) form: the committed
 * punch/v1 JSON is `open + seq + close`, canonical as it is stored and published, so that the punch
 * log's leaf is the SHA-256 of those very bytes (src/log/jcs.ts, canonicalJsonAround).
 */
export interface SerializedPunch {
  open: string;
  close: string;
}

export function serializePunch(punch: UnsequencedPunch): SerializedPunch {
  return canonicalJsonAround(punch as unknown as Record<string, unknown>, 'seq');
}

/** Every member of a punch and of its device, in JCS order: serializeBuilt writes exactly these. */
const PUNCH_MEMBERS = ['clockSkewSec', 'device', 'gateway', 'id', 'pin', 'raw', 'receivedAt', 'schema', 'site', 'state', 'time', 'utc', 'verify', 'workCode'] as const;
const DEVICE_MEMBERS = ['address', 'id', 'model', 'protocol', 'serial'] as const;
// a member added to punch/v1 (or its device) and not to the lists above fails to compile here
const everyPunchMember: Exclude<keyof UnsequencedPunch, (typeof PUNCH_MEMBERS)[number]> extends never ? true : never = true;
const everyDeviceMember: Exclude<keyof UnsequencedPunch['device'], (typeof DEVICE_MEMBERS)[number]> extends never ? true : never = true;
void everyPunchMember;
void everyDeviceMember;

/**
 * serializePunch for a punch punchOf just built, whose members are known: written out in JCS order
 * instead of sorting and walking the object (the same bytes: test/unit/punch.test.ts compares
 * them; `raw`, the one free-form member, still goes through canonicalJson). A third of the cost on
 * the ingest path.
 */
function serializeBuilt(p: UnsequencedPunch): SerializedPunch {
  const head = headOf(p);
  const open = `${head}"id":${canonicalJson(p.id)},"pin":${canonicalJson(p.pin)},"raw":${canonicalJson(p.raw)},"receivedAt":${repeatedJson(p.receivedAt)},"schema":${repeatedJson(p.schema)},"seq":`;
  const close = `,"site":${repeatedJson(p.site)},"state":${repeatedJson(p.state)},"time":${canonicalJson(p.time)},"utc":${canonicalJson(p.utc)},"verify":${repeatedJson(p.verify)},"workCode":${canonicalJson(p.workCode)}}`;
  return { open: flat(open), close: flat(close) };
}

/**
 * `{"clockSkewSec":…,"device":{…},"gateway":…,` of a punch: the same for every punch of a device
 * between two status changes, so the last one is kept and compared member by member.
 */
let lastHead: { skew: number | null; address: string | undefined; id: string; model: string | undefined; protocol: string; serial: string; gateway: string; json: string } | undefined;

function headOf(p: UnsequencedPunch): string {
  const d = p.device;
  const last = lastHead;
  if (last && last.skew === p.clockSkewSec && last.address === d.address && last.id === d.id && last.model === d.model && last.protocol === d.protocol && last.serial === d.serial && last.gateway === p.gateway) return last.json;
  const device = `{${d.address === undefined ? '' : `"address":${canonicalJson(d.address)},`}"id":${canonicalJson(d.id)}${d.model === undefined ? '' : `,"model":${canonicalJson(d.model)}`},"protocol":${canonicalJson(d.protocol)},"serial":${canonicalJson(d.serial)}}`;
  const json = flat(`{"clockSkewSec":${canonicalJson(p.clockSkewSec)},"device":${device},"gateway":${canonicalJson(p.gateway)},`);
  lastHead = { skew: p.clockSkewSec, address: d.address, id: d.id, model: d.model, protocol: d.protocol, serial: d.serial, gateway: p.gateway, json };
  return json;
}

/** canonicalJson of a string most punches share (schema, site, state, verify, a burst's receivedAt), remembered. */
const repeatedStrings = new Map<string, string>();

function repeatedJson(text: string): string {
  let json = repeatedStrings.get(text);
  if (json === undefined) {
    json = canonicalJson(text);
    if (repeatedStrings.size >= 256) repeatedStrings.clear();
    repeatedStrings.set(text, json);
  }
  return json;
}

export interface NormalizeContext {
  gateway: string;
  site: string;
  /** `address`: the device's configured host or port path, used when a raw punch names none */
  device: { id: string; serial: string; protocol: string; model?: string; address?: string };
  zone: string;
  clockSkewSec: number | null;
  nowMs: number;
  /** `nowMs` as ISO 8601; given once per batch because formatting costs more than the rest */
  receivedAt?: string;
  minYear: number;
  maxFutureMs: number;
}

export type NormalizeOutcome =
  /** `json`: the punch serialized, as measured against MAX_PUNCH_JSON_BYTES (the buffer stores it) */
  | { kind: 'ok'; punch: UnsequencedPunch; json: SerializedPunch }
  /** `reason`: the quarantine label (the catalogue's QUARANTINE_REASONS) */
  | { kind: 'quarantined'; reason: Exclude<QuarantineReason, 'invalid-punch'>; id: string }
  /** `reason`: what does not validate, in words (counted as `invalid-punch`) */
  | { kind: 'invalid'; reason: string };

const rawPunchSchema = z.object({
  pin: z.string().min(1, 'pin is empty'),
  localTime: z.string(),
  state: z.enum(PUNCH_STATES),
  verify: z.enum(VERIFY_METHODS),
  workCode: z.number().int().nullable().optional(),
  address: z.string().min(1).max(255).nullable().optional(),
  raw: z
    .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'raw must be an object')
    .optional(),
});

type ParsedRaw = z.output<typeof rawPunchSchema>;

export function normalizePunch(raw: RawPunch, ctx: NormalizeContext): NormalizeOutcome {
  const parsed = rawPunchSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'invalid', reason: `${issue?.path.join('.') || 'punch'}: ${issue?.message ?? 'invalid'}` };
  }
  const input = parsed.data;
  const pin = edgePin(input.pin);
  // the id over the PIN as sent: the same bad punch sent again is one quarantine row
  if (pin === undefined) return { kind: 'quarantined', id: idOf(input, input.pin, ctx), reason: 'pin-invalid' };
  const zoned = resolveLocalTime(input.localTime, ctx.zone);
  if (!zoned) return { kind: 'invalid', reason: `localTime: expected a real YYYY-MM-DDTHH:mm:ss time, got "${input.localTime.slice(0, 40)}"` };

  const id = idOf(input, pin, ctx);
  const year = Number(input.localTime.slice(0, 4));
  if (year < ctx.minYear) return { kind: 'quarantined', id, reason: `time-before-${ctx.minYear}` };
  if (zoned.epochMs - ctx.nowMs > ctx.maxFutureMs) return { kind: 'quarantined', id, reason: 'time-in-future' };

  const punch = punchOf(input, { id, pin, zoned }, ctx);
  let json: SerializedPunch;
  try {
    json = serializeBuilt(punch);
  } catch (error) {
    return { kind: 'invalid', reason: `raw: not serializable as JSON (${(error as Error).message.slice(0, 80)})` };
  }
  return jsonBytesAtMost(json.open + json.close, MAX_PUNCH_JSON_BYTES - SEQ_JSON_RESERVE_BYTES) ? { kind: 'ok', punch, json } : { kind: 'quarantined', id, reason: 'too-large' };
}

// fields spelled out: spreading a shared object here cost a microsecond a punch (measured)
function idOf(input: ParsedRaw, pin: string, ctx: NormalizeContext): string {
  return punchId({ serial: ctx.device.serial, pin, localTime: input.localTime, state: input.state, verify: input.verify });
}

function punchOf(input: ParsedRaw, facts: { id: string; pin: string; zoned: { time: string; utc: string } }, ctx: NormalizeContext): UnsequencedPunch {
  const device: UnsequencedPunch['device'] = { id: ctx.device.id, serial: ctx.device.serial, protocol: ctx.device.protocol };
  if (ctx.device.model) device.model = ctx.device.model;
  const address = input.address === null ? undefined : (input.address ?? ctx.device.address);
  if (address) device.address = address;
  return {
    schema: PUNCH_SCHEMA,
    id: facts.id,
    gateway: ctx.gateway,
    site: ctx.site,
    device,
    pin: facts.pin,
    time: facts.zoned.time,
    utc: facts.zoned.utc,
    verify: input.verify,
    state: input.state,
    workCode: input.workCode ?? null,
    receivedAt: ctx.receivedAt ?? new Date(ctx.nowMs).toISOString(),
    clockSkewSec: ctx.clockSkewSec,
    raw: input.raw ?? {},
  };
}

/** UTF-8 size check; a UTF-16 code unit is at most 3 UTF-8 bytes, so short text needs no count. */
function jsonBytesAtMost(json: string, maxBytes: number): boolean {
  if (json.length * 3 <= maxBytes) return true;
  return json.length <= maxBytes && Buffer.byteLength(json, 'utf8') <= maxBytes;
}
