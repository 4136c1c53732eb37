// Fixture loading and the per-kind checks shared by the real-capture codec tests and the
// simulator-fed codec tests (the same checks run on both, so the simulator is held to real bytes).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  decodeAttendanceRecord, decodeFreeSizes, decodePacket, decodeRealtimeEvents, decodeTime, decodeUsers, encodeFields,
  encodePacket, encodeTcpFrame, encodeTime, formatWallTime, makeCommKey, parseWallTime, decodeDataStat, type DecodedPacket,
} from '../../../drivers/zk-tcp/codec.js';
import { TcpDeframer } from '../../../drivers/zk-tcp/streamReader.js';
import { ATTLOG_LAYOUTS, CMD } from '../../../drivers/zk-tcp/tables.js';

export const FIXTURE_DIR = join(import.meta.dirname, 'fixtures');

export interface FixtureCase {
  name: string;
  input: Buffer;
  /** socket read lengths as captured, when the source shows them */
  reads?: number[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expected: any;
}

export function loadFixtures(): FixtureCase[] {
  return readdirSync(FIXTURE_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(FIXTURE_DIR, d.name);
      const input = existsSync(join(dir, 'input.bin')) ? readFileSync(join(dir, 'input.bin')) : Buffer.alloc(0);
      const readsPath = join(dir, 'reads.json');
      const reads = existsSync(readsPath) ? (JSON.parse(readFileSync(readsPath, 'utf8')) as number[]) : undefined;
      return { name: d.name, input, reads, expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) };
    });
}

export function byKind(kind: string, cases = loadFixtures()): [string, FixtureCase][] {
  return cases.filter((c) => c.expected.kind === kind).map((c) => [c.name, c]);
}

/** Cuts `input` at the given read lengths. */
export function cutReads(input: Buffer, reads: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const n of reads) {
    chunks.push(input.subarray(at, at + n));
    at += n;
  }
  if (at < input.length) chunks.push(input.subarray(at));
  return chunks;
}

/**
 * Every way a stream test re-feeds an input: whole, split at each byte into two reads, one byte
 * per read, and the read boundaries of the capture when known.
 */
export function* feedings(input: Buffer, reads?: number[]): Generator<[string, Buffer[]]> {
  yield ['whole', [input]];
  for (let i = 1; i < input.length; i++) yield [`split@${i}`, [input.subarray(0, i), input.subarray(i)]];
  yield ['bytewise', [...input].map((b) => Buffer.from([b]))];
  if (reads) yield ['captured reads', cutReads(input, reads)];
}

export function deframeAll(chunks: Buffer[]): { frames: Buffer[]; pending: number } {
  const deframer = new TcpDeframer();
  const frames = chunks.flatMap((chunk) => deframer.push(chunk));
  return { frames, pending: deframer.pendingBytes };
}

function packetSummary(p: DecodedPacket) {
  return { command: p.command, sessionId: p.sessionId, replyId: p.replyId, dataLength: p.data.length, checksumOk: p.checksumOk };
}

/** Reassembles a dataset from the CMD_DATA packets of a stream (direct reply or chunk bursts). */
export function datasetOf(packets: DecodedPacket[]): Buffer {
  return Buffer.concat(packets.filter((p) => p.command === CMD.DATA).map((p) => p.data));
}

export function checkUsers(dataset: Buffer, count: number, expected: { count: number; sample?: Record<string, unknown> }): void {
  const users = decodeUsers(dataset, count);
  expect(users).toHaveLength(expected.count);
  if (expected.sample) {
    const { index, ...fields } = expected.sample as { index: number };
    expect(users[index]).toMatchObject(fields);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function checkStream(c: FixtureCase, feeds: Iterable<[string, Buffer[]]> = feedings(c.input, c.reads)): void {
  const expected = c.expected;
  for (const [how, chunks] of feeds) {
    const { frames, pending } = deframeAll(chunks);
    const packets = frames.map((f) => decodePacket(f));
    expect(packets.map(packetSummary), how).toEqual(expected.frames);
    expect(pending, how).toBe(0);
  }
  const packets = deframeAll([c.input]).frames.map((f) => decodePacket(f));
  if (expected.dataStat !== undefined) {
    const stat = packets.find((p) => p.command === CMD.ACK_OK && p.data.length === 13);
    expect(decodeDataStat(stat?.data ?? Buffer.alloc(0))).toBe(expected.dataStat);
  }
  if (expected.freeSizes) {
    const sizes = packets.find((p) => p.command === CMD.ACK_OK && p.data.length >= 80);
    expect(decodeFreeSizes(sizes?.data ?? Buffer.alloc(0))).toMatchObject(expected.freeSizes);
  }
  if (expected.burstBytes !== undefined) expect(datasetOf(packets).length).toBe(expected.burstBytes);
  if (expected.users) checkUsers(datasetOf(packets), expected.freeSizes?.users ?? 0, expected.users);
}

export function checkPacket(c: FixtureCase): void {
  const e = c.expected;
  const p = decodePacket(c.input);
  expect(packetSummary(p)).toMatchObject({ command: e.command, sessionId: e.sessionId, replyId: e.replyId, checksumOk: e.checksumOk });
  if (e.checksum !== undefined) expect(p.checksum).toBe(e.checksum);
  if (e.dataHex !== undefined) expect(p.data.toString('hex')).toBe(e.dataHex);
  if (e.dataText !== undefined) expect(p.data.toString('latin1')).toBe(e.dataText);
  if (e.freeSizes) expect(decodeFreeSizes(p.data)).toMatchObject(e.freeSizes);
  if (e.realtime) checkRealtimeData(p.data, e.realtime);
  // round trip: re-encoding the decoded fields gives the same bytes
  expect(encodePacket(p).equals(c.input)).toBe(true);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function checkRealtimeData(data: Buffer, expected: any[]): void {
  const events = decodeRealtimeEvents(data);
  expect(
    events.map((e) => ({ pin: e.pin, localTime: e.localTime, verifyCode: e.fields.verify, stateCode: e.fields.state })),
  ).toEqual(expected);
}

export function checkEncode(c: FixtureCase): void {
  const e = c.expected;
  const packet = encodePacket({ command: e.command, sessionId: e.sessionId, replyId: e.replyId, data: Buffer.from(e.dataHex, 'hex') });
  const wire = e.transport === 'tcp' ? encodeTcpFrame(packet) : packet;
  expect(wire.toString('hex')).toBe(c.input.toString('hex'));
}

export function checkCommKey(c: FixtureCase): void {
  const e = c.expected;
  const auth = makeCommKey(e.key, e.sessionId);
  expect(auth.toString('hex')).toBe(e.authHex);
  const wire = encodeTcpFrame(encodePacket({ command: CMD.AUTH, sessionId: e.sessionId, replyId: e.replyId, data: auth }));
  expect(wire.toString('hex')).toBe(c.input.toString('hex'));
}

export function checkAttlog(c: FixtureCase): void {
  const e = c.expected;
  const layout = ATTLOG_LAYOUTS.get(e.recordSize);
  if (!layout) throw new Error(`no layout ${e.recordSize}`);
  expect(c.input.length % layout.size).toBe(0);
  e.records.forEach((want: Record<string, unknown>, i: number) => {
    const r = decodeAttendanceRecord(c.input, layout, i * layout.size);
    const got: Record<string, unknown> = { localTime: r.localTime, stateCode: r.fields.state };
    for (const key of Object.keys(want)) if (!(key in got)) got[key] = key === 'verifyCode' ? r.fields.verify : r.fields[key];
    expect(got).toEqual(want);
    const again = encodeFields(layout, r.fields);
    expect(again.equals(c.input.subarray(i * layout.size, (i + 1) * layout.size))).toBe(true);
  });
}

export function checkTime(c: FixtureCase): void {
  const encoded = c.input.readUInt32LE(0);
  expect(encoded).toBe(c.expected.encoded);
  expect(formatWallTime(decodeTime(encoded))).toBe(c.expected.localTime);
  expect(encodeTime(parseWallTime(c.expected.localTime)!)).toBe(encoded);
}
