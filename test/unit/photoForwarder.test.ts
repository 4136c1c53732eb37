// PhotoForwarder (src/publish/photos.ts): which punches of a batch a sink gets, and when, for each
// thing a photo send can come to. The sink side here records calls; the real sinks are exercised
// in test/kiosk/photosPublish.net.test.ts.
import { describe, expect, it } from 'vitest';
import type { OutgoingPunch } from '../../src/buffer/punchBuffer.js';
import { PhotoForwarder, photoSha256Of, type PhotoOutcome, type PhotoSinkSide } from '../../src/publish/photos.js';
import { captureLog } from '../helpers/logLines.js';

const SHA = (c: string) => c.repeat(64);

function punch(seq: number, photo?: string): OutgoingPunch {
  const raw = photo ? { photoSha256: photo } : {};
  return { seq, id: `p${seq}`, deviceId: 'kiosk-a', receivedAt: '2026-12-01T00:00:00.000Z', json: JSON.stringify({ id: `p${seq}`, raw }) };
}

function side(outcomes: PhotoOutcome[]): PhotoSinkSide & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    sendPhoto: async (photo) => {
      calls.push(`photo:${photo.punchId}`);
      return outcomes.shift() ?? { kind: 'sent' };
    },
    sendPunches: async (batch) => {
      calls.push(`punches:${batch.map((p) => p.id).join(',')}`);
      return { acked: batch.map((p) => p.id), rejected: [] };
    },
  };
}

const present = { read: async (_device: string, sha256: string) => (sha256 === SHA('9') ? undefined : new Uint8Array([0xff, 0xd8])) };

describe('PhotoForwarder.send', () => {
  it.each([
    { name: 'no photo: the batch as it is', batch: [punch(1), punch(2)], outcomes: [], calls: ['punches:p1,p2'], acked: ['p1', 'p2'], error: undefined },
    { name: 'a photo goes before the batch that holds its punch', batch: [punch(1), punch(2, SHA('a'))], outcomes: [], calls: ['photo:p2', 'punches:p1,p2'], acked: ['p1', 'p2'], error: undefined },
    { name: 'a failed photo stops the batch at its punch', batch: [punch(1), punch(2, SHA('a')), punch(3)], outcomes: [{ kind: 'failed', error: 'down' }], calls: ['photo:p2', 'punches:p1'], acked: ['p1'], error: 'photo not delivered: down' },
    { name: 'a failed first photo sends nothing', batch: [punch(1, SHA('a')), punch(2)], outcomes: [{ kind: 'failed', error: 'down' }], calls: ['photo:p1'], acked: [], error: 'photo not delivered: down' },
    { name: 'a refused photo: its punch goes without it', batch: [punch(1, SHA('a')), punch(2)], outcomes: [{ kind: 'refused', reason: 'http 413' }], calls: ['photo:p1', 'punches:p1,p2'], acked: ['p1', 'p2'], error: undefined },
    { name: 'a photo gone: its punch goes without it, nothing sent for it', batch: [punch(1, SHA('9'))], outcomes: [], calls: ['punches:p1'], acked: ['p1'], error: undefined },
  ] as const)('$name', async ({ batch, outcomes, calls, acked, error }) => {
    const captured = captureLog('warn');
    const sink = side([...outcomes]);
    const result = await new PhotoForwarder(present, { sink: 'test', log: captured.log }).send([...batch], new AbortController().signal, sink);
    expect(sink.calls).toEqual(calls);
    expect(result.acked).toEqual(acked);
    expect(result.error).toBe(error);
  });

  it('a halt or Retry-After of a photo reaches the dispatcher', async () => {
    const sink = side([{ kind: 'failed', error: 'http 401 for a photo', halt: 'auth', retryAfterMs: 5000 }]);
    const result = await new PhotoForwarder(present, { sink: 'test', log: captureLog().log }).send([punch(1, SHA('a'))], new AbortController().signal, sink);
    expect(result).toMatchObject({ acked: [], halt: 'auth', retryAfterMs: 5000 });
  });

  it('a photo delivered whose punch was not acked is not sent again with the retry; after the ack it is forgotten', async () => {
    const forwarder = new PhotoForwarder(present, { sink: 'test', log: captureLog().log });
    const calls: string[] = [];
    let ackNext = false;
    const flaky: PhotoSinkSide = {
      sendPhoto: async (photo) => (calls.push(`photo:${photo.punchId}`), { kind: 'sent' }),
      sendPunches: async (batch) => (calls.push('punches'), ackNext ? { acked: batch.map((p) => p.id), rejected: [] } : { acked: [], rejected: [], error: 'lost' }),
    };
    await forwarder.send([punch(1, SHA('a'))], new AbortController().signal, flaky);
    ackNext = true;
    await forwarder.send([punch(1, SHA('a'))], new AbortController().signal, flaky);
    await forwarder.send([punch(1, SHA('a'))], new AbortController().signal, flaky); // e.g. replayed later: sent again
    expect(calls).toEqual(['photo:p1', 'punches', 'punches', 'photo:p1', 'punches']);
  });
});

describe('photoSha256Of', () => {
  it.each([
    [punch(1), undefined],
    [punch(1, SHA('a')), SHA('a')],
    [punch(1, '../../etc/passwd'), undefined],
    [punch(1, SHA('A')), undefined],
  ])('%#', (p, want) => expect(photoSha256Of(p)).toBe(want));
});
