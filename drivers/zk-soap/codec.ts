// Pure codec of the ZK SOAP web service: request bodies out; HTTP responses and XML bodies in.
// Invariants:
// - Pure: no I/O, no logging. Whole-body problems throw DecodeError {code, offset}; a bad row of a
//   good body is a RowError next to the good rows, so one odd row never hides the others.
// - XML goes through fast-xml-parser after XMLValidator: a truncated or non-XML body is an error,
//   never a shorter log. A DOCTYPE is refused before parsing, so no entity is ever defined or
//   expanded; only the five predefined XML entities are decoded.
// - Bodies are ISO-8859-1 unless their XML declaration says UTF-8 (tad-php default "iso8859-1").
// - Tags are matched case-insensitively; tag values are kept as strings (PINs keep leading zeros).
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { DecodeError } from '../../src/util/errors.js';
import { ATTLOG_ROW, DATE_ROW, NO_DATA_PATTERN, RESULT_ROW, type SoapCall } from './tables.js';

export interface SoapArg {
  name: string;
  value: string;
  type: 'integer' | 'string';
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface SoapDocument {
  /** the root element as sent, e.g. `GetAttLogResponse` */
  root: string;
  /** each `<Row>` as lower-cased element name → text */
  rows: Record<string, unknown>[];
}

export interface SoapResult {
  ok: boolean;
  information: string;
}

export interface RowError {
  /** 0-based row index in the body */
  row: number;
  code: 'pin' | 'time' | 'code' | 'fields';
  message: string;
  excerpt: string;
}

export interface AttRecord {
  /** 0-based row index in the body (the device log order) */
  row: number;
  pin: string;
  /** device wall time `YYYY-MM-DDTHH:mm:ss` */
  localTime: string;
  verified: number | null;
  status: number | null;
  workCode: number | null;
  /** every field as sent, by the element name devices use */
  fields: Record<string, string>;
}

export interface AttLog {
  records: AttRecord[];
  errors: RowError[];
  /** the device said there is nothing ("No data!", or an empty response element) */
  noData: boolean;
}

export interface SoapUser {
  pin: string;
  pin2?: string;
  name?: string;
  privilege?: string;
  card?: string;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

/**
 * `<Call><ArgComKey xsi:type="xsd:integer">KEY</ArgComKey>[<Arg>…</Arg>]</Call>`, no SOAP envelope,
 * the shape of the Solution vendor samples (tarik-data.php, syn-time.php, clear-data.php).
 */
export function encodeRequest(call: SoapCall, commKey: string, args: readonly SoapArg[] = []): string {
  const typed = (value: string, type: SoapArg['type']) => ({ '#text': value, '@_xsi:type': `xsd:${type}` });
  const body: Record<string, unknown> = { ArgComKey: typed(commKey, 'integer') };
  if (args.length > 0) body.Arg = Object.fromEntries(args.map((a) => [a.name, typed(a.value, a.type)]));
  return builder.build({ [call]: body }) as string;
}

const HEAD_END = /\r?\n\r?\n/;

/**
 * An HTTP/1.x response read until the device closed the connection. Tolerates bare-LF line ends
 * and a missing Content-Length (ZK Web Server sends none); when Content-Length is present the body
 * must have all of it.
 */
export function decodeHttpResponse(bytes: Uint8Array): HttpResponse {
  const head = decodeHttpHead(bytes);
  if (!head) throw new DecodeError('zk-soap-http-head', `no end of HTTP headers in ${bytes.length} bytes`, 0);
  let body = bytes.subarray(head.bodyStart);
  const length = declaredLength(head.headers);
  if (length !== undefined) {
    if (body.length < length) throw new DecodeError('zk-soap-http-truncated', `body has ${body.length} of ${length} bytes (Content-Length)`, bytes.length);
    body = body.subarray(0, length);
  }
  return { status: head.status, headers: head.headers, body };
}

/** The largest HTTP head looked at: an answer without the end of its headers by then is no HTTP answer. */
export const MAX_HTTP_HEAD_BYTES = 16_384;

/**
 * The status line and headers of an HTTP/1.x response from its first bytes; undefined while the
 * end of the headers has not arrived (within MAX_HTTP_HEAD_BYTES).
 */
export function decodeHttpHead(bytes: Uint8Array): { status: number; headers: Record<string, string>; bodyStart: number } | undefined {
  const text = latin1(bytes.subarray(0, Math.min(bytes.length, MAX_HTTP_HEAD_BYTES)));
  const end = HEAD_END.exec(text);
  if (!end) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end.index).split(/\r?\n/);
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1];
  if (!status) throw new DecodeError('zk-soap-http-status', `not an HTTP status line: ${JSON.stringify(statusLine.slice(0, 60))}`, 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), headers, bodyStart: end.index + end[0].length };
}

/** Content-Length when the answer declares one (ZK Web Server does not). */
export function declaredLength(headers: Record<string, string>): number | undefined {
  const declared = headers['content-length'];
  return declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
}

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** ISO-8859-1 unless the XML declaration names UTF-8. */
export function decodeBodyText(bytes: Uint8Array): string {
  const text = bodyEncoding(bytes) === 'utf8' ? Buffer.from(bytes).toString('utf8') : latin1(bytes);
  return text.replace(/^\uFEFF/, '').trim();
}

/** The encoding of a body from its first 200 bytes: `utf8` when the XML declaration names UTF-8. */
export function bodyEncoding(bytes: Uint8Array): 'utf8' | 'latin1' {
  const declared = /<\?xml[^>]*encoding=["']([^"']+)["']/i.exec(latin1(bytes.subarray(0, 200)))?.[1];
  return declared && /^utf-?8$/i.test(declared) ? 'utf8' : 'latin1';
}

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  transformTagName: (name) => name.toLowerCase(),
  isArray: (name) => name === 'row',
});

/** The XML body of a SOAP answer: its root element and rows. */
export function decodeSoapBody(bytes: Uint8Array): SoapDocument {
  return decodeSoapText(decodeBodyText(bytes));
}

/** The XML text of a SOAP answer (or of a slice of its rows, see stream.ts): its root element and rows. */
export function decodeSoapText(text: string): SoapDocument {
  if (text === '') throw new DecodeError('zk-soap-body-empty', 'empty body', 0);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new DecodeError('zk-soap-body-doctype', 'a DOCTYPE or ENTITY declaration is refused', text.search(/<!/));
  if (!text.startsWith('<')) throw new DecodeError('zk-soap-body-not-xml', `body is not XML: ${JSON.stringify(text.slice(0, 60))}`, 0);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new DecodeError('zk-soap-body-xml', `malformed XML (line ${valid.err.line}, column ${valid.err.col}): ${valid.err.msg}`, valid.err.line);
  }
  const root = /^(?:<\?xml[^>]*\?>\s*)?<([A-Za-z_][\w.-]*)/.exec(text)?.[1];
  if (!root) throw new DecodeError('zk-soap-body-not-xml', 'no root element', 0);
  const parsed = parser.parse(text) as Record<string, unknown>;
  const content = parsed[root.toLowerCase()];
  const rows = typeof content === 'object' && content !== null ? (content as { row?: unknown[] }).row : undefined;
  return { root, rows: (rows ?? []).map((r) => (typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : {})) };
}

/** The `<Result>/<Information>` row of a command answer, if the body has one. */
export function decodeResult(doc: SoapDocument): SoapResult | undefined {
  const row = doc.rows.find((r) => RESULT_ROW.result in r);
  if (!row) return undefined;
  return { ok: String(row[RESULT_ROW.result]).trim() === '1', information: text(row[RESULT_ROW.information]) };
}

/** Whether a body means "nothing there": no rows at all, or a Result row saying "No data!". */
export function isNoData(doc: SoapDocument): boolean {
  if (doc.rows.length === 0) return true;
  const result = decodeResult(doc);
  return result !== undefined && !result.ok && NO_DATA_PATTERN.test(result.information);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/** `2014-11-30 18:36:49` → `2014-11-30T18:36:49`, or undefined when it is no calendar time. */
export function decodeTime(value: string): string | undefined {
  const m = TIME_PATTERN.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
}

function optionalInt(value: unknown): number | null | undefined {
  if (value === undefined || value === '') return null;
  return typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : undefined;
}

function rowError(row: number, code: RowError['code'], message: string, fields: Record<string, unknown>): RowError {
  return { row, code, message, excerpt: JSON.stringify(fields).slice(0, 160) };
}

function decodeAttRow(index: number, row: Record<string, unknown>): AttRecord | RowError {
  const nonText = Object.entries(row).find(([, v]) => typeof v !== 'string');
  if (nonText) return rowError(index, 'fields', `<${nonText[0]}> is not a text field`, row);
  const pin = text(row[ATTLOG_ROW.pin.key]);
  if (!/^[\w.-]{1,24}$/.test(pin)) return rowError(index, 'pin', 'PIN must be 1-24 letters or digits', row);
  const localTime = decodeTime(text(row[ATTLOG_ROW.time.key]));
  if (!localTime) return rowError(index, 'time', 'DateTime must be YYYY-MM-DD HH:MM:SS', row);
  const verified = optionalInt(row[ATTLOG_ROW.verify.key]);
  const status = optionalInt(row[ATTLOG_ROW.status.key]);
  const workCode = optionalInt(row[ATTLOG_ROW.workCode.key]);
  if (verified === undefined || status === undefined || workCode === undefined) return rowError(index, 'code', 'Verified, Status and WorkCode must be integers', row);
  const fields: Record<string, string> = {};
  for (const f of Object.values(ATTLOG_ROW)) if (typeof row[f.key] === 'string') fields[f.element] = row[f.key] as string;
  return { row: index, pin, localTime, verified, status, workCode, fields };
}

/**
 * A `GetAttLogResponse`: its punches and per-row errors; "No data!" is an empty log, not an error.
 * `firstRow`: the log index of the document's first row (a slice of a streamed answer).
 */
export function decodeAttLog(doc: SoapDocument, firstRow = 0): AttLog {
  if (!/^GetAttLogResponse$/i.test(doc.root)) throw new DecodeError('zk-soap-body-root', `expected <GetAttLogResponse>, got <${doc.root}>`, 0);
  const out: AttLog = { records: [], errors: [], noData: isNoData(doc) };
  if (out.noData) return out;
  doc.rows.forEach((row, index) => {
    const decoded = decodeAttRow(firstRow + index, row);
    if ('localTime' in decoded) out.records.push(decoded);
    else out.errors.push(decoded);
  });
  return out;
}

/** A `GetAllUserInfoResponse` / `GetUserInfoResponse`: one user per row (PIN internal, PIN2 user id). */
export function decodeUsers(doc: SoapDocument): SoapUser[] {
  if (!/^Get(All)?UserInfoResponse$/i.test(doc.root)) throw new DecodeError('zk-soap-body-root', `expected <GetAllUserInfoResponse>, got <${doc.root}>`, 0);
  if (isNoData(doc)) return [];
  return doc.rows
    .filter((r) => typeof r.pin === 'string' || typeof r.pin2 === 'string')
    .map((r) => ({ pin: text(r.pin), pin2: optional(r.pin2), name: optional(r.name), privilege: optional(r.privilege), card: optional(r.card) }));
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A `GetDateResponse` as device wall time, or undefined when it carries no date and time. */
export function decodeDate(doc: SoapDocument): string | undefined {
  if (!/^GetDateResponse$/i.test(doc.root)) return undefined;
  const row = doc.rows.find((r) => DATE_ROW.date in r && DATE_ROW.time in r);
  return row ? decodeTime(`${text(row[DATE_ROW.date])} ${text(row[DATE_ROW.time])}`) : undefined;
}
