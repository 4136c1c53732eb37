// Pure codecs for the users and templates a ZK terminal holds (users-templates.md; zk-protocol
// sections/data-user.md; pyzk zk/base.py): the user table (72- and 28-byte records), the template
// table read with CMD_DB_RRQ/FCT_FINGERTMP, CMD_USER_WRQ records, the users-and-templates upload
// buffer (`_CMD_SAVE_USERTEMPS`), and the delete payloads.
// Invariants:
// - Pure like codec.ts: bytes in, values out. Never logs, so template bytes never reach a log line.
//   Bad input throws DecodeError {code, offset}; a user its record cannot hold throws UserFitError.
// - Layouts are tables.ts (USER_LAYOUTS, UPLOAD, TEMPLATE_ENTRY_HEADER_BYTES); nothing here knows an
//   offset of its own but the upload's fixed head.
// - Nothing is changed to fit: a PIN, password or card the record cannot hold is refused (a PIN
//   with a leading zero or a letter in a 28-byte record, whose PIN is a number). Only a name is cut,
//   at a character boundary, because the terminal cannot show more and every tool cuts it (pyzk).
// - Text is UTF-8, pyzk's encoding; bytes that are not UTF-8 read as latin1 so nothing is lost.
import type { TerminalUser } from '../../src/users/user.js';
import { DecodeError } from '../../src/util/errors.js';
import { decodeFields, encodeFields } from './codec.js';
import { TEMPLATE_ENTRY_HEADER_BYTES, UPLOAD, USER_LAYOUTS, type Layout } from './tables.js';

/** A user as the terminal's table holds it: the gateway's user plus the terminal's own serial. */
export interface ZkUserRecord extends TerminalUser {
  /** the terminal's internal user number (1–65535); templates hang on it, not on the PIN */
  uid: number;
}

/** One entry of the template table. */
export interface ZkTemplateEntry {
  uid: number;
  /** finger 0–9 */
  finger: number;
  /** 0 invalid, 1 valid, 3 duress (zk-protocol data-user.md) */
  flag: number;
  data: Buffer;
}

/** A template of the upload: the upload carries no flag (the terminal keeps it as valid). */
export interface ZkUploadTemplate {
  uid: number;
  finger: number;
  data: Uint8Array;
}

export type UserRecordSize = 28 | 72;

/** The user cannot be put in this terminal's record; `field` says which value does not fit. */
export class UserFitError extends Error {
  constructor(readonly field: 'uid' | 'pin' | 'password' | 'card' | 'group' | 'privilege' | 'template', message: string) {
    super(message);
    this.name = 'UserFitError';
  }
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function layoutOf(size: number): Layout {
  const layout = USER_LAYOUTS.get(size);
  if (!layout) throw new DecodeError('zk-user-layout', `no user layout of ${size} bytes`, 0);
  return layout;
}

function rowOf(layout: Layout, name: string): { offset: number; length: number } {
  const row = layout.fields.find((f) => f.name === name);
  if (!row) throw new Error(`layout ${layout.size} has no ${name}`);
  return { offset: row.offset, length: row.length ?? 0 };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** NUL-terminated (or full-length) text: UTF-8 when it is, else latin1. */
export function decodeText(bytes: Uint8Array, offset: number, length: number): string {
  const field = view(bytes).subarray(offset, offset + length);
  const end = field.indexOf(0);
  const raw = field.subarray(0, end < 0 ? field.length : end);
  try {
    return UTF8.decode(raw);
  } catch {
    return raw.toString('latin1');
  }
}

/** `text` as UTF-8, cut to at most `max` bytes without splitting a character. */
function cutUtf8(text: string, max: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

// ---------------------------------------------------------------------------------------------
// User records

/** Decodes the user record of `size` bytes at `offset`. */
export function decodeUserRecord(bytes: Uint8Array, size: UserRecordSize, offset = 0): ZkUserRecord {
  const layout = layoutOf(size);
  const f = decodeFields(bytes, layout, offset);
  const text = (name: string): string => {
    const row = rowOf(layout, name);
    return decodeText(bytes, offset + row.offset, row.length);
  };
  const card = Number(f.card);
  return {
    uid: Number(f.uid),
    pin: size === 28 ? String(f.pin) : text('pin'),
    name: text('name'),
    privilege: Number(f.privilege),
    card: card === 0 ? '' : String(card),
    password: text('password'),
    group: Number(f.group),
  };
}

/**
 * Decodes a user table `u32 total | records…` (§6.6). The record size is total / count when the
 * terminal's count divides it into a known layout, else the first of 72 and 28 that divides it.
 */
export function decodeUserTable(dataset: Uint8Array, count: number): { recordSize: UserRecordSize | undefined; users: ZkUserRecord[] } {
  if (dataset.length < 4) throw new DecodeError('zk-dataset-short', 'a user table needs its 4-byte size', 0);
  const b = view(dataset);
  const total = b.readUInt32LE(0);
  if (total !== b.length - 4) throw new DecodeError('zk-dataset-size', `the user table announces ${total} bytes but carries ${b.length - 4}`, 0);
  if (total === 0) return { recordSize: undefined, users: [] };
  const byCount = count > 0 && total % count === 0 ? total / count : undefined;
  const size = (byCount === 72 || byCount === 28 ? byCount : [72, 28].find((s) => total % s === 0)) as UserRecordSize | undefined;
  if (size === undefined) throw new DecodeError('zk-user-layout', `no user layout fits ${total} bytes for ${count} users`, 0);
  const users: ZkUserRecord[] = [];
  for (let at = 4; at < b.length; at += size) users.push(decodeUserRecord(b, size, at));
  return { recordSize: size, users };
}

function checkRange(field: UserFitError['field'], value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new UserFitError(field, `${what} ${value} does not fit (0–${max})`);
}

function pinField(pin: string, size: UserRecordSize, length: number): Buffer | number {
  if (size === 28) {
    // the 28-byte record holds the PIN as a u32: only a number without a leading zero survives
    if (!/^(0|[1-9][0-9]*)$/.test(pin) || Number(pin) > 0xffffffff) {
      throw new UserFitError('pin', `PIN ${pin} does not fit a 28-byte user record, which holds the PIN as a number (no leading zero, no letter)`);
    }
    return Number(pin);
  }
  const bytes = Buffer.from(pin, 'utf8');
  if (bytes.length === 0 || bytes.length > length) throw new UserFitError('pin', `PIN ${pin} is longer than the ${length} bytes of the user record`);
  return bytes;
}

/** The `size`-byte user record of CMD_USER_WRQ (pyzk set_user; zk-protocol "Set User Info"). */
export function encodeUserRecord(user: ZkUserRecord, size: UserRecordSize, target = Buffer.alloc(size), offset = 0): Buffer {
  const layout = layoutOf(size);
  checkRange('uid', user.uid, 0xffff, 'user number');
  if (user.uid === 0) throw new UserFitError('uid', 'user number 0 is not a user');
  checkRange('privilege', user.privilege, 0xff, 'privilege');
  checkRange('group', user.group, 0xff, 'group');
  if (!/^[0-9]*$/.test(user.card) || Number(user.card || 0) > 0xffffffff) throw new UserFitError('card', `card ${user.card} does not fit the 32-bit card number of the record`);
  const pinRow = rowOf(layout, 'pin');
  const pin = pinField(user.pin, size, pinRow.length);
  const passwordRow = rowOf(layout, 'password');
  const password = Buffer.from(user.password, 'utf8');
  if (password.length > passwordRow.length) throw new UserFitError('password', `the password is longer than the ${passwordRow.length} bytes of the record`);
  encodeFields(layout, { uid: user.uid, privilege: user.privilege, card: Number(user.card || 0), group: user.group, ...(typeof pin === 'number' ? { pin } : {}) }, target, offset);
  if (typeof pin !== 'number') pin.copy(target, offset + pinRow.offset);
  password.copy(target, offset + passwordRow.offset);
  const nameRow = rowOf(layout, 'name');
  cutUtf8(user.name, nameRow.length).copy(target, offset + nameRow.offset);
  return target;
}

/** A user table dataset `u32 total | records…` (the simulator's answer to CMD_USERTEMP_RRQ/FCT_USER). */
export function encodeUserTable(users: readonly ZkUserRecord[], size: UserRecordSize): Buffer {
  const bytes = Buffer.alloc(4 + users.length * size);
  bytes.writeUInt32LE(users.length * size, 0);
  users.forEach((u, i) => encodeUserRecord(u, size, bytes, 4 + i * size));
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Template table (CMD_DB_RRQ, FCT_FINGERTMP)

/** The 6-byte head `<HHbb` of a template entry: its size (head included), uid, finger, flag. */
export function decodeTemplateEntryHeader(bytes: Uint8Array, offset = 0): { size: number; uid: number; finger: number; flag: number } {
  if (bytes.length < offset + TEMPLATE_ENTRY_HEADER_BYTES) throw new DecodeError('zk-template-entry', 'a template entry needs its 6-byte head', offset);
  const b = view(bytes);
  return { size: b.readUInt16LE(offset), uid: b.readUInt16LE(offset + 2), finger: b.readInt8(offset + 4), flag: b.readInt8(offset + 5) };
}

/** Decodes a template table `u32 total | entries…`; each entry's template is a copy. */
export function decodeTemplateTable(dataset: Uint8Array): ZkTemplateEntry[] {
  if (dataset.length < 4) throw new DecodeError('zk-dataset-short', 'a template table needs its 4-byte size', 0);
  const b = view(dataset);
  const total = b.readUInt32LE(0);
  if (total !== b.length - 4) throw new DecodeError('zk-dataset-size', `the template table announces ${total} bytes but carries ${b.length - 4}`, 0);
  const entries: ZkTemplateEntry[] = [];
  for (let at = 4; at < b.length;) {
    const head = decodeTemplateEntryHeader(b, at);
    if (head.size < TEMPLATE_ENTRY_HEADER_BYTES || at + head.size > b.length) {
      throw new DecodeError('zk-template-entry', `a template entry of ${head.size} bytes does not fit the ${b.length - at} bytes left`, at);
    }
    entries.push({ uid: head.uid, finger: head.finger, flag: head.flag, data: Buffer.from(b.subarray(at + TEMPLATE_ENTRY_HEADER_BYTES, at + head.size)) });
    at += head.size;
  }
  return entries;
}

/** A template table dataset (the simulator's answer to CMD_DB_RRQ/FCT_FINGERTMP). */
export function encodeTemplateTable(entries: readonly ZkTemplateEntry[]): Buffer {
  const total = entries.reduce((n, e) => n + TEMPLATE_ENTRY_HEADER_BYTES + e.data.length, 0);
  const bytes = Buffer.alloc(4 + total);
  bytes.writeUInt32LE(total, 0);
  let at = 4;
  for (const e of entries) {
    bytes.writeUInt16LE(TEMPLATE_ENTRY_HEADER_BYTES + e.data.length, at);
    bytes.writeUInt16LE(e.uid, at + 2);
    bytes.writeInt8(e.finger, at + 4);
    bytes.writeInt8(e.flag, at + 5);
    e.data.copy(bytes, at + TEMPLATE_ENTRY_HEADER_BYTES);
    at += TEMPLATE_ENTRY_HEADER_BYTES + e.data.length;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// The users-and-templates upload (pyzk HR_save_usertemplates)

function checkTemplate(t: ZkUploadTemplate): void {
  checkRange('template', t.finger, 9, 'finger');
  if (t.data.length === 0 || t.data.length > 0xffff - 2) throw new UserFitError('template', `a template of ${t.data.length} bytes does not fit the upload's 16-bit size`);
}

/**
 * The upload buffer: head `u32 × 3`, each user record after a byte 2, one table entry per template
 * `<bHbI` (2, uid, 0x10 + finger, offset), then each template as `u16 size | bytes`.
 */
export function encodeUpload(users: readonly ZkUserRecord[], templates: readonly ZkUploadTemplate[], size: UserRecordSize): Buffer {
  const userBytes = users.length * (size + 1);
  const tableBytes = templates.length * UPLOAD.TABLE_ENTRY_BYTES;
  templates.forEach(checkTemplate);
  const templateBytes = templates.reduce((n, t) => n + 2 + t.data.length, 0);
  const bytes = Buffer.alloc(UPLOAD.HEAD_BYTES + userBytes + tableBytes + templateBytes);
  bytes.writeUInt32LE(userBytes, 0);
  bytes.writeUInt32LE(tableBytes, 4);
  bytes.writeUInt32LE(templateBytes, 8);
  let at = UPLOAD.HEAD_BYTES;
  for (const u of users) {
    bytes.writeUInt8(UPLOAD.RECORD_MARK, at);
    encodeUserRecord(u, size, bytes, at + 1);
    at += size + 1;
  }
  let offset = 0;
  let data = UPLOAD.HEAD_BYTES + userBytes + tableBytes;
  for (const t of templates) {
    bytes.writeInt8(UPLOAD.RECORD_MARK, at);
    bytes.writeUInt16LE(t.uid, at + 1);
    bytes.writeInt8(UPLOAD.FINGER_BASE + t.finger, at + 3);
    bytes.writeUInt32LE(offset, at + 4);
    at += UPLOAD.TABLE_ENTRY_BYTES;
    bytes.writeUInt16LE(t.data.length, data);
    bytes.set(t.data, data + 2);
    data += 2 + t.data.length;
    offset += 2 + t.data.length;
  }
  return bytes;
}

function uploadError(message: string, offset: number): DecodeError {
  return new DecodeError('zk-upload-buffer', message, offset);
}

/** Reads an upload buffer back (the simulator's side of `_CMD_SAVE_USERTEMPS`). */
export function decodeUpload(upload: Uint8Array, size: UserRecordSize): { users: ZkUserRecord[]; templates: ZkUploadTemplate[] } {
  const b = view(upload);
  if (b.length < UPLOAD.HEAD_BYTES) throw uploadError('an upload needs its 12-byte head', 0);
  const [userBytes, tableBytes, templateBytes] = [b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8)];
  if (UPLOAD.HEAD_BYTES + userBytes + tableBytes + templateBytes !== b.length) throw uploadError(`the head announces ${userBytes + tableBytes + templateBytes} bytes, the upload carries ${b.length - UPLOAD.HEAD_BYTES}`, 0);
  if (userBytes % (size + 1) !== 0) throw uploadError(`${userBytes} user bytes are not ${size + 1}-byte records`, 0);
  if (tableBytes % UPLOAD.TABLE_ENTRY_BYTES !== 0) throw uploadError(`${tableBytes} table bytes are not 8-byte entries`, 4);
  const users: ZkUserRecord[] = [];
  let at = UPLOAD.HEAD_BYTES;
  for (; at < UPLOAD.HEAD_BYTES + userBytes; at += size + 1) {
    if (b.readUInt8(at) !== UPLOAD.RECORD_MARK) throw uploadError('a user record without its leading 2', at);
    users.push(decodeUserRecord(b, size, at + 1));
  }
  const dataStart = UPLOAD.HEAD_BYTES + userBytes + tableBytes;
  const templates: ZkUploadTemplate[] = [];
  for (; at < dataStart; at += UPLOAD.TABLE_ENTRY_BYTES) {
    const finger = b.readInt8(at + 3) - UPLOAD.FINGER_BASE;
    const offset = b.readUInt32LE(at + 4);
    if (finger < 0 || finger > 9) throw uploadError(`a table entry for finger ${finger}`, at);
    if (offset + 2 > templateBytes) throw uploadError(`a table entry points past the templates (${offset})`, at);
    const length = b.readUInt16LE(dataStart + offset);
    if (offset + 2 + length > templateBytes) throw uploadError(`a template of ${length} bytes runs past the upload`, dataStart + offset);
    templates.push({ uid: b.readUInt16LE(at + 1), finger, data: Buffer.from(b.subarray(dataStart + offset + 2, dataStart + offset + 2 + length)) });
  }
  return { users, templates };
}

/** `_CMD_SAVE_USERTEMPS` data `<IHH` 12, 0, 8 (pyzk): where the table starts and the size of its entries. */
export function encodeSaveUserTemps(): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32LE(UPLOAD.HEAD_BYTES, 0);
  bytes.writeUInt16LE(UPLOAD.TABLE_ENTRY_BYTES, 6);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Deletes

/** CMD_DELETE_USER data: the uid, u16 LE (pyzk delete_user; zk-protocol "Delete User"). */
export function encodeDeleteUser(uid: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(uid, 0);
  return bytes;
}

/** CMD_DELETE_USERTEMP data: uid u16 LE, finger u8 (pyzk delete_user_template over UDP). */
export function encodeDeleteTemplate(uid: number, finger: number): Buffer {
  const bytes = Buffer.alloc(3);
  bytes.writeUInt16LE(uid, 0);
  bytes.writeUInt8(finger, 2);
  return bytes;
}

/** `_CMD_DEL_USER_TEMP` data `<24sB`: the PIN, finger (pyzk delete_user_template over TCP). */
export function encodeDeleteTemplateByPin(pin: string, finger: number): Buffer {
  const bytes = Buffer.alloc(25);
  Buffer.from(pin, 'utf8').copy(bytes, 0, 0, 24);
  bytes.writeUInt8(finger, 24);
  return bytes;
}

function need(data: Uint8Array, length: number, what: string): Buffer {
  if (data.length < length) throw new DecodeError('zk-short-record', `${what} needs ${length} bytes, got ${data.length}`, data.length);
  return view(data);
}

/** The simulator's side of the three deletes. */
export function decodeDeleteUser(data: Uint8Array): number {
  return need(data, 2, 'CMD_DELETE_USER').readUInt16LE(0);
}

export function decodeDeleteTemplate(data: Uint8Array): { uid: number; finger: number } {
  const b = need(data, 3, 'CMD_DELETE_USERTEMP');
  return { uid: b.readUInt16LE(0), finger: b.readUInt8(2) };
}

export function decodeDeleteTemplateByPin(data: Uint8Array): { pin: string; finger: number } {
  const b = need(data, 25, '_CMD_DEL_USER_TEMP');
  return { pin: decodeText(b, 0, 24), finger: b.readUInt8(24) };
}
