// Hostile bytes for the zk-tcp codec and stream reader, extending test/drivers/zk-tcp/fuzz.test.ts
// (random bytes) with the real fixture packets of test/drivers/zk-tcp/fixtures, mutated, merged
// into streams with garbage and re-fed at random splits.
// Properties:
// - every decoder a session calls throws nothing but DecodeError on mutated real packets;
// - the deframer gives the same frames whatever the split (any split, any merge);
// - real frames separated by garbage that holds no frame start all come out, in order;
// - realtime payloads decode to wall times of the right shape, or DecodeError (which the driver counts).
import { ok } from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAttendanceAt, decodeAttendanceDataset, decodeDataStat, decodeFreeSizes, decodePacket, decodeRealtimeEvents,
  decodeUsers, encodeTcpFrame,
} from '../../../drivers/zk-tcp/codec.js';
import { deframe, TcpDeframer } from '../../../drivers/zk-tcp/streamReader.js';
import { CMD, TCP_PREFIX_BYTES } from '../../../drivers/zk-tcp/tables.js';
import { PUNCH_STATES } from '../../../src/punch/punch.js';
import { DecodeError } from '../../../src/util/errors.js';
import { loadFixtures } from '../../drivers/zk-tcp/cases.js';
import { fcOptions } from './fuzzScale.js';
import { cutsOf, mutatedBytes, splitAt } from './mutate.js';

const fixtures = loadFixtures();

/** Every bare ZK packet the fixtures hold: TCP streams deframed, frames unwrapped, UDP packets as they are. */
const PACKETS: Buffer[] = fixtures.flatMap(({ input, expected }) => {
  if (input.length >= TCP_PREFIX_BYTES && input.readUInt32BE(0) === 0x5050827d) return deframe(input).frames.map((f) => Buffer.from(f));
  return ['packet', 'encode'].includes(expected.kind as string) && input.length >= 8 ? [input] : [];
});
const FRAMES = PACKETS.map((p) => encodeTcpFrame(p));
const REALTIME_DATA: Buffer[] = fixtures.flatMap(({ input, expected }) => {
  if (expected.kind === 'realtime-data') return [input];
  if (expected.kind === 'packet' && expected.command === CMD.REG_EVENT) return [decodePacket(input).data];
  return [];
});

function onlyDecodeErrors<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
}

const WALL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

describe('zk-tcp hostile bytes', () => {
  it('has real packets and realtime payloads to mutate', () => {
    expect(PACKETS.length).toBeGreaterThan(15);
    expect(REALTIME_DATA.length).toBeGreaterThanOrEqual(2);
  });

  it('every decoder a session calls throws only DecodeError on mutated real packets', () => {
    fc.assert(
      fc.property(mutatedBytes(PACKETS, 6), fc.nat(200), (bytes, count) => {
        const packet = onlyDecodeErrors(() => decodePacket(bytes));
        const data = packet?.data ?? bytes;
        onlyDecodeErrors(() => decodeRealtimeEvents(data));
        onlyDecodeErrors(() => decodeUsers(data, count));
        onlyDecodeErrors(() => decodeFreeSizes(data));
        onlyDecodeErrors(() => decodeDataStat(data));
        onlyDecodeErrors(() => {
          const set = decodeAttendanceDataset(data, count, [8, 16, 40, 49]);
          for (let i = 0; i < Math.min(set.count, 64); i++) decodeAttendanceAt(set, i);
        });
      }),
      fcOptions('zk-tcp mutated fixture packets'),
    );
  });

  it('the deframer gives the same frames for a mutated stream whatever the split', () => {
    const stream = fc.array(fc.oneof(mutatedBytes(FRAMES, 3), fc.constantFrom(...FRAMES)), { minLength: 1, maxLength: 6 }).map((parts) => Buffer.concat(parts));
    fc.assert(
      fc.property(stream, fc.array(fc.nat(1 << 16), { maxLength: 8 }), (bytes, cuts) => {
        const whole = deframe(bytes, 4096);
        const deframer = new TcpDeframer(4096);
        const pieces = splitAt(bytes, cutsOf(bytes.length, cuts)).flatMap((piece) => deframer.push(piece));
        expect(pieces.map((f) => f.toString('hex'))).toEqual(whole.frames.map((f) => f.toString('hex')));
        expect(deframer.pendingBytes).toBe(whole.rest.length);
        expect(deframer.skippedBytes).toBe(whole.skipped);
      }),
      fcOptions('zk-tcp deframe split invariance'),
    );
  });

  it('real frames separated by garbage without a frame start all come out, in order, at any split', () => {
    // 0x50 is the first magic byte: garbage without it can never start a frame that swallows the next
    const garbage = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.map((b) => (b === 0x50 ? 0x51 : b))));
    const stream = fc.array(fc.tuple(garbage, fc.nat(FRAMES.length - 1)), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(stream, fc.array(fc.nat(1 << 16), { maxLength: 10 }), (parts, cuts) => {
        const bytes = Buffer.concat(parts.flatMap(([noise, i]) => [noise, FRAMES[i] as Buffer]));
        const deframer = new TcpDeframer();
        const frames = splitAt(bytes, cutsOf(bytes.length, cuts)).flatMap((piece) => deframer.push(piece));
        expect(frames.map((f) => f.toString('hex'))).toEqual(parts.map(([, i]) => (PACKETS[i] as Buffer).toString('hex')));
        expect(deframer.skippedBytes).toBe(parts.reduce((sum, [noise]) => sum + noise.length, 0));
        expect(deframer.pendingBytes).toBe(0);
      }),
      fcOptions('zk-tcp fixture frames survive garbage'),
    );
  });

  it('realtime payloads give wall times of the right shape and a pin of at most 24 characters, or DecodeError', () => {
    const payload = fc.oneof(mutatedBytes(REALTIME_DATA, 4), fc.uint8Array({ maxLength: 160 }).map((a) => Buffer.from(a)));
    fc.assert(
      fc.property(payload, (data) => {
        const events = onlyDecodeErrors(() => decodeRealtimeEvents(data)) ?? [];
        for (const event of events) {
          ok(WALL_TIME.test(event.localTime), `time ${event.localTime}`);
          ok((PUNCH_STATES as readonly string[]).includes(event.state), `state ${event.state}`);
          ok(event.pin === undefined || event.pin.length <= 24, `pin ${event.pin}`);
        }
      }),
      fcOptions('zk-tcp realtime payloads'),
    );
  });
});
