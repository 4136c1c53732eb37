// Codec tests on real bytes quoted in public sources: every case lives in fixtures/<case>/ with its
// source.md. Stream cases are re-fed whole, split at every byte, byte by byte and at the captured
// read boundaries (see cases.ts).
import { describe, expect, it } from 'vitest';
import {
  computeChecksum, decodeAttendanceDataset, decodeAttendanceAt, decodeFreeSizes, decodePacket, decodeRealtimeEvents,
  decodeTimeHex, encodeFields, encodeTimeHex, formatWallTime, pickRecordSize,
} from '../../../drivers/zk-tcp/codec.js';
import { ATTLOG_LAYOUTS, REALTIME_LAYOUTS } from '../../../drivers/zk-tcp/tables.js';
import { DecodeError } from '../../../src/util/errors.js';
import {
  byKind, checkAttlog, checkCommKey, checkEncode, checkPacket, checkRealtimeData, checkStream, checkTime, loadFixtures,
} from './cases.js';

const fixtures = loadFixtures();

describe('zk-tcp codec on real captures', () => {
  it('has fixtures of every kind', () => {
    const kinds = new Set(fixtures.map((f) => f.expected.kind));
    expect([...kinds].sort()).toEqual(['attlog', 'commkey', 'encode', 'packet', 'realtime-data', 'tcp-stream', 'time']);
  });
  it.each(byKind('packet', fixtures))('packet %s', (_name, c) => checkPacket(c));
  it.each(byKind('encode', fixtures))('encode %s (round trip with what pyzk sent)', (_name, c) => checkEncode(c));
  it.each(byKind('commkey', fixtures))('comm key %s', (_name, c) => checkCommKey(c));
  it.each(byKind('tcp-stream', fixtures))('stream %s', (_name, c) => checkStream(c));
  it.each(byKind('attlog', fixtures))('attendance %s', (_name, c) => checkAttlog(c));
  it.each(byKind('realtime-data', fixtures))('realtime %s', (_name, c) => checkRealtimeData(c.input, c.expected.realtime));
  it.each(byKind('time', fixtures))('time %s', (_name, c) => checkTime(c));

  it('deframes every stream fixture concatenated, whatever the split', () => {
    const streams = byKind('tcp-stream', fixtures).map(([, c]) => c);
    const all = Buffer.concat(streams.map((c) => c.input));
    checkStream(
      { name: 'all', input: all, expected: { frames: streams.flatMap((c) => c.expected.frames) } },
      [['whole', [all]], ...[1, 7, 255, 1000, 4096].map((n) => [`every ${n}`, chunk(all, n)] as [string, Buffer[]])],
    );
  });
});

function chunk(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe('zk-tcp codec rules', () => {
  it('checksum: odd length adds the last byte as-is; the checksum field is ignored', () => {
    const even = Buffer.from('d007000000000000', 'hex');
    const withField = Buffer.from('d007ffff00000000', 'hex');
    expect(computeChecksum(even)).toBe(computeChecksum(withField));
    expect(computeChecksum(Buffer.from('d007296af38d0a0009', 'hex'))).toBe(0x6a29);
  });

  it('rejects a packet shorter than its header with DecodeError', () => {
    expect(() => decodePacket(Buffer.alloc(7))).toThrow(DecodeError);
  });

  it('free sizes of a model that answers one DWORD give no counts (pyzk#76, #215)', () => {
    expect(decodeFreeSizes(Buffer.alloc(4))).toEqual({});
  });

  it.each([...REALTIME_LAYOUTS.keys()])('realtime layout %i round-trips through the generic encoder', (size) => {
    const layout = REALTIME_LAYOUTS.get(size)!;
    const pinIsText = layout.fields.find((f) => f.name === 'pin')?.type === 'zstr';
    const bytes = encodeFields(layout, { pin: pinIsText ? '000123' : 123, verify: 1, state: 1, time: encodeTimeHex({ year: 2026, month: 1, day: 19, hour: 7, minute: 31, second: 5 }).toString('hex') });
    const [event] = decodeRealtimeEvents(bytes);
    expect(event).toMatchObject({ pin: pinIsText ? '000123' : '123', localTime: '2026-01-19T07:31:05', verify: 'fingerprint', state: 'check-out' });
  });

  it('decodes several 52-byte events in one packet and rejects a stray tail', () => {
    const layout = REALTIME_LAYOUTS.get(52)!;
    const one = encodeFields(layout, { pin: '7', verify: 15, state: 0, time: '1a0113071f05' });
    expect(decodeRealtimeEvents(Buffer.concat([one, one]))).toHaveLength(2);
    expect(() => decodeRealtimeEvents(Buffer.concat([one, Buffer.alloc(5)]))).toThrow(DecodeError);
    expect(formatWallTime(decodeTimeHex(Buffer.from('1a0113071f05', 'hex')))).toBe('2026-01-19T07:31:05');
  });

  it('picks the record size from total/count, and tolerates records added after the count (§6.6)', () => {
    expect(pickRecordSize(400, 10)).toBe(40);
    expect(pickRecordSize(40 * 12, 10)).toBe(40);
    expect(pickRecordSize(49 * 3, 3)).toBe(49);
    expect(pickRecordSize(16 * 5, 5, [16])).toBe(16);
    expect(() => pickRecordSize(37 * 3, 3)).toThrow(DecodeError);
  });

  it('a dataset whose announced size differs from its length fails loudly', () => {
    const bytes = Buffer.alloc(4 + 40);
    bytes.writeUInt32LE(80, 0);
    expect(() => decodeAttendanceDataset(bytes, 1)).toThrow(DecodeError);
  });

  it.each([...ATTLOG_LAYOUTS.keys()])('attendance layout %i decodes through the dataset path', (size) => {
    const layout = ATTLOG_LAYOUTS.get(size)!;
    const record = encodeFields(layout, { uid: 5, pin: layout.fields.some((f) => f.name === 'pin' && f.type === 'u32') ? 42 : '0042', verify: 1, state: 1, time: 0x2368b36b, workCode: 3 });
    const dataset = Buffer.concat([Buffer.alloc(4), record, record]);
    dataset.writeUInt32LE(size * 2, 0);
    const set = decodeAttendanceDataset(dataset, 2);
    expect(set).toMatchObject({ recordSize: size, count: 2 });
    expect(decodeAttendanceAt(set, 1).localTime).toBe('2018-06-25T17:50:35');
  });
});
