import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ephemeralPortRange, freePort, pickablePorts, portIsFree } from '../../src/util/net.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('net-');
afterAll(() => tmp.cleanup());

describe('ephemeralPortRange', () => {
  it.each([
    { text: '32768\t60999\n', range: [32768, 60999] },
    { text: '1024 65535', range: [1024, 65535] },
    { text: 'garbage', range: [32768, 60999] },
    { text: '60999 32768', range: [32768, 60999] },
  ])('reads "$text" as $range', ({ text, range }) => {
    const file = join(tmp.dir, 'range');
    writeFileSync(file, text);
    expect(ephemeralPortRange(file)).toEqual(range);
  });

  it('falls back to the Linux default when the file is missing', () => {
    expect(ephemeralPortRange(join(tmp.dir, 'missing'))).toEqual([32768, 60999]);
  });
});

describe('pickablePorts', () => {
  it.each([
    { range: [32768, 60999], ranges: [{ from: 10000, count: 22768 }, { from: 61000, count: 4536 }] },
    { range: [1024, 65535], ranges: [] },
    { range: [40000, 65535], ranges: [{ from: 10000, count: 30000 }] },
    { range: [1024, 20000], ranges: [{ from: 20001, count: 45535 }] },
  ] as { range: [number, number]; ranges: { from: number; count: number }[] }[])('around $range', ({ range, ranges }) => {
    expect(pickablePorts(range)).toEqual(ranges);
  });
});

describe('freePort', () => {
  it('gives ports outside the ephemeral range that can be listened on', async () => {
    const [low, high] = ephemeralPortRange();
    for (let i = 0; i < 20; i += 1) {
      const port = await freePort();
      expect(port < low || port > high, `${port} in ${low}-${high}`).toBe(true);
      expect(await portIsFree(port)).toBe(true);
    }
  });
});
