// The TCP deframer on its own: table-driven cases, every split, merges, garbage and resync.
import { describe, expect, it } from 'vitest';
import { encodePacket, encodeTcpFrame } from '../../../drivers/zk-tcp/codec.js';
import { deframe, MAX_FRAME_BYTES, TcpDeframer } from '../../../drivers/zk-tcp/streamReader.js';
import { byKind, deframeAll, feedings } from './cases.js';

const frame = (command: number, data = Buffer.alloc(0), replyId = 1): Buffer =>
  encodeTcpFrame(encodePacket({ command, sessionId: 0x4242, replyId, data }));

const A = frame(2000);
const B = frame(1501, Buffer.alloc(1008, 7), 2);
const C = frame(1500, Buffer.from('b413000000f00300', 'hex'), 3);

describe('deframe (pure)', () => {
  it.each([
    ['empty input', Buffer.alloc(0), 0, 0, 0],
    ['one frame', A, 1, 0, 0],
    ['two merged frames', Buffer.concat([A, B]), 2, 0, 0],
    ['a frame and the start of the next', Buffer.concat([A, B.subarray(0, 100)]), 1, 100, 0],
    ['only a prefix', A.subarray(0, 6), 0, 6, 0],
    ['garbage then a frame', Buffer.concat([Buffer.from('deadbeef00', 'hex'), A]), 1, 0, 5],
    ['a magic with an impossible length', Buffer.concat([Buffer.from('5050827d03000000', 'hex'), C]), 1, 0, 8],
    ['a trailing partial magic is kept', Buffer.concat([A, Buffer.from('5050', 'hex')]), 1, 2, 0],
    ['a trailing byte that cannot start a magic is skipped', Buffer.concat([A, Buffer.from('01', 'hex')]), 1, 0, 1],
  ])('%s', (_name, input, frames, rest, skipped) => {
    const result = deframe(input);
    expect(result.frames).toHaveLength(frames);
    expect(result.rest.length).toBe(rest);
    expect(result.skipped).toBe(skipped);
  });

  it('returns frames without the 8-byte prefix', () => {
    expect(deframe(B).frames[0]?.length).toBe(1016);
  });

  it('rejects lengths above MAX_FRAME_BYTES and resynchronizes', () => {
    const huge = Buffer.from('5050827d00000000', 'hex');
    huge.writeUInt32LE(MAX_FRAME_BYTES + 1, 4);
    const { frames, skipped } = deframe(Buffer.concat([huge, A]));
    expect(frames).toHaveLength(1);
    expect(skipped).toBe(8);
  });
});

describe('TcpDeframer (incremental)', () => {
  const stream = Buffer.concat([A, B, C, A]);
  it('yields the same frames for every way of feeding the stream', () => {
    const want = deframe(stream).frames.map((f) => f.toString('hex'));
    for (const [how, chunks] of feedings(stream)) {
      const { frames, pending } = deframeAll(chunks);
      expect(frames.map((f) => f.toString('hex')), how).toEqual(want);
      expect(pending, how).toBe(0);
    }
  });

  it('keeps sync after garbage between frames, whatever the split', () => {
    const noisy = Buffer.concat([A, Buffer.from('00ff5050827d', 'hex'), B]);
    for (const [how, chunks] of feedings(noisy)) {
      const { frames } = deframeAll(chunks);
      expect(frames.map((f) => f.length), how).toEqual([8, 1016]);
    }
  });

  it('replays the real chunked capture at its captured read boundaries', () => {
    const [, capture] = byKind('tcp-stream').find(([name]) => name.startsWith('users72-chunked-70'))!;
    const deframer = new TcpDeframer();
    const counts = (capture.reads ?? []).reduce<{ at: number; frames: number[] }>(
      (acc, n) => {
        acc.frames.push(deframer.push(capture.input.subarray(acc.at, acc.at + n)).length);
        acc.at += n;
        return acc;
      },
      { at: 0, frames: [] },
    ).frames;
    // the four small replies arrive one per read; a 1016-byte packet completes only on the last
    // read of its 232+256+256+256+24 run
    expect(counts.slice(0, 9)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10);
    expect(deframer.pendingBytes).toBe(0);
  });
});
