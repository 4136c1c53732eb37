// Reusable config value types, for the core's schema and every driver's config.ts (durations with a
// default, per-device code tables, zones, addresses). Every schema here carries a description: it
// ends up in config/config.schema.json, which editors show next to the YAML.
import { isIP } from 'node:net';
import { z } from 'zod';

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** `500ms`, `30s`, `5m`, `2h`, `90d` → milliseconds; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const unitMs = DURATION_UNITS_MS[match[2] as string] as number;
  return Math.round(Number(match[1]) * unitMs);
}

/** A duration written as `500ms`, `30s`, `5m`, `2h` or `90d` (a bare number means milliseconds); parsed to ms. */
export function duration(description: string) {
  return z
    .union([z.number().nonnegative(), z.string()])
    .describe(`${description} (duration: 500ms, 30s, 5m, 2h, 90d)`)
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      const ms = parseDurationMs(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 30s, 5m, 2h or 90d, got "${value}"` });
        return z.NEVER;
      }
      return ms;
    });
}

/** A duration key with a default, described on the outer schema too (so the JSON Schema shows it). */
export function durationKey(description: string, defaultMs: number) {
  return duration(description).default(defaultMs).describe(`${description} (duration: 500ms, 30s, 5m, 2h, 90d)`);
}

/**
 * A per-device code table: decimal code (1-3 digits) → one of `values`, empty by default. `what`
 * names the code in the device's own words (`Verify`, `IOMode`); `role` says how it meets the
 * driver's built-in table.
 */
export function codeMap<T extends readonly [string, ...string[]]>(values: T, what: string, role = 'overriding the built-in table for terminals configured differently') {
  return z
    .record(z.string().regex(/^\d{1,3}$/, 'expected a numeric code'), z.enum(values))
    .default({})
    .describe(`${what} code → punch/v1 value, ${role}`);
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z
  .string()
  .refine(isValidTimeZone, {
    error: (issue) =>
      `expected an IANA time zone such as Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT), got "${String(issue.input)}"`,
  })
  .describe('IANA time zone name');

export interface ListenAddress {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseListen(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

export function listenAddress(description: string) {
  return z
    .string()
    .describe(`${description} (host:port)`)
    .transform((value, ctx) => {
      const parsed = parseListen(value);
      if (!parsed) {
        ctx.addIssue({ code: 'custom', message: `expected host:port such as 127.0.0.1:8080, got "${value}"` });
        return z.NEVER;
      }
      return parsed;
    });
}

/**
 * A URL that `pattern` admits and that also parses (WHATWG URL) with a host: the pattern alone lets
 * `https://exa mple` through, and `http://[::1` would crash whatever parses it later. Messages never
 * quote the value: a URL may carry a password.
 */
export function parsedUrl(pattern: RegExp, expected: string) {
  return z
    .string()
    .regex(pattern, { message: expected, abort: true })
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: `${expected}; this one does not parse as a URL (a space, a stray bracket, a bad port?)` });
        return;
      }
      if (url.hostname === '') ctx.addIssue({ code: 'custom', message: `${expected}; this one names no host` });
    });
}

const DNS_NAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** A DNS name or an IP address, without scheme or port (`gw-bkpp.local`, `192.168.1.10`, `::1`). */
export function hostName(description: string) {
  return z
    .string()
    .refine((value) => DNS_NAME.test(value) || isIP(value.replace(/^\[(.*)\]$/, '$1')) !== 0, {
      error: (issue) => `expected a host name or IP address without scheme or port, such as gw-bkpp.local, got "${String(issue.input).slice(0, 80)}"`,
    })
    .describe(description);
}

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Fields every device entry has; a driver extends this with `driver: z.literal(...)` and its own keys. */
export const baseDeviceSchema = z.object({
  id: z
    .string()
    .regex(DEVICE_ID_PATTERN, 'expected 1-64 letters, digits, dot, dash or underscore (it is part of MQTT topics)')
    .describe('device id, unique in this gateway; used in MQTT topics and punch/v1 device.id'),
  timezone: timeZone.optional().describe('IANA zone of the device clock; defaults to gateway.timezone'),
  serial: z.string().min(1).optional().describe('serial number to use where the device reports none'),
  enabled: z.boolean().default(true).describe('set false to keep the entry but not run the device'),
});
