// A buffer file replaced by an older copy of itself (a backup put back, a disk image restored):
// the real gateway notices at start, from what it signed before, and signs the copy's log under a
// new epoch — the centre sees a new log, never a shorter tree of the old one.
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { until } from '../helpers/broker.js';
import { feeds } from '../helpers/feedDriver.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { feed, startTestGateway } from './fixture.js';

const tmp = tempDir();
let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
  feeds.clear();
});

async function runOnce(punches: number[]): Promise<{ epoch: string; size: number }> {
  gateway = await startTestGateway({ dir: tmp.dir });
  await feed('dev-a').push(punches.map((i) => rawPunch(i)));
  const head = gateway.buffer.headSeq();
  await until(() => (gateway?.checkpointer?.covering(head)?.size ?? 0) >= head, 10_000, 'a checkpoint of the head');
  const result = { epoch: gateway.punchLog?.epoch as string, size: gateway.checkpointer?.latest?.size as number };
  await gateway.stop();
  gateway = undefined;
  feeds.clear();
  return result;
}

it('a restored older copy of the buffer is signed under a new epoch; an untouched one keeps its epoch', async () => {
  const first = await runOnce([1, 2, 3]);
  const bufferFile = join(tmp.dir, 'data', 'buffer.db');
  copyFileSync(bufferFile, join(tmp.dir, 'backup.db'));
  const second = await runOnce([4, 5]);
  expect(second).toEqual({ epoch: first.epoch, size: 5 });

  for (const suffix of ['', '-wal', '-shm']) rmSync(bufferFile + suffix, { force: true });
  copyFileSync(join(tmp.dir, 'backup.db'), bufferFile);
  gateway = await startTestGateway({ dir: tmp.dir });
  const epoch = gateway.punchLog?.epoch;
  expect(epoch).toMatch(/^[0-9a-f]{16}$/);
  expect(epoch).not.toBe(first.epoch);
  expect(gateway.checkpointer?.latest).toMatchObject({ size: 3, origin: expect.stringMatching(new RegExp(`/${epoch}$`)) });
  await gateway.stop();
  gateway = undefined;
  feeds.clear();

  const after = await runOnce([6]);
  expect(after).toEqual({ epoch, size: 4 });
});
