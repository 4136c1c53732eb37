// emit() calls made in one event-loop turn are committed together; each caller must still learn
// what became of its own punch (new, duplicate, quarantined), and a failed commit fails them all.
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import type { DriverContext } from '../../src/devices/driver.js';
import { punchId } from '../../src/punch/punch.js';
import { bufferContext } from '../helpers/bufferContext.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let buffer: SqlitePunchBuffer;
let ctx: DriverContext;

beforeEach(() => {
  tmp = tempDir();
  buffer = new SqlitePunchBuffer({ file: join(tmp.dir, 'b.db'), sinks: ['mqtt'], writer: 'inline' });
  ctx = bufferContext(buffer, { device: { id: 'lobby', driver: 'test', serial: 'SN-LOBBY' }, gateway: { id: 'gw', site: 'T' }, maxFutureMs: 86_400_000 }).ctx;
});
afterEach(async () => {
  if (!buffer.isClosed) await buffer.close();
  tmp.cleanup();
});

const idOf = (n: number): string => {
  const { pin, localTime, state, verify } = rawPunch(n);
  return punchId({ serial: 'SN-LOBBY', pin, localTime, state, verify });
};

it('gives each concurrent emit the outcome of its own punch', async () => {
  await ctx.emit(rawPunch(1));
  const results = await Promise.all([
    ctx.emit(rawPunch(2)), // new
    ctx.emit(rawPunch(1)), // already committed
    ctx.emit(rawPunch(3)), // new
    ctx.emit(rawPunch(3)), // the same punch twice in one turn: the second is the duplicate
    ctx.emit(rawPunch(4, { localTime: '1999-12-31T23:59:59' })), // impossible year: quarantined
    ctx.emit(rawPunch(5, { pin: '' })), // invalid: quarantined
  ]);
  expect(results).toEqual([
    // each committed (or already held) punch with its id and the seq the buffer holds it under
    { inserted: 1, duplicates: 0, quarantined: 0, punch: { id: idOf(2), seq: 2 } },
    { inserted: 0, duplicates: 1, quarantined: 0, punch: { id: idOf(1), seq: 1 } },
    { inserted: 1, duplicates: 0, quarantined: 0, punch: { id: idOf(3), seq: 3 } },
    { inserted: 0, duplicates: 1, quarantined: 0, punch: { id: idOf(3), seq: 3 } },
    { inserted: 0, duplicates: 0, quarantined: 1 },
    { inserted: 0, duplicates: 0, quarantined: 1 },
  ]);
  expect(buffer.headSeq()).toBe(3);
});

it('commits a burst of single emits in bounded commits, all of them, in call order', async () => {
  const results = await Promise.all(Array.from({ length: 1234 }, (_, i) => ctx.emit(rawPunch(i))));
  expect(results.every((r) => r.inserted === 1)).toBe(true);
  const pins = buffer.pending('mqtt', 2000).map((p) => p.pin);
  expect(pins).toEqual(Array.from({ length: 1234 }, (_, i) => rawPunch(i).pin));
});

it('rejects every caller of a commit that fails', async () => {
  await buffer.close();
  const results = await Promise.allSettled([ctx.emit(rawPunch(1)), ctx.emit(rawPunch(2))]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
});
