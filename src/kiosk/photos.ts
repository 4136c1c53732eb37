// Kiosk punch photos in <dataDir>/photos/<deviceId>/<sha256>.jpg (DESIGN.md "Kiosks and apps"):
// personal data, kept on the gateway only; a punch carries the SHA-256 alone.
// Invariants:
// - Files are 0600 in 0700 directories; a name is the content's hash, so a photo sent twice is
//   one file and a punch's `raw.photoSha256` always names the bytes it was sent with.
// - `prune` removes photos older than the retention (by mtime); nothing else removes a photo.
// - Device ids are the config's (DEVICE_ID_PATTERN), so a path never leaves the photos directory.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KioskPhotoStore } from '../devices/kiosk.js';
import { isSha256Hex } from '../util/sha256.js';

export function photosDir(dataDir: string): string {
  return join(dataDir, 'photos');
}

export class PhotoStore implements KioskPhotoStore {
  constructor(readonly dir: string) {}

  async save(deviceId: string, jpeg: Uint8Array): Promise<string> {
    const sha256 = createHash('sha256').update(jpeg).digest('hex');
    const folder = join(this.dir, deviceId);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    try {
      await writeFile(join(folder, `${sha256}.jpg`), jpeg, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return sha256;
  }

  /** The photo's bytes, or undefined when its file is gone or no longer hashes to `sha256`. */
  async read(deviceId: string, sha256: string): Promise<Uint8Array | undefined> {
    if (!isSha256Hex(sha256)) return undefined;
    const jpeg = await readFile(join(this.dir, deviceId, `${sha256}.jpg`)).catch(() => undefined);
    if (!jpeg || createHash('sha256').update(jpeg).digest('hex') !== sha256) return undefined;
    return jpeg;
  }

  /** Removes photos whose file is older than `retentionMs`; resolves with how many. */
  async prune(retentionMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const devices = await readdir(this.dir).catch(() => [] as string[]);
    for (const device of devices) {
      const folder = join(this.dir, device);
      for (const name of await readdir(folder).catch(() => [] as string[])) {
        const file = join(folder, name);
        const info = await stat(file).catch(() => undefined);
        if (info?.isFile() && now - info.mtimeMs > retentionMs) {
          await rm(file, { force: true });
          removed += 1;
        }
      }
    }
    return removed;
  }
}
