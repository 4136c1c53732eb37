// Pure codec for the ZK standalone protocol: packets, checksum, time, comm key, record layouts.
// Invariants:
// - Pure: bytes in, typed values out. Never logs, never touches a socket or the clock.
// - Throws only DecodeError {code, offset} on bad input; every other failure is a bug.
// - Device times stay naive wall-clock strings `YYYY-MM-DDTHH:mm:ss`; no JS Date in a host zone
//   is ever involved (zk-standalone.md §4, pyzk#99).
// - Layout knowledge lives in tables.ts, the verify and state codes in ../zk-common/codes.ts; the
//   functions here interpret those rows generically.
import type { RawPunch } from '../../src/punch/punch.js';
import { DecodeError } from '../../src/util/errors.js';
import { zkStateOf, zkVerifyOf } from '../zk-common/codes.js';
import {
  ATTLOG_LAYOUTS, REALTIME_LAYOUTS, TCP_MAGIC, TCP_PREFIX_BYTES, USER_LAYOUTS, ZK_HEADER_BYTES,
  type FieldRow, type Layout,
} from './tables.js';
import { decodeCString } from './payloads.js';
import { formatWallTime, parseWallTime, type WallTime } from '../../src/punch/time.js';

export * from './payloads.js';

export interface ZkPacket {
  command: number;
  sessionId: number;
  replyId: number;
  data: Uint8Array;
}

export interface DecodedPacket extends ZkPacket {
  data: Buffer;
  checksum: number;
  checksumOk: boolean;
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Ones'-complement checksum of a ZK packet (zk-standalone.md §2): 16-bit LE words summed with the
 * checksum field (bytes 2..3) taken as zero, an odd last byte added as-is, end-around carry, inverted.
 */
export function computeChecksum(packet: Uint8Array): number {
  let sum = 0;
  const last = packet.length - 1;
  for (let i = 0; i < last; i += 2) {
    if (i !== 2) sum += (packet[i] as number) | ((packet[i + 1] as number) << 8);
    if (sum > 0xffffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (packet.length % 2 === 1) sum += packet[last] as number;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function encodePacket(packet: ZkPacket): Buffer {
  const bytes = Buffer.alloc(ZK_HEADER_BYTES + packet.data.length);
  bytes.writeUInt16LE(packet.command & 0xffff, 0);
  bytes.writeUInt16LE(packet.sessionId & 0xffff, 4);
  bytes.writeUInt16LE(packet.replyId & 0xffff, 6);
  bytes.set(packet.data, ZK_HEADER_BYTES);
  bytes.writeUInt16LE(computeChecksum(bytes), 2);
  return bytes;
}

/** Decodes one bare ZK packet (a UDP datagram, or a TCP frame without its 8-byte prefix). */
export function decodePacket(bytes: Uint8Array): DecodedPacket {
  if (bytes.length < ZK_HEADER_BYTES) {
    throw new DecodeError('zk-short-packet', `a ZK packet needs 8 header bytes, got ${bytes.length}`, bytes.length);
  }
  const b = view(bytes);
  const checksum = b.readUInt16LE(2);
  return {
    command: b.readUInt16LE(0),
    checksum,
    sessionId: b.readUInt16LE(4),
    replyId: b.readUInt16LE(6),
    data: b.subarray(ZK_HEADER_BYTES),
    checksumOk: computeChecksum(b) === checksum,
  };
}

/** Wraps a ZK packet in the TCP prefix `50 50 82 7d | u32 LE length` (§1). */
export function encodeTcpFrame(packet: Uint8Array): Buffer {
  const frame = Buffer.alloc(TCP_PREFIX_BYTES + packet.length);
  frame.set(TCP_MAGIC, 0);
  frame.writeUInt32LE(packet.length, 4);
  frame.set(packet, TCP_PREFIX_BYTES);
  return frame;
}

// ---------------------------------------------------------------------------------------------
// Time (§4)

/** The wall-time helpers live with the zone arithmetic (src/punch/time.ts); re-exported for the codec's users. */
export { formatWallTime, parseWallTime, type WallTime };

/** zkemsdk EncodeTime: every month counts 31 days. */
export function encodeTime(t: WallTime): number {
  const days = (t.year % 100) * 12 * 31 + (t.month - 1) * 31 + (t.day - 1);
  return (days * 86400 + (t.hour * 60 + t.minute) * 60 + t.second) >>> 0;
}

/** zkemsdk DecodeTime, exact integer arithmetic. */
export function decodeTime(encoded: number): WallTime {
  let t = encoded >>> 0;
  const second = t % 60; t = Math.floor(t / 60);
  const minute = t % 60; t = Math.floor(t / 60);
  const hour = t % 24; t = Math.floor(t / 24);
  const day = (t % 31) + 1; t = Math.floor(t / 31);
  const month = (t % 12) + 1; t = Math.floor(t / 12);
  return { year: 2000 + t, month, day, hour, minute, second };
}

/** Realtime events carry `YY MM DD hh mm ss` (§4, realtime.md). */
export function decodeTimeHex(bytes: Uint8Array, offset = 0): WallTime {
  if (bytes.length < offset + 6) throw new DecodeError('zk-short-time', 'a realtime time needs 6 bytes', bytes.length);
  const at = (i: number): number => bytes[offset + i] as number;
  const t = { year: 2000 + at(0), month: at(1), day: at(2), hour: at(3), minute: at(4), second: at(5) };
  // a byte over its field's range would break the YYYY-MM-DDTHH:mm:ss shape (found by the hostile suite)
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 || t.second > 59) {
    throw new DecodeError('zk-bad-time', `realtime time ${Buffer.from(bytes.subarray(offset, offset + 6)).toString('hex')} is out of range`, offset);
  }
  return t;
}

export function encodeTimeHex(t: WallTime): Buffer {
  return Buffer.from([t.year - 2000, t.month, t.day, t.hour, t.minute, t.second]);
}

// ---------------------------------------------------------------------------------------------
// Comm key (§5)

/** CMD_AUTH data for a numeric comm key and the session id from the CONNECT reply (commpro.c MakeKey). */
export function makeCommKey(key: number, sessionId: number, ticks = 50): Buffer {
  let k = 0;
  for (let i = 0; i < 32; i++) k = ((k << 1) | ((key >>> i) & 1)) >>> 0;
  k = (k + sessionId) >>> 0;
  const b = Buffer.alloc(4);
  b.writeUInt32LE(k, 0);
  const x = [(b[0] as number) ^ 0x5a, (b[1] as number) ^ 0x4b, (b[2] as number) ^ 0x53, (b[3] as number) ^ 0x4f];
  const s = [x[2] as number, x[3] as number, x[0] as number, x[1] as number];
  const B = ticks & 0xff;
  return Buffer.from([(s[0] as number) ^ B, (s[1] as number) ^ B, B, (s[3] as number) ^ B]);
}

// ---------------------------------------------------------------------------------------------
// Generic layouts

export type FieldValue = number | string;
export type Fields = Record<string, FieldValue>;

function decodeField(b: Buffer, base: number, row: FieldRow): FieldValue {
  const at = base + row.offset;
  switch (row.type) {
    case 'u8': return b.readUInt8(at);
    case 'u16': return b.readUInt16LE(at);
    case 'u32': case 'time': return b.readUInt32LE(at);
    case 'zstr': return decodeCString(b, at, row.length ?? 0);
    case 'timeHex': return b.toString('hex', at, at + 6);
    case 'bytes': return b.toString('hex', at, at + (row.length ?? 0));
  }
}

/** Decodes one record of `layout` at `offset` into named fields (times stay encoded). */
export function decodeFields(bytes: Uint8Array, layout: Layout, offset = 0): Fields {
  if (bytes.length < offset + layout.size) {
    throw new DecodeError('zk-short-record', `a ${layout.size}-byte record needs ${layout.size} bytes`, bytes.length);
  }
  const b = view(bytes);
  const fields: Fields = {};
  for (const row of layout.fields) fields[row.name] = decodeField(b, offset, row);
  return fields;
}

function encodeField(b: Buffer, base: number, row: FieldRow, value: FieldValue): void {
  const at = base + row.offset;
  switch (row.type) {
    case 'u8': b.writeUInt8(Number(value) & 0xff, at); return;
    case 'u16': b.writeUInt16LE(Number(value) & 0xffff, at); return;
    case 'u32': case 'time': b.writeUInt32LE(Number(value) >>> 0, at); return;
    case 'zstr': b.write(String(value).slice(0, (row.length ?? 0) - 1), at, 'latin1'); return;
    case 'timeHex': case 'bytes': Buffer.from(String(value), 'hex').copy(b, at, 0, row.type === 'timeHex' ? 6 : row.length); return;
  }
}

/** Encodes named fields into `target` at `offset` (the simulator's and tests' encoder). */
export function encodeFields(layout: Layout, fields: Fields, target = Buffer.alloc(layout.size), offset = 0): Buffer {
  for (const row of layout.fields) {
    const value = fields[row.name];
    if (value !== undefined) encodeField(target, offset, row, value);
  }
  return target;
}

// ---------------------------------------------------------------------------------------------
// Attendance

/** A decoded attendance record: the protocol fields plus punch/v1 vocabulary. */
export interface ZkRecord {
  fields: Fields;
  /** PIN from the record; undefined for layouts that carry only the internal uid (8 bytes) */
  pin: string | undefined;
  uid: number | undefined;
  localTime: string;
  verify: RawPunch['verify'];
  state: RawPunch['state'];
  workCode: number | null;
}

function toRecord(fields: Fields, timeOf: (v: FieldValue) => WallTime): ZkRecord {
  const pin = fields.pin === undefined ? undefined : String(fields.pin);
  const verifyCode = fields.verify;
  const stateCode = fields.state;
  return {
    fields,
    pin,
    uid: typeof fields.uid === 'number' ? fields.uid : undefined,
    localTime: formatWallTime(timeOf(fields.time ?? 0)),
    verify: zkVerifyOf(typeof verifyCode === 'number' ? verifyCode : null),
    state: zkStateOf(typeof stateCode === 'number' ? stateCode : null),
    workCode: typeof fields.workCode === 'number' ? fields.workCode : null,
  };
}

export function decodeAttendanceRecord(bytes: Uint8Array, layout: Layout, offset = 0): ZkRecord {
  return toRecord(decodeFields(bytes, layout, offset), (v) => decodeTime(Number(v)));
}

/**
 * Chooses the record size of an attendance dataset of `totalBytes` (after its u32 prefix) when the
 * device reported `count` records (§6.6). The count may lag behind new punches, so a known size
 * that divides the total into at least `count` records is accepted; `preferred` sizes (checkpoint,
 * model quirk) are tried first. Throws DecodeError when no known layout fits.
 */
export function pickRecordSize(totalBytes: number, count: number, preferred: number[] = []): number {
  const known = [...preferred, 40, 49, 16, 8].filter((s) => ATTLOG_LAYOUTS.has(s));
  if (totalBytes === 0) return known[0] as number;
  if (count > 0 && totalBytes % count === 0 && ATTLOG_LAYOUTS.has(totalBytes / count)) return totalBytes / count;
  const fits = known.filter((s) => totalBytes % s === 0 && totalBytes / s >= count);
  // count unknown (0): the first preferred size that divides; else the size giving the count nearest the reported one
  if (count > 0) fits.sort((a, b) => totalBytes / a - count - (totalBytes / b - count));
  const size = fits[0];
  if (size === undefined) {
    throw new DecodeError('zk-attlog-layout', `no known record layout fits ${totalBytes} bytes for ${count} records`, 0);
  }
  return size;
}

export interface AttendanceDataset {
  recordSize: number;
  /** records in the dataset (what the u32 prefix announces, divided by the record size) */
  count: number;
  /** the dataset bytes after the u32 prefix */
  body: Buffer;
}

/** Splits a downloaded attendance dataset `u32 total | records…` (§6.6) and picks its layout. */
export function decodeAttendanceDataset(dataset: Uint8Array, reportedCount: number, preferred: number[] = []): AttendanceDataset {
  if (dataset.length < 4) throw new DecodeError('zk-dataset-short', `dataset needs a 4-byte size, got ${dataset.length}`, 0);
  const b = view(dataset);
  const total = b.readUInt32LE(0);
  if (total !== b.length - 4) {
    throw new DecodeError('zk-dataset-size', `dataset announces ${total} bytes but carries ${b.length - 4}`, 0);
  }
  const recordSize = pickRecordSize(total, reportedCount, preferred);
  return { recordSize, count: total === 0 ? 0 : total / recordSize, body: b.subarray(4) };
}

/** Decodes record `index` of a dataset body. */
export function decodeAttendanceAt(set: AttendanceDataset, index: number): ZkRecord {
  const layout = ATTLOG_LAYOUTS.get(set.recordSize);
  if (!layout) throw new DecodeError('zk-attlog-layout', `no layout for ${set.recordSize}-byte records`, 0);
  return decodeAttendanceRecord(set.body, layout, index * set.recordSize);
}

// ---------------------------------------------------------------------------------------------
// Realtime (§7)

/** Decodes the data of one CMD_REG_EVENT/EF_ATTLOG packet into its events (pyzk live_capture sizes). */
export function decodeRealtimeEvents(data: Uint8Array): ZkRecord[] {
  const events: ZkRecord[] = [];
  let offset = 0;
  while (offset < data.length) {
    const left = data.length - offset;
    const layout = REALTIME_LAYOUTS.get(left) ?? (left >= 52 ? REALTIME_LAYOUTS.get(52) : undefined);
    if (!layout) throw new DecodeError('zk-realtime-size', `no realtime layout for ${left} bytes`, offset);
    events.push(toRecord(decodeFields(data, layout, offset), (v) => decodeTimeHex(Buffer.from(String(v), 'hex'))));
    offset += layout.size;
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// Users (§7)

export interface ZkUser {
  uid: number;
  pin: string;
  name: string;
  privilege: number;
  card: number;
  /** privilege bit 0 */
  disabled: boolean;
}

/** Decodes a user dataset `u32 total | users…`; the record size is total / count (28 or 72). */
export function decodeUsers(dataset: Uint8Array, count: number): ZkUser[] {
  if (dataset.length < 4) throw new DecodeError('zk-dataset-short', 'user dataset needs a 4-byte size', 0);
  const b = view(dataset);
  const total = Math.min(b.readUInt32LE(0), b.length - 4);
  if (total === 0) return [];
  const size = count > 0 && total % count === 0 ? total / count : [72, 28].find((s) => total % s === 0);
  const layout = size === undefined ? undefined : USER_LAYOUTS.get(size);
  if (!layout) throw new DecodeError('zk-user-layout', `no user layout fits ${total} bytes for ${count} users`, 0);
  const users: ZkUser[] = [];
  for (let at = 4; at + layout.size <= 4 + total; at += layout.size) {
    const f = decodeFields(b, layout, at);
    const privilege = Number(f.privilege);
    users.push({ uid: Number(f.uid), pin: String(f.pin), name: String(f.name), privilege, card: Number(f.card), disabled: (privilege & 1) === 1 });
  }
  return users;
}
