// RawPunch (from a driver) → punch/v1 minus `seq` (assigned by the buffer at commit).
// Invariants:
// - A punch whose fields do not validate is `invalid` (a driver bug or a hostile device): counted,
//   logged, never published.
// - A punch with an impossible timestamp (before `minYear`, or further in the future than
//   `maxFutureMs` from the gateway clock) is `quarantined`: kept in its own table for the operator,
//   counted, not published. Device clocks reset to 2000-01-01 after a dead RTC battery are the
//   common cause.
import { z } from 'zod';
import { PUNCH_SCHEMA, PUNCH_STATES, VERIFY_METHODS, punchId, type Punch, type RawPunch } from './punch.js';
import { resolveLocalTime } from './time.js';

export type UnsequencedPunch = Omit<Punch, 'seq'>;

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
  | { kind: 'ok'; punch: UnsequencedPunch }
  | { kind: 'quarantined'; reason: string; id: string }
  | { kind: 'invalid'; reason: string };

const rawPunchSchema = z.object({
  pin: z
    .string()
    .min(1, 'pin is empty')
    .max(64, 'pin longer than 64 characters')
    .refine((pin) => !/[\u0000-\u001f|]/.test(pin), 'pin contains control characters or "|"'),
  localTime: z.string(),
  state: z.enum(PUNCH_STATES),
  verify: z.enum(VERIFY_METHODS),
  workCode: z.number().int().nullable().optional(),
  address: z.string().min(1).max(255).optional(),
  raw: z
    .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'raw must be an object')
    .optional(),
});

export function normalizePunch(raw: RawPunch, ctx: NormalizeContext): NormalizeOutcome {
  const parsed = rawPunchSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'invalid', reason: `${issue?.path.join('.') || 'punch'}: ${issue?.message ?? 'invalid'}` };
  }
  const input = parsed.data;
  const zoned = resolveLocalTime(input.localTime, ctx.zone);
  if (!zoned) return { kind: 'invalid', reason: `localTime: expected a real YYYY-MM-DDTHH:mm:ss time, got "${input.localTime}"` };

  const id = punchId({ serial: ctx.device.serial, pin: input.pin, localTime: input.localTime, state: input.state, verify: input.verify });
  const year = Number(input.localTime.slice(0, 4));
  if (year < ctx.minYear) return { kind: 'quarantined', id, reason: `time-before-${ctx.minYear}` };
  if (zoned.epochMs - ctx.nowMs > ctx.maxFutureMs) return { kind: 'quarantined', id, reason: 'time-in-future' };

  const device: UnsequencedPunch['device'] = { id: ctx.device.id, serial: ctx.device.serial, protocol: ctx.device.protocol };
  if (ctx.device.model) device.model = ctx.device.model;
  const address = input.address ?? ctx.device.address;
  if (address) device.address = address;
  return {
    kind: 'ok',
    punch: {
      schema: PUNCH_SCHEMA,
      id,
      gateway: ctx.gateway,
      site: ctx.site,
      device,
      pin: input.pin,
      time: zoned.time,
      utc: zoned.utc,
      verify: input.verify,
      state: input.state,
      workCode: input.workCode ?? null,
      receivedAt: ctx.receivedAt ?? new Date(ctx.nowMs).toISOString(),
      clockSkewSec: ctx.clockSkewSec,
      raw: input.raw ?? {},
    },
  };
}
