// Pure codec of the EasyLink bridge (FService) JSON replies: text in, typed replies out.
// Invariants:
// - Every body is validated with zod. A body that is not JSON or not of the reply's shape throws
//   DecodeError (code `fingerspot-json` or `fingerspot-shape`); a scan row that does not validate is a RowError and the
//   other rows of the body stay usable.
// - `{"Result":false,"message":"No data"}` decodes to `no-data`, never to a failure.
// - `ScanDate` is terminal wall time and stays so (`localTime`); zones are the core's business.
// - Code meaning comes from tables.ts (or the device's overrides); this file holds no codes.
import { z } from 'zod';
import type { PunchState, RawPunch, VerifyMethod } from '../../src/punch/punch.js';
import { DecodeError } from '../../src/util/errors.js';
import { DEVINFO_CLOCK_KEY, DEVINFO_COUNT_KEYS, DEVINFO_VARIANT_KEYS, IO_MODE_MAP, NO_DATA_MESSAGES, VERIFY_MODE_MAP, type DevInfoCounts } from './tables.js';

export interface ScanRow {
  serial: string;
  pin: string;
  /** terminal wall time `YYYY-MM-DDTHH:mm:ss` */
  localTime: string;
  verifyMode: number;
  ioMode: number;
  workCode: number;
  /** the row as sent, for punch/v1 `raw` */
  fields: Record<string, unknown>;
}

export interface RowError {
  index: number;
  message: string;
  excerpt: string;
}

export type ScanlogReply =
  | { kind: 'rows'; rows: ScanRow[]; errors: RowError[]; /** paging: more pages follow */ isSession: boolean | undefined }
  | { kind: 'no-data' }
  | { kind: 'failed'; message: string };

export type DevInfoReply =
  | { kind: 'info'; counts: DevInfoCounts; deviceTime?: string; variant: Record<string, string>; fields: Record<string, unknown> }
  | { kind: 'failed'; message: string };

export type ResultReply = { kind: 'ok' } | { kind: 'failed'; message: string };

export interface CodeTables {
  verify: ReadonlyMap<number, VerifyMethod>;
  ioMode: ReadonlyMap<number, PunchState>;
}

export const DEFAULT_TABLES: CodeTables = { verify: VERIFY_MODE_MAP, ioMode: IO_MODE_MAP };

const SCAN_DATE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const intLike = z.union([z.number().int(), z.string().regex(/^-?\d{1,9}$/).transform(Number)]);

const scanRowSchema = z.object({
  SN: z.string().min(1).max(64),
  ScanDate: z.string().regex(SCAN_DATE, 'expected YYYY-MM-DD HH:mm:ss'),
  PIN: z.union([z.string().regex(/^\S{1,32}$/, 'expected a PIN without spaces'), z.number().int().nonnegative().transform(String)]),
  VerifyMode: intLike,
  IOMode: intLike,
  WorkCode: intLike.optional(),
});

const envelopeSchema = z.looseObject({
  Result: z.boolean(),
  IsSession: z.boolean().optional(),
  message: z.string().optional(),
  message_code: z.number().optional(),
});

const scanlogSchema = envelopeSchema.extend({ Data: z.array(z.unknown()).optional() });
const devInfoSchema = envelopeSchema.extend({ DEVINFO: z.record(z.string(), z.unknown()).optional() });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new DecodeError('fingerspot-json', `reply is not JSON: ${(error as Error).message}`);
  }
}

function shapeOf<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DecodeError('fingerspot-shape', `${what}: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'unexpected shape'}`);
  }
  return parsed.data;
}

function failureOf(reply: { message?: string; message_code?: number }): { kind: 'no-data' } | { kind: 'failed'; message: string } {
  const message = reply.message?.trim() ?? '';
  if (NO_DATA_MESSAGES.includes(message.toLowerCase() as (typeof NO_DATA_MESSAGES)[number])) return { kind: 'no-data' };
  return { kind: 'failed', message: message || 'Result:false without a message' };
}

export function excerptOf(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.slice(0, 160);
}

/** One scan row; throws nothing, answers the row or why not. */
export function decodeScanRow(value: unknown): ScanRow | string {
  const parsed = scanRowSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return issue ? `${issue.path.join('.') || 'row'}: ${issue.message}` : 'not a scan row';
  }
  const r = parsed.data;
  const m = SCAN_DATE.exec(r.ScanDate) as RegExpExecArray;
  const localTime = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  return { serial: r.SN, pin: r.PIN, localTime, verifyMode: r.VerifyMode, ioMode: r.IOMode, workCode: r.WorkCode ?? 0, fields: value as Record<string, unknown> };
}

/** `/scanlog/new` and `/scanlog/all/paging` replies. */
export function decodeScanlogReply(text: string): ScanlogReply {
  const reply = shapeOf(scanlogSchema, parseJson(text), 'scanlog reply');
  if (!reply.Result) return failureOf(reply);
  const rows: ScanRow[] = [];
  const errors: RowError[] = [];
  (reply.Data ?? []).forEach((value, index) => {
    const row = decodeScanRow(value);
    if (typeof row === 'string') errors.push({ index, message: row, excerpt: excerptOf(value) });
    else rows.push(row);
  });
  return { kind: 'rows', rows, errors, isSession: reply.IsSession };
}

function countOf(info: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = info[key];
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && /^\d{1,12}$/.test(value.trim())) return Number(value.trim());
  }
  return undefined;
}

/** `DD/MM/YYYY HH:mm:ss` (DEVINFO "Jam") → `YYYY-MM-DDTHH:mm:ss`; undefined when malformed. */
export function decodeDevInfoClock(text: string): string | undefined {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const [day, month, year, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${year}-${p(month)}-${p(day)}T${p(hour)}:${p(minute)}:${p(second)}`;
}

/** `/dev/info` replies: counts (decimal strings), the terminal clock where the firmware gives it. */
export function decodeDevInfoReply(text: string): DevInfoReply {
  const reply = shapeOf(devInfoSchema, parseJson(text), 'dev/info reply');
  if (!reply.Result) {
    const failure = failureOf(reply);
    return failure.kind === 'no-data' ? { kind: 'failed', message: 'No data' } : failure;
  }
  if (!reply.DEVINFO) throw new DecodeError('fingerspot-shape', 'dev/info reply: Result true without DEVINFO');
  const info = reply.DEVINFO;
  const counts: DevInfoCounts = {};
  for (const [name, keys] of Object.entries(DEVINFO_COUNT_KEYS) as [keyof DevInfoCounts, readonly string[]][]) {
    const n = countOf(info, keys);
    if (n !== undefined) counts[name] = n;
  }
  const clock = info[DEVINFO_CLOCK_KEY];
  const deviceTime = typeof clock === 'string' ? decodeDevInfoClock(clock) : undefined;
  const variant: Record<string, string> = {};
  for (const key of DEVINFO_VARIANT_KEYS) if (typeof info[key] === 'string' && info[key] !== '') variant[key] = info[key];
  return { kind: 'info', counts, ...(deviceTime ? { deviceTime } : {}), variant, fields: info };
}

/** Replies that carry only `Result` (`/dev/settime`). */
export function decodeResultReply(text: string): ResultReply {
  const reply = shapeOf(envelopeSchema, parseJson(text), 'reply');
  if (reply.Result) return { kind: 'ok' };
  return { kind: 'failed', message: reply.message?.trim() || 'Result:false without a message' };
}

/** The form body of a bridge call: `sn` first, as the vendor samples send it. */
export function encodeForm(serial: string, extra: Record<string, string | number> = {}): string {
  const form = new URLSearchParams({ sn: serial });
  for (const [key, value] of Object.entries(extra)) form.set(key, String(value));
  return form.toString();
}

/** A scan row as a punch in punch/v1 vocabulary; unknown codes become `other` / `unknown`. */
export function toRawPunch(row: ScanRow, tables: CodeTables, source: 'new' | 'paging'): RawPunch {
  return {
    pin: row.pin,
    localTime: row.localTime,
    state: tables.ioMode.get(row.ioMode) ?? 'unknown',
    verify: tables.verify.get(row.verifyMode) ?? 'other',
    workCode: row.workCode === 0 ? null : row.workCode,
    raw: { source, ...row.fields },
  };
}

/** Built-in tables with a device's overrides (config keys are decimal strings). */
export function tablesWith(overrides: { verifyMap: Record<string, VerifyMethod>; ioModeMap: Record<string, PunchState> }): CodeTables {
  const verify = new Map(VERIFY_MODE_MAP);
  for (const [code, value] of Object.entries(overrides.verifyMap)) verify.set(Number(code), value);
  const ioMode = new Map(IO_MODE_MAP);
  for (const [code, value] of Object.entries(overrides.ioModeMap)) ioMode.set(Number(code), value);
  return { verify, ioMode };
}
