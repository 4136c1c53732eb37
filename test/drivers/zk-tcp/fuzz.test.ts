// 10,000 random inputs per property: decoders throw nothing but DecodeError, and the TCP reader
// never loses sync forever (a valid frame after any garbage is always found).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAttendanceDataset, decodeAttendanceAt, decodeFreeSizes, decodePacket, decodeRealtimeEvents, decodeUsers,
  encodePacket, encodeTcpFrame, decodeDataStat,
} from '../../../drivers/zk-tcp/codec.js';
import { TcpDeframer } from '../../../drivers/zk-tcp/streamReader.js';
import { DecodeError } from '../../../src/util/errors.js';

const RUNS = 10_000;
const bytes = (max = 300) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
  }
}

describe('zk-tcp fuzz', () => {
  it('packet, realtime, users, sizes and data-stat decoders throw only DecodeError', () => {
    fc.assert(
      fc.property(bytes(), fc.nat(100), (input, count) => {
        onlyDecodeErrors(() => decodePacket(input));
        onlyDecodeErrors(() => decodeRealtimeEvents(input));
        onlyDecodeErrors(() => decodeUsers(input, count));
        onlyDecodeErrors(() => decodeFreeSizes(input));
        onlyDecodeErrors(() => decodeDataStat(input));
      }),
      { numRuns: RUNS },
    );
  });

  it('attendance datasets of any size and count throw only DecodeError', () => {
    const dataset = fc.tuple(bytes(600), fc.boolean()).map(([body, honest]) => {
      const out = Buffer.concat([Buffer.alloc(4), body]);
      out.writeUInt32LE(honest ? body.length : body.length ^ 3, 0);
      return out;
    });
    fc.assert(
      fc.property(dataset, fc.nat(80), fc.constantFrom<number[]>([], [8], [16], [40], [49], [37]), (input, count, preferred) => {
        onlyDecodeErrors(() => {
          const set = decodeAttendanceDataset(input, count, preferred);
          for (let i = 0; i < set.count; i++) decodeAttendanceAt(set, i);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('the TCP reader finds a valid frame after any garbage, split anywhere', () => {
    const marker = encodeTcpFrame(encodePacket({ command: 2000, sessionId: 0x1234, replyId: 0x4321, data: Buffer.from('fuzz') }));
    // Garbage sometimes holds a fake frame start claiming up to MAX_TEST_FRAME bytes; resync comes at most that far later.
    const fakeHeader = fc.nat(MAX_TEST_FRAME).map((n) => {
      const h = Buffer.from('5050827d00000000', 'hex');
      h.writeUInt32LE(n, 4);
      return h;
    });
    const garbage = fc.array(fc.oneof(bytes(60), fakeHeader), { maxLength: 5 }).map((parts) => Buffer.concat(parts));
    fc.assert(
      fc.property(garbage, fc.array(fc.nat(1 << 16), { maxLength: 6 }), (noise, cuts) => {
        const stream = Buffer.concat([noise, Buffer.alloc(MAX_TEST_FRAME + 8), marker, marker]);
        const points = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b);
        const deframer = new TcpDeframer(MAX_TEST_FRAME);
        const frames: Buffer[] = [];
        let at = 0;
        for (const p of [...points, stream.length]) {
          frames.push(...deframer.push(stream.subarray(at, p)));
          at = p;
        }
        expect(frames.filter((f) => f.equals(marker.subarray(8)))).toHaveLength(2);
        expect(deframer.pendingBytes).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });
});

/** the deframer's frame limit in the resync property (production uses MAX_FRAME_BYTES) */
const MAX_TEST_FRAME = 2048;
