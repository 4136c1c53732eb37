import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { Throttle } from '../../src/util/throttle.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it('runs at once, then at most once per interval per key, never dropping the last request', () => {
  const runs: string[] = [];
  const throttle = new Throttle(1000, (key) => runs.push(`${key}@${Date.now()}`));
  const t0 = Date.now();
  throttle.request('a');
  throttle.request('a');
  throttle.request('b');
  vi.advanceTimersByTime(500);
  throttle.request('a');
  expect(runs).toEqual([`a@${t0}`, `b@${t0}`]);
  vi.advanceTimersByTime(500);
  expect(runs).toEqual([`a@${t0}`, `b@${t0}`, `a@${t0 + 1000}`]);
  vi.advanceTimersByTime(5000);
  expect(runs).toHaveLength(3);
  throttle.request('a');
  expect(runs).toHaveLength(4);
});
