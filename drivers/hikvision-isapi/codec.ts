// Pure ISAPI codecs: AcsEvent search pages, push bodies (JSON or multipart/form-data), deviceInfo
// and time XML, ISO-8601 times with offsets. Text/bytes in, typed records out.
// Invariants:
// - Nothing here does I/O or logs. A body that cannot be read at all throws DecodeError
//   {code, offset}; single bad records of a readable page are returned in `errors`, so the good
//   ones still become punches.
// - Field values are kept as the terminal sent them (employee numbers stay strings, leading
//   zeros kept); numbers sent as strings are accepted.
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { formatLocal, zoneOffsetMinutes } from '../../src/punch/time.js';
import type { RejectionReason } from '../../src/util/catalogue.js';
import { DecodeError } from '../../src/util/errors.js';
import { PUSH_JSON_FIELDS, SEARCH_STATUSES, type SearchStatus } from './tables.js';

/** One access-control event, from an AcsEvent page (`InfoList[]`) or a push body. */
export interface AcsEventRecord {
  major: number;
  minor: number;
  /** the terminal's time as sent, ISO 8601, normally with an offset */
  time: string;
  /** employeeNoString (or employeeNo); '' when the event has no person (door events) */
  employeeNo: string;
  serialNo: number | null;
  currentVerifyMode?: string;
  attendanceStatus?: string;
  /** the audit subset kept in punch/v1 `raw` (no names, no pictures) */
  fields: Record<string, string | number | boolean>;
}

export interface RecordError {
  index: number;
  code: RejectionReason;
  message: string;
  excerpt: string;
}

export interface AcsEventPage {
  searchId: string;
  status: SearchStatus;
  totalMatches: number;
  records: AcsEventRecord[];
  errors: RecordError[];
}

const int = z.union([z.number().int(), z.string().regex(/^\d{1,10}$/).transform(Number)]);
const optionalText = z.union([z.string(), z.number().transform(String)]).optional();

const infoSchema = z.object({
  major: int,
  minor: int,
  time: z.string().min(1),
  employeeNoString: optionalText,
  employeeNo: optionalText,
  serialNo: int.optional(),
  currentVerifyMode: z.string().optional(),
  attendanceStatus: z.string().optional(),
  cardNo: optionalText,
  doorNo: int.optional(),
  cardReaderNo: int.optional(),
  frontSerialNo: int.optional(),
});

type Info = z.output<typeof infoSchema>;

function toRecord(info: Info): AcsEventRecord {
  const fields: AcsEventRecord['fields'] = { major: info.major, minor: info.minor, time: info.time };
  for (const key of ['serialNo', 'frontSerialNo', 'currentVerifyMode', 'attendanceStatus', 'cardNo', 'doorNo', 'cardReaderNo'] as const) {
    const value = info[key];
    if (value !== undefined && value !== '') fields[key] = value;
  }
  return {
    major: info.major,
    minor: info.minor,
    time: info.time,
    employeeNo: (info.employeeNoString ?? info.employeeNo ?? '').trim(),
    serialNo: info.serialNo ?? null,
    ...(info.currentVerifyMode !== undefined ? { currentVerifyMode: info.currentVerifyMode } : {}),
    ...(info.attendanceStatus !== undefined ? { attendanceStatus: info.attendanceStatus } : {}),
    fields,
  };
}

function parseJson(text: string, what: string, code: 'acs-json' | 'push-json'): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new DecodeError(code, `${what} is not JSON: ${(error as Error).message}`, position ? Number(position) : 0);
  }
}

const excerptOf = (value: unknown): string => JSON.stringify(value)?.slice(0, 200) ?? String(value);

/** The answer to `POST /ISAPI/AccessControl/AcsEvent?format=json`. */
export function decodeAcsEventPage(text: string): AcsEventPage {
  const body = parseJson(text, 'AcsEvent answer', 'acs-json') as { AcsEvent?: Record<string, unknown> } | null;
  const acs = body && typeof body === 'object' ? body.AcsEvent : undefined;
  if (!acs || typeof acs !== 'object') throw new DecodeError('acs-shape', 'AcsEvent answer has no "AcsEvent" object');
  const status = acs.responseStatusStrg;
  if (!SEARCH_STATUSES.includes(status as SearchStatus)) throw new DecodeError('acs-status', `AcsEvent responseStatusStrg is ${excerptOf(status)}, expected OK, MORE or NO MATCH`);
  const list = acs.InfoList ?? [];
  if (!Array.isArray(list)) throw new DecodeError('acs-shape', 'AcsEvent InfoList is not an array');
  const records: AcsEventRecord[] = [];
  const errors: RecordError[] = [];
  list.forEach((item: unknown, index) => {
    const parsed = infoSchema.safeParse(item);
    if (parsed.success) records.push(toRecord(parsed.data));
    else errors.push({ index, code: 'acs-record', message: issueText(parsed.error), excerpt: excerptOf(item) });
  });
  const total = Number(acs.totalMatches);
  return { searchId: String(acs.searchID ?? ''), status: status as SearchStatus, totalMatches: Number.isFinite(total) ? total : records.length, records, errors };
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`;
}

export interface AcsEventCond {
  searchId: string;
  position: number;
  maxResults: number;
  startTime: string;
  endTime: string;
}

/** The body of an AcsEvent search: attendance (major 5, every minor) between two ISO times. */
export function encodeAcsEventCond(c: AcsEventCond): { AcsEventCond: Record<string, unknown> } {
  return { AcsEventCond: { searchID: c.searchId, searchResultPosition: c.position, maxResults: c.maxResults, major: 5, minor: 0, startTime: c.startTime, endTime: c.endTime } };
}

// ---- time -------------------------------------------------------------------------------------

export interface IsapiTime {
  /** `YYYY-MM-DDTHH:mm:ss` as the terminal wrote it */
  wall: string;
  /** the offset the terminal wrote, minutes east of UTC; null when it wrote none */
  offsetMinutes: number | null;
}

const ISAPI_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

export function parseIsapiTime(text: string): IsapiTime | undefined {
  const match = ISAPI_TIME.exec(text.trim());
  if (!match) return undefined;
  const zone = match[3];
  let offsetMinutes: number | null = null;
  if (zone === 'Z') offsetMinutes = 0;
  else if (zone) {
    const digits = zone.replace(':', '');
    const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
    offsetMinutes = digits.startsWith('-') && minutes !== 0 ? -minutes : minutes;
  }
  return { wall: `${match[1]}T${match[2]}`, offsetMinutes };
}

export interface LocalTimeResult {
  /** device wall time in the configured zone, for punch/v1 */
  localTime: string;
  /** terminal offset minus the zone's offset at that instant (minutes); 0 when they agree or no offset was sent */
  zoneMismatchMin: number;
}

/**
 * The punch's wall time in `zone`. With `timeFrom: offset` (default) the instant the terminal wrote
 * is kept and shown in the zone: right whenever the terminal clock is right, even with a wrong zone
 * setting (factory default +08:00). With `timeFrom: wall` the wall time is taken as written.
 */
export function localTimeOf(t: IsapiTime, zone: string, timeFrom: 'offset' | 'wall'): LocalTimeResult {
  if (t.offsetMinutes === null) return { localTime: t.wall, zoneMismatchMin: 0 };
  const [date, clock] = t.wall.split('T') as [string, string];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = clock.split(':').map(Number) as [number, number, number];
  const epochMs = Date.UTC(y, mo - 1, d, h, mi, s) - t.offsetMinutes * 60_000;
  const zoneOffset = zoneOffsetMinutes(zone, epochMs);
  const zoneMismatchMin = t.offsetMinutes - zoneOffset;
  return { localTime: timeFrom === 'wall' ? t.wall : formatLocal(epochMs, zoneOffset), zoneMismatchMin };
}

/** Epoch ms of an ISAPI time with offset (undefined without one). */
export function epochOf(t: IsapiTime): number | undefined {
  if (t.offsetMinutes === null) return undefined;
  return Date.parse(`${t.wall}Z`) - t.offsetMinutes * 60_000;
}

// ---- push bodies ------------------------------------------------------------------------------

export interface PushEvent {
  eventType: string;
  macAddress?: string;
  /** the access-control record when eventType is AccessControllerEvent */
  record?: AcsEventRecord;
}

const MAX_PARTS = 16;

/** A push request body: plain JSON, or multipart/form-data whose JSON field carries the event. */
export function decodePushBody(bytes: Uint8Array, contentType: string): PushEvent {
  const text = /multipart\//i.test(contentType) ? jsonPartOf(bytes, contentType) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  const trimmed = text.trim();
  if (trimmed.startsWith('<')) throw new DecodeError('push-xml', 'XML event bodies are not read; set the terminal\'s HTTP host to JSON (parameterFormatType JSON)');
  return decodePushJson(parseJson(trimmed, 'push body', 'push-json'));
}

const envelopeSchema = z.object({
  eventType: z.string().min(1),
  dateTime: z.string().optional(),
  macAddress: z.string().optional(),
  AccessControllerEvent: z.record(z.string(), z.unknown()).optional(),
});

function decodePushJson(value: unknown): PushEvent {
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) throw new DecodeError('push-shape', `push body: ${issueText(envelope.error)}`);
  const { eventType, dateTime, macAddress, AccessControllerEvent: ace } = envelope.data;
  const event: PushEvent = { eventType, ...(macAddress ? { macAddress } : {}) };
  if (eventType !== 'AccessControllerEvent') return event;
  if (!ace) throw new DecodeError('push-shape', 'push body: AccessControllerEvent event without its AccessControllerEvent object');
  const info = infoSchema.safeParse({ ...ace, major: ace.majorEventType, minor: ace.subEventType, time: ace.time ?? dateTime });
  if (!info.success) throw new DecodeError('push-record', `push body: ${issueText(info.error)}`);
  return { ...event, record: toRecord(info.data) };
}

/** The JSON field (event_log / AccessControllerEvent, else the first application/json part) of a multipart body. */
export function jsonPartOf(bytes: Uint8Array, contentType: string): string {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) throw new DecodeError('push-multipart', 'multipart body without a boundary parameter');
  const parts = splitMultipart(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), (boundary[1] ?? boundary[2]) as string);
  const named = parts.find((p) => PUSH_JSON_FIELDS.includes(p.name as (typeof PUSH_JSON_FIELDS)[number])) ?? parts.find((p) => /json/i.test(p.contentType));
  if (!named) throw new DecodeError('push-multipart', `multipart body has no ${PUSH_JSON_FIELDS.join(' or ')} field (fields: ${parts.map((p) => p.name || '?').join(', ') || 'none'})`);
  return named.body.toString('utf8');
}

interface Part {
  name: string;
  contentType: string;
  body: Buffer;
}

function splitMultipart(bytes: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  let at = bytes.indexOf(delimiter);
  if (at < 0) throw new DecodeError('push-multipart', `multipart body does not contain its boundary "${boundary.slice(0, 70)}"`);
  const parts: Part[] = [];
  while (at >= 0) {
    const afterDelimiter = at + delimiter.length;
    if (bytes.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headerEnd = bytes.indexOf('\r\n\r\n', afterDelimiter);
    if (headerEnd < 0) throw new DecodeError('push-multipart', 'multipart part without a header end', afterDelimiter);
    const next = bytes.indexOf(delimiter, headerEnd + 4);
    const bodyEnd = next < 0 ? bytes.length : next;
    const body = bytes.subarray(headerEnd + 4, bodyEnd);
    const headers = bytes.subarray(afterDelimiter, headerEnd).toString('latin1');
    parts.push({
      name: /name="([^"]*)"/i.exec(headers)?.[1] ?? '',
      contentType: /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1] ?? '',
      // the CRLF before the next delimiter belongs to the delimiter
      body: body.subarray(0, body.length >= 2 && body[body.length - 2] === 13 && body[body.length - 1] === 10 ? body.length - 2 : body.length),
    });
    if (parts.length > MAX_PARTS) throw new DecodeError('push-multipart', `multipart body has more than ${MAX_PARTS} parts`);
    at = next;
  }
  return parts;
}

// ---- XML --------------------------------------------------------------------------------------

export interface DeviceInfo {
  serial?: string;
  model?: string;
  firmware?: string;
  deviceName?: string;
  macAddress?: string;
  deviceType?: string;
}

// tag values stay strings: serial numbers and versions are not numbers
const xml = new XMLParser({ parseTagValue: false, ignoreAttributes: true, removeNSPrefix: true, trimValues: true });

function parseXmlRoot(text: string, root: string): Record<string, unknown> {
  let doc: Record<string, unknown>;
  try {
    doc = xml.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new DecodeError('isapi-xml', `${root} is not XML: ${(error as Error).message}`);
  }
  const node = doc[root];
  if (!node || typeof node !== 'object') throw new DecodeError('isapi-xml-shape', `expected a <${root}> document`);
  return node as Record<string, unknown>;
}

const textOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `GET /ISAPI/System/deviceInfo`. */
export function decodeDeviceInfo(text: string): DeviceInfo {
  const node = parseXmlRoot(text, 'DeviceInfo');
  const firmware = textOf(node.firmwareVersion);
  const released = textOf(node.firmwareReleasedDate);
  const out: DeviceInfo = {};
  const set = (key: keyof DeviceInfo, value: string | undefined): void => {
    if (value) out[key] = value;
  };
  set('serial', textOf(node.serialNumber));
  set('model', textOf(node.model));
  set('firmware', firmware && released ? `${firmware} ${released}` : firmware);
  set('deviceName', textOf(node.deviceName));
  set('macAddress', textOf(node.macAddress));
  set('deviceType', textOf(node.deviceType));
  return out;
}

/** `GET /ISAPI/System/time`: the terminal clock with its offset. */
export function decodeDeviceTime(text: string): { localTime: IsapiTime; timeMode?: string; timeZone?: string } {
  const node = parseXmlRoot(text, 'Time');
  const raw = textOf(node.localTime);
  const localTime = raw ? parseIsapiTime(raw) : undefined;
  if (!localTime) throw new DecodeError('isapi-time', `Time/localTime is ${JSON.stringify(raw ?? null)}, expected an ISO 8601 time`);
  const timeMode = textOf(node.timeMode);
  const timeZone = textOf(node.timeZone);
  return { localTime, ...(timeMode ? { timeMode } : {}), ...(timeZone ? { timeZone } : {}) };
}
