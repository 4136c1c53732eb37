// Small fixed payloads of the ZK standalone protocol: counts, data-stat, read requests, strings.
// Invariants: pure, like codec.ts (which re-exports everything here); throws only DecodeError.
import { DecodeError } from '../../src/util/errors.js';
import { FREE_SIZE_WORDS } from './tables.js';

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export type FreeSizes = { -readonly [K in keyof typeof FREE_SIZE_WORDS]?: number };

/** CMD_GET_FREE_SIZES reply: i32 LE words (§6). Some models answer with fewer words (pyzk#76, #215). */
export function decodeFreeSizes(data: Uint8Array): FreeSizes {
  const b = view(data);
  const sizes: FreeSizes = {};
  for (const [name, word] of Object.entries(FREE_SIZE_WORDS) as [keyof typeof FREE_SIZE_WORDS, number][]) {
    if (b.length >= (word + 1) * 4) sizes[name] = b.readInt32LE(word * 4);
  }
  return sizes;
}

export function encodeFreeSizes(sizes: FreeSizes, words = 23): Buffer {
  const b = Buffer.alloc(words * 4);
  for (const [name, value] of Object.entries(sizes) as [keyof typeof FREE_SIZE_WORDS, number][]) {
    const word = FREE_SIZE_WORDS[name];
    if (word < words) b.writeInt32LE(value, word * 4);
  }
  return b;
}

/** ACK_OK data-stat after CMD_DATA_WRRQ: `00 | u32 size | u32 size | u32 ?`; pyzk reads data[1:5]. */
export function decodeDataStat(data: Uint8Array): number {
  if (data.length < 5) throw new DecodeError('zk-short-datastat', `data-stat needs 5 bytes, got ${data.length}`, data.length);
  return view(data).readUInt32LE(1);
}

export function encodeDataStat(size: number, check = 0): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32LE(size, 1);
  b.writeUInt32LE(size, 5);
  b.writeUInt32LE(check >>> 0, 9);
  return b;
}

/** CMD_DATA_WRRQ payload `<bhii`: 1, command, fct, ext (§6.3). */
export function encodeReadRequest(command: number, fct = 0, ext = 0): Buffer {
  const b = Buffer.alloc(11);
  b.writeInt8(1, 0);
  b.writeInt16LE(command, 1);
  b.writeInt32LE(fct, 3);
  b.writeInt32LE(ext, 7);
  return b;
}

export function decodeReadRequest(data: Uint8Array): { command: number; fct: number; ext: number } {
  if (data.length < 11) throw new DecodeError('zk-short-readreq', `read request needs 11 bytes, got ${data.length}`, data.length);
  const b = view(data);
  return { command: b.readInt16LE(1), fct: b.readInt32LE(3), ext: b.readInt32LE(7) };
}

/** CMD_DATA_RDY payload and CMD_PREPARE_DATA payload: two u32 LE. */
export function encodeTwoU32(a: number, b: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32LE(a >>> 0, 0);
  bytes.writeUInt32LE(b >>> 0, 4);
  return bytes;
}

export function decodeTwoU32(data: Uint8Array): [number, number] {
  if (data.length < 8) throw new DecodeError('zk-short-u32x2', `expected 8 bytes, got ${data.length}`, data.length);
  const b = view(data);
  return [b.readUInt32LE(0), b.readUInt32LE(4)];
}

export function encodeU32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0, 0);
  return bytes;
}

export function decodeU32(data: Uint8Array): number {
  if (data.length < 4) throw new DecodeError('zk-short-u32', `expected 4 bytes, got ${data.length}`, data.length);
  return view(data).readUInt32LE(0);
}

/** NUL-terminated (or full-length) latin1 string. */
export function decodeCString(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  const b = view(bytes).subarray(offset, offset + length);
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('latin1');
}

/** CMD_OPTIONS_RRQ reply `name=value\0` → value; undefined when the name does not match. */
export function decodeOptionReply(data: Uint8Array, name: string): string | undefined {
  const text = decodeCString(data);
  const eq = text.indexOf('=');
  if (eq < 0 || text.slice(0, eq) !== name) return undefined;
  return text.slice(eq + 1);
}
