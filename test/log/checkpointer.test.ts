// src/log/checkpointer.ts on an in-memory log with fake timers: the first checkpoint at start, then
// at most one per interval and only when the tree grew, one more at stop; on demand for a seq the
// latest does not cover; never a head that does not extend what was signed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Checkpointer, type SignedCheckpoint } from '../../src/log/checkpointer.js';
import { logKeyName } from '../../src/log/checkpoint.js';
import { EMPTY_ROOT } from '../../src/log/merkle.js';
import { ed25519PrivateKeyFromSeed, ed25519Signer } from '../../src/log/note.js';
import { openGatewayCheckpoint } from '../../src/log/verify.js';
import { captureLog } from '../helpers/logLines.js';
import { MemoryPunchLog } from '../helpers/memoryPunchLog.js';

const signer = ed25519Signer(logKeyName('BKPP', 'gw-1'), ed25519PrivateKeyFromSeed(Buffer.alloc(32, 5)));
const EPOCH = '0123456789abcdef';
const INTERVAL = 10_000;

function setup(log = new MemoryPunchLog(EPOCH)) {
  const published: SignedCheckpoint[] = [];
  const captured = captureLog();
  const checkpointer = new Checkpointer({ log, signer, intervalMs: INTERVAL, publish: (cp) => published.push(cp), logger: captured.log, now: () => new Date(Date.now()) });
  let seq = 0;
  const append = (n: number): void => {
    for (let i = 0; i < n; i++) log.append({ seq: ++seq });
  };
  return { log, published, checkpointer, append, captured };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-01-19T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Checkpointer', () => {
  it('signs and publishes the empty tree at start: size 0, root SHA-256(""), the origin with the epoch', () => {
    const { checkpointer, published } = setup();
    checkpointer.start();
    expect(published).toHaveLength(1);
    const cp = openGatewayCheckpoint((published[0] as SignedCheckpoint).note, signer.verifier);
    expect(cp).toMatchObject({ origin: `absensi-gateway/BKPP/gw-1/${EPOCH}`, epoch: EPOCH, size: 0, time: '2026-01-19T00:00:00Z' });
    expect(cp.root.equals(EMPTY_ROOT)).toBe(true);
    expect(checkpointer.latest).toBe(published[0]);
  });

  it('publishes at most once per interval, only when the tree grew', () => {
    const { checkpointer, published, append } = setup();
    checkpointer.start();
    vi.advanceTimersByTime(INTERVAL * 3);
    expect(published.map((c) => c.size)).toEqual([0]);
    append(5);
    vi.advanceTimersByTime(INTERVAL / 2);
    append(7);
    expect(published.map((c) => c.size)).toEqual([0]);
    vi.advanceTimersByTime(INTERVAL / 2);
    expect(published.map((c) => c.size)).toEqual([0, 12]);
    expect(published[1]?.time).toBe('2026-01-19T00:00:40Z');
    vi.advanceTimersByTime(INTERVAL * 2);
    expect(published).toHaveLength(2);
    checkpointer.stop();
  });

  it('at stop, publishes the grown tree once more; not when nothing grew', async () => {
    const first = setup();
    first.checkpointer.start();
    first.append(3);
    await first.checkpointer.stop();
    expect(first.published.map((c) => c.size)).toEqual([0, 3]);
    vi.advanceTimersByTime(INTERVAL * 2);
    expect(first.published).toHaveLength(2);
    const idle = setup();
    idle.checkpointer.start();
    await idle.checkpointer.stop();
    expect(idle.published.map((c) => c.size)).toEqual([0]);
  });

  it('covering(seq): the latest when it covers seq, else one signed now, published at the next tick', () => {
    const { checkpointer, published, append } = setup();
    checkpointer.start();
    append(4);
    const onDemand = checkpointer.covering(4) as SignedCheckpoint;
    expect(onDemand.size).toBe(4);
    expect(checkpointer.covering(3)).toBe(onDemand);
    expect(checkpointer.covering(4)).toBe(onDemand);
    expect(published).toHaveLength(1);
    vi.advanceTimersByTime(INTERVAL);
    expect(published.at(-1)).toBe(onDemand);
    checkpointer.stop();
  });

  it('a head smaller than signed, or not an extension of it, is never signed; logged once; signing resumes when it heals', () => {
    const real = new MemoryPunchLog(EPOCH);
    const fork = new MemoryPunchLog(EPOCH);
    let reading = real;
    const log = { epoch: EPOCH, head: () => reading.head(), consistencyProof: (a: number, b: number) => reading.consistencyProof(a, b) };
    const { checkpointer, published, captured } = setup(log as unknown as MemoryPunchLog);
    for (let seq = 1; seq <= 6; seq++) real.append({ seq });
    for (let seq = 1; seq <= 8; seq++) fork.append(seq === 3 ? { seq, pin: 'forked' } as { seq: number } : { seq });
    checkpointer.start();
    expect(published.map((c) => c.size)).toEqual([6]);
    reading = fork;
    vi.advanceTimersByTime(INTERVAL * 3);
    expect(captured.withCode('GW_ERR_LOG_INCONSISTENT')).toHaveLength(1);
    expect(checkpointer.covering(8)?.size).toBe(6);
    expect(published.map((c) => c.size)).toEqual([6]);
    expect(captured.withCode('GW_ERR_LOG_INCONSISTENT')).toHaveLength(2);
    const shorter = new MemoryPunchLog(EPOCH);
    shorter.append({ seq: 1 });
    reading = shorter;
    vi.advanceTimersByTime(INTERVAL);
    expect(published.map((c) => c.size)).toEqual([6]);
    expect(captured.withCode('GW_ERR_LOG_INCONSISTENT')).toHaveLength(2);
    reading = real;
    real.append({ seq: 7 });
    vi.advanceTimersByTime(INTERVAL);
    expect(published.map((c) => c.size)).toEqual([6, 7]);
    checkpointer.stop();
  });

  it('no line it logs holds the key', () => {
    const { checkpointer, captured, append } = setup();
    checkpointer.start();
    append(2);
    checkpointer.covering(2);
    checkpointer.stop();
    expect(JSON.stringify(captured.lines)).not.toContain('PRIVATE KEY');
  });
});
