// Retry delays, two shapes:
// - backoffDelayMs: exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential
//   Backoff And Jitter", 2015): the delay is drawn uniformly from (0, min(maxMs, baseMs * 2^attempt)],
//   so a fleet of gateways that lost the same server does not come back in lock-step. Sinks, the
//   supervisor and serial-line reopen with it.
// - spreadBackoffMs: the same exponential ceiling with ±20 % around it, never near 0: the reconnect
//   delay of drivers that must not hammer a terminal (zk-tcp sessions, Fingerspot bridge cycles).
// Invariants (backoffDelayMs):
// - The result is a whole number of milliseconds, never more than maxMs and never more than
//   baseMs * 2^attempt.
// - It is at least 1 ms whenever that ceiling is at least 1 ms: callers may hand it to APIs where 0
//   means "never" (mqtt.js `reconnectPeriod: 0` disables reconnects).
// - Attempt 0 is the first retry; negative, fractional or non-finite attempts are clamped, never
//   thrown on, and huge attempts do not overflow (the exponent is capped).

export interface BackoffOptions {
  /** ceiling of the first retry's delay; default 1000 */
  baseMs?: number;
  /** no delay is ever longer than this; default 300000 (5 minutes) */
  maxMs?: number;
  /** uniform in [0, 1); default Math.random, injectable for tests */
  random?: () => number;
}

const DEFAULT_BASE_MS = 1000;
const DEFAULT_MAX_MS = 300_000;
/** 2^52 already exceeds any sane maxMs; capping keeps the arithmetic finite. */
const MAX_EXPONENT = 52;

export function backoffDelayMs(attempt: number, opts: BackoffOptions = {}): number {
  const baseMs = nonNegative(opts.baseMs, DEFAULT_BASE_MS);
  const maxMs = nonNegative(opts.maxMs, DEFAULT_MAX_MS);
  const exponent = Number.isFinite(attempt) ? Math.min(MAX_EXPONENT, Math.max(0, Math.floor(attempt))) : attempt > 0 ? MAX_EXPONENT : 0;
  const ceilingMs = Math.floor(Math.min(maxMs, baseMs * 2 ** exponent));
  if (ceilingMs < 1) return 0;
  const r = clampUnit((opts.random ?? Math.random)());
  return Math.min(ceilingMs, Math.max(1, Math.ceil(r * ceilingMs)));
}

function nonNegative(value: number | undefined, fallback: number): number {
  if (value === undefined || !Number.isFinite(value) || value < 0) return fallback;
  return value;
}

function clampUnit(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return Math.min(value, 1);
}

export interface SpreadBackoffOptions {
  /** delay around which the first retry waits */
  minMs: number;
  /** the exponential step stops here; the spread may go 20 % beyond it */
  maxMs: number;
  /** uniform in [0, 1); default Math.random, injectable for tests */
  random?: () => number;
}

/** The exponent stops at 16: 2^16 times any sane minMs is past every maxMs. */
const MAX_SPREAD_EXPONENT = 16;

/**
 * Exponential backoff with ±20 % jitter: round(min(maxMs, minMs * 2^attempt) * (0.8 … 1.2)).
 * Attempt 0 is the first retry.
 */
export function spreadBackoffMs(attempt: number, opts: SpreadBackoffOptions): number {
  const base = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(attempt, MAX_SPREAD_EXPONENT));
  return Math.round(base * (0.8 + (opts.random ?? Math.random)() * 0.4));
}
