import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { LogLimiter } from '../../src/util/logLimiter.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, destination), lines };
}

describe('LogLimiter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes the first `burst` lines of a key, then one summary with the count of the rest', () => {
    const { log, lines } = capture();
    const limiter = new LogLimiter(log, { intervalMs: 60_000, burst: 3 });
    for (let i = 0; i < 20_000; i++) limiter.warn('unknown-serial', { serial: `SN${i}` }, 'unknown terminal');
    expect(lines).toHaveLength(3);
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ serial: 'SN19999', suppressed: 19_997, level: 40 });
    expect(String(lines[3]?.msg)).toContain('19997 more like this not logged');
  });

  it('keeps keys apart, and a quiet key needs no summary', () => {
    const { log, lines } = capture();
    const limiter = new LogLimiter(log, { intervalMs: 1_000, burst: 1 });
    limiter.warn('a', {}, 'a');
    limiter.warn('b', {}, 'b');
    limiter.warn('a', {}, 'a');
    expect(lines.map((l) => l.msg)).toEqual(['a', 'b']);
    vi.advanceTimersByTime(1_000);
    expect(lines.map((l) => l.suppressed)).toEqual([undefined, undefined, 1]);
    limiter.warn('a', {}, 'a');
    expect(lines).toHaveLength(4);
  });

  it('bounds its keys: a new key per line shares one overflow window', () => {
    const { log, lines } = capture();
    const limiter = new LogLimiter(log, { intervalMs: 1_000, burst: 2, maxKeys: 4 });
    for (let i = 0; i < 1_000; i++) limiter.warn(`k${i}`, {}, 'x');
    // 4 keys × 2 lines each would be 8, but keys 0-3 have one line each; the rest share (many)
    expect(lines).toHaveLength(6);
    limiter.flush();
    expect(lines.at(-1)).toMatchObject({ suppressed: 994, manyKinds: true });
  });

  it('flush says what is held back at once', () => {
    const { log, lines } = capture();
    const limiter = new LogLimiter(log, { burst: 1 });
    limiter.error('disk', { n: 1 }, 'commit failed');
    limiter.error('disk', { n: 2 }, 'commit failed');
    limiter.flush();
    expect(lines.map((l) => [l.level, l.suppressed])).toEqual([[50, undefined], [50, 1]]);
  });
});
