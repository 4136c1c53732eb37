// The watched drop folder of a serial-line device (`dropFolder`): staff copy USB-flashdisk exports
// into a share, the daemon imports them as that device's punches and moves each processed file to
// `processed/` beside them.
// Invariants:
// - A file is imported only once its size and mtime were the same on two consecutive scans, so a
//   file still being copied onto the share is left alone.
// - A file is moved aside only after every punch in it committed; if the commit fails (buffer
//   unavailable) it stays and the next scan tries again (ids make the retry harmless).
// - Rejected lines are counted and logged through ctx.status.rejected with file and line number;
//   they do not keep the file from being moved (the summary is logged).
// - The folder is polled, not watched with inotify: inotify does not see writes made through an
//   SMB/NFS share by another machine.
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DriverContext } from '../../src/devices/driver.js';
import { codeOf, errorMessage } from '../../src/util/errors.js';
import type { LineFormat } from './codec.js';
import { importFilesOf, importLines } from './importLines.js';

export interface DropFolderOptions {
  folder: string;
  intervalMs: number;
  format: LineFormat;
  ctx: DriverContext;
  zone: string;
  cardMap?: ReadonlyMap<string, string>;
  unknownCard?: 'use-card' | 'reject';
}

export class DropFolder {
  /** file → "size:mtime" seen on the previous scan */
  private readonly lastSeen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: DropFolderOptions) {}

  start(): void {
    mkdirSync(join(this.o.folder, 'processed'), { recursive: true });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.scan()
        .catch((error: unknown) => this.o.ctx.log.warn({ code: codeOf(error, 'GW_ERR_DEVICE_UNREACHABLE'), err: errorMessage(error), folder: this.o.folder }, 'drop folder scan failed'))
        .finally(() => this.schedule(this.o.intervalMs));
    }, ms);
  }

  /** One pass: import every file that stood still since the previous pass. */
  async scan(): Promise<void> {
    const files = importFilesOf(this.o.folder, this.o.format.name);
    const present = new Set(files);
    for (const key of this.lastSeen.keys()) if (!present.has(key)) this.lastSeen.delete(key);
    for (const file of files) {
      if (this.stopped) return;
      const st = statSync(file);
      const stamp = `${st.size}:${st.mtimeMs}`;
      if (this.lastSeen.get(file) !== stamp) {
        this.lastSeen.set(file, stamp);
        continue;
      }
      await this.importFile(file);
      this.lastSeen.delete(file);
    }
  }

  private async importFile(file: string): Promise<void> {
    const { ctx } = this.o;
    const summary = await importLines({ files: [file], format: this.o.format, ctx, zone: this.o.zone, cardMap: this.o.cardMap, unknownCard: this.o.unknownCard, keepRejections: 20 });
    for (const r of summary.rejected) ctx.status.rejected(r.reason, `${basename(r.file)}:${r.line} ${r.detail}`);
    const target = join(this.o.folder, 'processed', `${new Date().toISOString().replace(/[:.]/g, '-')}_${basename(file)}`);
    renameSync(file, target);
    ctx.status.seen();
    const { lines, inserted, duplicates, quarantined, rejectedCount } = summary;
    ctx.log.info({ file: basename(file), movedTo: target, lines, inserted, duplicates, quarantined, rejected: rejectedCount }, 'drop folder file imported');
  }
}
