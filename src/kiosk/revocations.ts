// The kiosk listener's view of <dataDir>/kiosk-ca/revoked.json: `kiosk revoke` (another process)
// replaces the file, and the next request sees it, with no restart and no signal.
// Invariants:
// - Every question stats the file first and reads it again only when it changed (inode, size or
//   mtime): a revocation takes effect on the next request, keep-alive connections included.
// - A file that cannot be read or parsed revokes nothing new but keeps what was read before, and
//   says so once per change (`problem`): a broken list must not let a revoked kiosk back in.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { normalSerial, readRevoked } from './ca.js';

export class RevocationList {
  private readonly file: string;
  private stamp = '';
  private serials = new Set<string>();
  /** why the file could not be read at its last change; undefined when it could */
  problem: string | undefined;

  constructor(caDir: string) {
    this.file = join(caDir, 'revoked.json');
  }

  isRevoked(serial: string): boolean {
    this.refresh();
    return this.serials.has(normalSerial(serial));
  }

  private refresh(): void {
    let stamp: string;
    try {
      const stat = statSync(this.file);
      stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      stamp = 'absent';
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      const fresh = new Set(readRevoked(join(this.file, '..')).map((r) => normalSerial(r.serial)));
      // never forget a revocation because the file lost it
      for (const serial of this.serials) fresh.add(serial);
      this.serials = fresh;
      this.problem = undefined;
    } catch (error) {
      this.problem = (error as Error).message;
    }
  }
}
