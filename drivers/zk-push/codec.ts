// Pure codec of the ZKTeco PUSH (iclock) bodies: text in, records and per-line errors out.
// Invariants:
// - Never throws on a body: every line is either a record or a LineError with its 1-based line
//   number and a short excerpt, so good lines of a body with bad ones are still usable.
// - Accepts LF and CRLF, trailing tabs, empty fields and more fields than it knows (zk-push.md).
// - Field meaning comes from tables.ts; this file holds no codes.
// - `encode*` build replies byte-exactly: LF line ends, no trailing blank line.
import { ATTLOG_FIELDS, ATTLOG_MIN_FIELDS, INFO_FIELDS, RTLOG_KEYS } from './tables.js';

export interface LineError {
  line: number;
  code: 'fields' | 'pin' | 'time' | 'code' | 'binary' | 'empty-key';
  message: string;
  excerpt: string;
}

export interface AttlogRecord {
  pin: string;
  /** terminal wall time, `YYYY-MM-DDTHH:mm:ss` */
  localTime: string;
  status: number | null;
  verify: number | null;
  workCode: number | null;
  /** every field as sent, by name (unknown trailing fields as field12, field13, …) */
  fields: Record<string, string>;
}

export interface Decoded<T> {
  records: T[];
  errors: LineError[];
  /** non-empty lines seen: what `OK: <n>` counts */
  lines: number;
}

export interface CommandResult {
  id: string;
  returnCode: number | null;
  cmd: string;
  /** key=value lines following the result line (INFO answers) */
  values: Record<string, string>;
}

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
// Control characters other than tab betray a binary body; such a line is never a record.
// eslint-disable-next-line no-control-regex
const BINARY_PATTERN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffd]/;

/** Non-empty lines with their 1-based numbers; CRLF and LF both end a line. */
export function splitLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') out.push({ line: index + 1, text: line });
  });
  return out;
}

function excerptOf(text: string): string {
  return JSON.stringify(text.slice(0, 80));
}

function lineError(line: number, code: LineError['code'], message: string, text: string): LineError {
  return { line, code, message, excerpt: excerptOf(text) };
}

/** `2024-07-28 01:25:24` → `2024-07-28T01:25:24`, or undefined when it is no calendar time. */
export function decodeTime(text: string): string | undefined {
  const m = TIME_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  if (date.getUTCMonth() !== mo! - 1 || date.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59) return undefined;
  return `${text.trim().slice(0, 10)}T${text.trim().slice(11)}`;
}

function optionalInt(text: string | undefined): number | null | undefined {
  if (text === undefined || text.trim() === '') return null;
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

function decodeAttlogLine(line: number, text: string): AttlogRecord | LineError {
  if (BINARY_PATTERN.test(text)) return lineError(line, 'binary', 'control characters in a text line', text);
  const parts = text.split('\t');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop(); // trailing tabs
  if (parts.length < ATTLOG_MIN_FIELDS) return lineError(line, 'fields', `expected at least ${ATTLOG_MIN_FIELDS} tab-separated fields, got ${parts.length}`, text);
  const fields: Record<string, string> = {};
  parts.forEach((value, i) => {
    fields[ATTLOG_FIELDS[i] ?? `field${i}`] = value;
  });
  const pin = (parts[0] ?? '').trim();
  if (!/^[\w.-]{1,24}$/.test(pin)) return lineError(line, 'pin', 'PIN must be 1-24 letters or digits', text);
  const localTime = decodeTime(parts[1] ?? '');
  if (!localTime) return lineError(line, 'time', 'time must be YYYY-MM-DD HH:MM:SS', text);
  const status = optionalInt(parts[2]);
  const verify = optionalInt(parts[3]);
  const workCode = optionalInt(parts[4]);
  if (status === undefined || verify === undefined || workCode === undefined) return lineError(line, 'code', 'status, verify and workcode must be integers', text);
  return { pin, localTime, status, verify, workCode, fields };
}

/**
 * An ATTLOG body: one punch per line, tab-separated, `PIN⇥Time⇥Status⇥Verify⇥Workcode⇥…`. Some
 * face terminals post `time=…⇥pin=…` (rtlog-style) lines to table=ATTLOG: those are read as rtlog.
 */
export function decodeAttlog(text: string): Decoded<AttlogRecord> {
  return decodeLines(text, (line, t) => (KEY_VALUE_LINE.test(t) ? decodeRtlogLine(line, t) : decodeAttlogLine(line, t)));
}

const KEY_VALUE_LINE = /^[A-Za-z]+=[^\t]*\t.*\bpin=/;

function decodeLines<T>(text: string, one: (line: number, text: string) => T | LineError): Decoded<T> {
  const lines = splitLines(text);
  const records: T[] = [];
  const errors: LineError[] = [];
  for (const { line, text: t } of lines) {
    const out = one(line, t);
    if (isLineError(out)) errors.push(out);
    else records.push(out);
  }
  return { records, errors, lines: lines.length };
}

function isLineError(value: unknown): value is LineError {
  return typeof value === 'object' && value !== null && 'excerpt' in value && 'code' in value && 'line' in value && !('pin' in value);
}

/** `k=v⇥k=v` (rtlog) or `k=v&k=v` (devicecmd) into a record; keys as sent. */
export function decodeKeyValues(text: string, separator: '\t' | '&'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(separator)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function decodeRtlogLine(line: number, text: string): AttlogRecord | LineError {
  if (BINARY_PATTERN.test(text)) return lineError(line, 'binary', 'control characters in a text line', text);
  const kv = decodeKeyValues(text, '\t');
  const pin = kv[RTLOG_KEYS.pin] ?? '';
  if (!/^[\w.-]{1,24}$/.test(pin)) return lineError(line, 'pin', 'pin= must be 1-24 letters or digits', text);
  const localTime = decodeTime(kv[RTLOG_KEYS.time] ?? '');
  if (!localTime) return lineError(line, 'time', 'time= must be YYYY-MM-DD HH:MM:SS', text);
  const status = optionalInt(kv[RTLOG_KEYS.status]);
  const verify = optionalInt(kv[RTLOG_KEYS.verify]);
  if (status === undefined || verify === undefined) return lineError(line, 'code', 'inoutstatus and verifytype must be integers', text);
  return { pin, localTime, status, verify, workCode: null, fields: kv };
}

/** A Security PUSH `rtlog` body: `time=…⇥pin=…⇥…⇥inoutstatus=…⇥verifytype=…` per line. */
export function decodeRtlog(text: string): Decoded<AttlogRecord> {
  return decodeLines(text, decodeRtlogLine);
}

/**
 * A devicecmd body: `ID=<id>&Return=<code>&CMD=<cmd>` lines, several per body, each optionally
 * followed by key=value lines; or one field per line (`ID=32`⏎`Return=0`⏎`CMD=Shell`, ADMS.md).
 */
export function decodeCommandResults(text: string): CommandResult[] {
  const results: CommandResult[] = [];
  for (const { text: line } of splitLines(text)) {
    if (/^ID=/.test(line)) {
      const kv = decodeKeyValues(line, '&');
      const code = optionalInt(kv.Return);
      results.push({ id: kv.ID ?? '', returnCode: code ?? null, cmd: kv.CMD ?? '', values: {} });
      continue;
    }
    const last = results[results.length - 1];
    const eq = line.indexOf('=');
    if (!last || eq <= 0) continue;
    const key = line.slice(0, eq).replace(/^~/, '').trim();
    const value = line.slice(eq + 1).trim();
    // the one-field-per-line form (`ID=32`, `Return=0`, `CMD=Shell`, ADMS.md) fills the result itself
    if (key === 'Return' && last.returnCode === null && last.cmd === '') last.returnCode = optionalInt(value) ?? null;
    else if (key === 'CMD' && last.cmd === '') last.cmd = value;
    else last.values[key] = value;
  }
  return results;
}

/** getrequest `INFO=Ver 6.60,12,10,345,192.168.1.201,…` → named facts (counts as numbers). */
export function decodeInfo(text: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  text.split(',').forEach((value, i) => {
    const name = INFO_FIELDS[i];
    if (!name || value.trim() === '') return;
    out[name] = /^\d+$/.test(value.trim()) ? Number(value.trim()) : value.trim();
  });
  return out;
}

/** The handshake reply: `GET OPTION FROM: <SN>` then one `Key=Value` line per option. */
export function encodeHandshake(serial: string, options: ReadonlyArray<readonly [string, string | number]>): string {
  return [`GET OPTION FROM: ${serial}`, ...options.map(([k, v]) => `${k}=${v}`)].join('\n');
}

/** The getrequest reply for queued commands: `C:<id>:<command>` per line; `OK` when none. */
export function encodeCommands(commands: ReadonlyArray<{ id: string; command: string }>): string {
  return commands.length === 0 ? 'OK' : commands.map((c) => `C:${c.id}:${c.command}`).join('\n');
}

/** The upload reply: `OK: <n>` with n the lines taken (spec writes `OK:<n>`; terminals accept both). */
export function encodeUploadOk(lines: number): string {
  return `OK: ${lines}`;
}

/** `2026-01-01T07:00:00` → `2026-01-01 07:00:00` (the terminal's own time format). */
export function encodeTime(localTime: string): string {
  return localTime.replace('T', ' ');
}
