// Kiosk photos on disk (src/kiosk/photos.ts): content-addressed, 0600 in 0700 folders, removed by
// retention only once older than it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PhotoStore } from '../../src/kiosk/photos.js';
import { tempDir } from '../helpers/tmp.js';

const JPEG = readFileSync(join(import.meta.dirname, 'fixtures', 'python.jpg'));
const DAY_MS = 86_400_000;
let tmp: ReturnType<typeof tempDir>;

beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

it('keeps a photo once under its SHA-256, private to the service user', async () => {
  const store = new PhotoStore(join(tmp.dir, 'photos'));
  const sha256 = await store.save('lobby-kiosk', JPEG);
  expect(sha256).toBe(createHash('sha256').update(JPEG).digest('hex'));
  expect(await store.save('lobby-kiosk', JPEG)).toBe(sha256);
  const file = join(tmp.dir, 'photos', 'lobby-kiosk', `${sha256}.jpg`);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(statSync(join(tmp.dir, 'photos', 'lobby-kiosk')).mode & 0o777).toBe(0o700);
});

it('prune removes the photos older than the retention and keeps the rest', async () => {
  const store = new PhotoStore(join(tmp.dir, 'photos'));
  const old = await store.save('lobby-kiosk', JPEG);
  const fresh = await store.save('lobby-kiosk', Buffer.concat([JPEG, Buffer.from([0])]));
  const now = Date.now();
  const oldFile = join(tmp.dir, 'photos', 'lobby-kiosk', `${old}.jpg`);
  utimesSync(oldFile, new Date(now - 31 * DAY_MS), new Date(now - 31 * DAY_MS));
  expect(await store.prune(30 * DAY_MS, now)).toBe(1);
  expect(existsSync(oldFile)).toBe(false);
  expect(existsSync(join(tmp.dir, 'photos', 'lobby-kiosk', `${fresh}.jpg`))).toBe(true);
  expect(await new PhotoStore(join(tmp.dir, 'none')).prune(DAY_MS)).toBe(0);
});
