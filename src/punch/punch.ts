// punch/v1: the one event shape every driver's punches become (DESIGN.md "Punch event").
// Invariants:
// - `id` depends only on (serial, pin, localTime, state, verify): the same punch read twice,
//   by any driver path or after a reinstall, gets the same id.
// - The zod schema below is the source of config/punch-v1.schema.json; never hand-edit that file.
// - punch/v1 may only gain optional fields; changing a meaning needs punch/v2.
import { hash } from 'node:crypto';
import { z } from 'zod';

export const PUNCH_SCHEMA = 'punch/v1';

export const VERIFY_METHODS = ['fingerprint', 'face', 'card', 'password', 'palm', 'other'] as const;
export type VerifyMethod = (typeof VERIFY_METHODS)[number];

export const PUNCH_STATES = [
  'check-in',
  'check-out',
  'break-out',
  'break-in',
  'overtime-in',
  'overtime-out',
  'unknown',
] as const;
export type PunchState = (typeof PUNCH_STATES)[number];

/** Device wall-clock time with no zone, exactly `YYYY-MM-DDTHH:mm:ss`. */
export const LOCAL_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

export const punchSchema = z
  .object({
    schema: z.literal(PUNCH_SCHEMA),
    id: z.string().regex(/^[0-9a-f]{32}$/).describe('first 16 bytes of SHA-256(serial|pin|localTime|state|verify), lowercase hex'),
    gateway: z.string().min(1).describe('configured gateway id'),
    site: z.string().min(1).describe('configured site/OPD code'),
    device: z
      .object({
        id: z.string().min(1).describe('device id from the gateway config'),
        serial: z.string().min(1).describe('device serial number, or the configured id where the device has none'),
        protocol: z.string().min(1).describe('driver name, e.g. zk-tcp'),
        model: z.string().optional().describe('model name the device reported, at most 64 printable characters (edge rule)'),
        address: z
          .string()
          .min(1)
          .optional()
          .describe('where the punch came from: the source IP of a push request, the configured host of a pulled terminal, the port path of a serial line'),
      })
      .describe('the terminal that recorded the punch'),
    pin: z
      .string()
      .min(1)
      .describe('user id as the device stores it, leading zeros kept, in Unicode NFC; the gateway commits only PINs matching ^[0-9A-Za-z._-]{1,24}$ (edge rule; others are quarantined)'),
    time: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/)
      .describe('device local time with the UTC offset of the device IANA zone'),
    utc: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/).describe('the same instant in UTC'),
    verify: z.enum(VERIFY_METHODS),
    state: z.enum(PUNCH_STATES),
    workCode: z.number().int().nullable(),
    receivedAt: z.string().describe('gateway UTC time when the punch was first committed'),
    seq: z.number().int().positive().describe('gateway-local, strictly increasing commit order'),
    clockSkewSec: z.number().nullable().describe('device clock minus gateway clock when last measured'),
    raw: z.record(z.string(), z.unknown()).describe('protocol fields as read, for audit'),
  })
  .describe('absensi-gateway punch event, version 1');

export type Punch = z.infer<typeof punchSchema>;

/** What a driver hands to `emit`: protocol facts already mapped to punch/v1 vocabulary. */
export interface RawPunch {
  pin: string;
  /** device wall time `YYYY-MM-DDTHH:mm:ss`, no zone */
  localTime: string;
  state: PunchState;
  verify: VerifyMethod;
  workCode?: number | null;
  /**
   * where this punch came from when it differs per punch (the source IP of a push request);
   * absent: the device's configured address (host or port path), if any; null: none (a punch
   * read from an imported file, which names no terminal address)
   */
  address?: string | null;
  /** protocol fields as read, kept in punch/v1 `raw` for audit */
  raw?: Record<string, unknown>;
}

export interface PunchIdentity {
  serial: string;
  pin: string;
  localTime: string;
  state: PunchState;
  verify: VerifyMethod;
}

export function punchId(p: PunchIdentity): string {
  const key = [p.serial, p.pin, p.localTime, p.state, p.verify].join('|');
  return hash('sha256', key, 'hex').slice(0, 32);
}
