import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { abortableSleep, PollLoop, type PollLoopOptions } from '../../src/devices/pollLoop.js';

/** A loop whose polls follow `script` (an Error fails, anything else succeeds), recording what happened. */
function scripted(script: (boolean | Error)[], overrides: Partial<PollLoopOptions> = {}) {
  const events: string[] = [];
  let n = 0;
  const loop = new PollLoop({
    poll: async () => {
      const step = script[n++] ?? true;
      events.push(`poll ${n}`);
      if (step instanceof Error) throw step;
    },
    intervalMs: 1000,
    retryDelayMs: (attempt) => 100 * 2 ** attempt,
    onError: (error, attempt) => events.push(`error ${(error as Error).message} attempt ${attempt}`),
    onEnd: () => events.push('end'),
    ...overrides,
  });
  return { loop, events };
}

describe('PollLoop', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls at once, then every interval', async () => {
    const { loop, events } = scripted([]);
    loop.start(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['poll 1']);
    await vi.advanceTimersByTimeAsync(999);
    expect(events).toEqual(['poll 1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['poll 1', 'poll 2']);
    await loop.stop();
  });

  it.each([
    { name: 'one failure: retry delay, then the interval again', script: [new Error('a'), true, true], advance: [0, 100, 1000], attempts: ['error a attempt 0'] },
    { name: 'failures in a row back off; a success resets the count', script: [new Error('a'), new Error('b'), true, new Error('c')], advance: [0, 100, 200, 1000], attempts: ['error a attempt 0', 'error b attempt 1', 'error c attempt 0'] },
  ])('$name', async ({ script, advance, attempts }) => {
    const { loop, events } = scripted(script);
    loop.start(new AbortController().signal);
    for (const ms of advance) await vi.advanceTimersByTimeAsync(ms);
    expect(events.filter((e) => e.startsWith('poll'))).toHaveLength(advance.length);
    expect(events.filter((e) => e.startsWith('error'))).toEqual(attempts);
    await loop.stop();
  });

  it('stop cuts the wait short, waits for the poll in flight, reports no error caused by stopping, ends once', async () => {
    let release: (() => void) | undefined;
    const { loop, events } = scripted([], {
      poll: (signal) =>
        new Promise<void>((_, reject) => {
          events.push('poll');
          release = () => reject(new Error('aborted'));
          signal.addEventListener('abort', () => release?.(), { once: true });
        }),
    });
    loop.start(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(loop.signal.aborted).toBe(false);
    const stopped = loop.stop();
    expect(loop.signal.aborted).toBe(true);
    await stopped;
    await loop.stop();
    expect(events).toEqual(['poll', 'end']);
  });

  it('stops when the parent signal aborts, and a stopped loop does not start again', async () => {
    const parent = new AbortController();
    const { loop, events } = scripted([]);
    loop.start(parent.signal);
    await vi.advanceTimersByTimeAsync(0);
    parent.abort();
    await vi.advanceTimersByTimeAsync(5000);
    expect(events).toEqual(['poll 1', 'end']);
    loop.start(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(5000);
    expect(events).toEqual(['poll 1', 'end']);
  });

  it('does not start under an aborted parent', async () => {
    const { loop, events } = scripted([]);
    loop.start(AbortSignal.abort());
    await vi.advanceTimersByTimeAsync(5000);
    expect(loop.started).toBe(false);
    expect(events).toEqual([]);
  });
});

describe('abortableSleep', () => {
  it('resolves at once on an aborted signal and removes its listener when it ends', async () => {
    await abortableSleep(60_000, AbortSignal.abort());
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    await abortableSleep(1, controller.signal);
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledTimes(1);
  });
});
