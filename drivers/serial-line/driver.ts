// The serial-line Driver: opens one serial port, splits what arrives into lines, decodes each line
// with the configured format and emits the punch. Reopens the port with backoff when it fails to
// open or disappears (USB adapter pulled).
// Invariants:
// - A port that cannot be opened (missing at start, unplugged) is status `online:false` with
//   `lastError`, retried with backoff; it never fails the driver.
// - A line that does not decode is `ctx.status.rejected(reason, line)`: counted, logged, kept in
//   the device's recent rejects; the driver continues with the next line. Text without a delimiter
//   is held up to MAX_LINE_CHARS, then rejected as line-too-long (memory stays flat).
// - Emits are chained in arrival order; `stop()` resolves after the last one settled and the port
//   closed. A serial reader does not resend, so a punch the buffer refuses is logged with its line.
// - No `path`: an import-only device; the driver opens no port. `dropFolder` (dropFolder.ts) works
//   with or without a port.
import { StringDecoder } from 'node:string_decoder';
import { SerialPort, type SerialPortMock } from 'serialport';
import type { Driver, DriverContext } from '../../src/devices/driver.js';
import type { RawPunch } from '../../src/punch/punch.js';
import { deviceZone } from '../../src/punch/time.js';
import { backoffDelayMs } from '../../src/util/backoff.js';
import { DecodeError, codeOf, errorMessage } from '../../src/util/errors.js';
import { readCardMap } from './cardMap.js';
import { DropFolder } from './dropFolder.js';
import { compileFormat, decodeLine, formatOf, splitLines, trimControl, type LineFormat } from './codec.js';
import type { SerialLineConfig } from './config.js';

/** Longer than any punch line: a device sending this much without a delimiter is misconfigured or noise. */
export const MAX_LINE_CHARS = 4096;

export type SerialLink = SerialPort | SerialPortMock;

export interface PortOptions {
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
}

export interface SerialLineTuning {
  /** creates an unopened port; tests pass SerialPortMock (@serialport/binding-mock) */
  openPort: (options: PortOptions) => SerialLink;
  now: () => number;
}

export const DEFAULT_SERIAL_TUNING: SerialLineTuning = {
  openPort: (options) => new SerialPort({ ...options, autoOpen: false }),
  now: () => Date.now(),
};

export class SerialLineDriver implements Driver {
  private readonly format: LineFormat;
  private readonly zone: string;
  private cardMap: Map<string, string> | undefined;
  private port: SerialLink | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private pending = '';
  private lineTimer: NodeJS.Timeout | undefined;
  private linesRead = 0;
  private dropFolder: DropFolder | undefined;

  constructor(
    private readonly cfg: SerialLineConfig,
    private readonly ctx: DriverContext,
    private readonly tuning: SerialLineTuning = DEFAULT_SERIAL_TUNING,
  ) {
    this.format = formatOf(cfg);
    this.zone = deviceZone(cfg);
  }

  start(): Promise<void> {
    if (this.loop || this.ctx.signal.aborted) return Promise.resolve();
    // a broken card map is a config problem: throwing lets the supervisor report and retry it
    if (this.cfg.cardMapFile) this.cardMap = readCardMap(this.cfg.cardMapFile);
    if (this.cfg.dropFolder) this.startDropFolder(this.cfg.dropFolder);
    if (!this.cfg.path) {
      this.ctx.status.update({ online: false, lastError: null, details: { importOnly: true, format: this.format.name, dropFolder: this.cfg.dropFolder } });
      this.loop = Promise.resolve();
      return Promise.resolve();
    }
    this.ctx.signal.addEventListener('abort', () => void this.stop(), { once: true });
    this.loop = this.run(this.cfg.path);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.dropFolder?.stop();
    await this.closePort();
    await this.loop;
    this.flushPending();
    await this.chain;
  }

  /** Exports dropped into the folder are imported with this format, or zk-attlog when its lines carry no time. */
  private startDropFolder(folder: string): void {
    const format = this.format.hasTime ? this.format : compileFormat('zk-attlog');
    this.dropFolder = new DropFolder({ folder, intervalMs: this.cfg.dropInterval, format, ctx: this.ctx, zone: this.zone, cardMap: this.cardMap, unknownCard: this.cfg.unknownCard });
    this.dropFolder.start();
  }

  private async run(path: string): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      try {
        const { closed } = await this.open(path);
        attempt = 0;
        this.ctx.status.update({ online: true, lastError: null, details: this.details() });
        this.ctx.log.info({ path }, 'serial port open');
        const why = await closed;
        if (this.stopped) break;
        this.flushPending();
        this.ctx.status.update({ online: false, lastError: { code: 'GW_ERR_DEVICE_UNREACHABLE', message: `serial port closed: ${why}` } });
        this.ctx.log.warn({ code: 'GW_ERR_DEVICE_UNREACHABLE', path, why }, 'serial port lost; reopening');
      } catch (error) {
        if (this.stopped) break;
        this.ctx.status.update({ online: false, lastError: { code: 'GW_ERR_DEVICE_UNREACHABLE', message: `cannot open ${path}: ${errorMessage(error)}` } });
        this.ctx.log.warn({ code: 'GW_ERR_DEVICE_UNREACHABLE', path, err: errorMessage(error), attempt }, 'cannot open serial port');
      }
      this.port = undefined;
      await this.sleep(backoffDelayMs(attempt++, { baseMs: this.cfg.reconnectMin, maxMs: this.cfg.reconnectMax }));
    }
    this.ctx.status.update({ online: false });
  }

  /** Opens the port; resolves (once open) with a promise of why it closed (wrapped: promises flatten). */
  private open(path: string): Promise<{ closed: Promise<string> }> {
    const port = this.tuning.openPort({ path, baudRate: this.cfg.baudRate, dataBits: this.cfg.dataBits, parity: this.cfg.parity, stopBits: this.cfg.stopBits });
    const decoder = new StringDecoder(this.cfg.encoding);
    const closed = new Promise<string>((resolve) => {
      port.on('close', (err?: Error | null) => resolve(err ? errorMessage(err) : 'closed'));
      port.on('error', (err: Error) => {
        this.ctx.log.warn({ code: 'GW_ERR_DEVICE_UNREACHABLE', err: err.message }, 'serial port error');
        if (!port.isOpen) resolve(err.message);
      });
    });
    port.on('data', (chunk: Buffer) => this.onText(decoder.write(chunk)));
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (err) {
          port.removeAllListeners();
          reject(err);
          return;
        }
        this.port = port;
        if (this.stopped) void this.closePort();
        resolve({ closed });
      });
    });
  }

  private onText(text: string): void {
    this.ctx.status.seen();
    const { lines, rest } = splitLines(this.pending + text, this.cfg.delimiter);
    this.pending = rest;
    for (const line of lines) this.onLine(line);
    if (this.pending.length > MAX_LINE_CHARS) {
      // wrong baud rate or delimiter, or line noise: drop the run-on text, keep memory flat
      this.ctx.status.rejected('line-too-long', `${MAX_LINE_CHARS}+ characters without the delimiter: ${JSON.stringify(this.pending.slice(0, 80))}`);
      this.pending = '';
    }
    clearTimeout(this.lineTimer);
    if (this.format.lineTimeoutMs > 0 && this.pending !== '') this.lineTimer = setTimeout(() => this.flushPending(), this.format.lineTimeoutMs);
  }

  /** A partial line after silence (or a lost port) is taken as complete. */
  private flushPending(): void {
    clearTimeout(this.lineTimer);
    const line = trimControl(this.pending);
    this.pending = '';
    if (line !== '') this.onLine(line);
  }

  private onLine(line: string): void {
    this.linesRead += 1;
    let raw: RawPunch;
    try {
      raw = decodeLine(line, this.format, { zone: this.zone, nowMs: this.tuning.now(), cardMap: this.cardMap, unknownCard: this.cfg.unknownCard });
    } catch (error) {
      const reason = error instanceof DecodeError ? error.code : 'line-undecodable';
      this.ctx.status.rejected(reason, `${errorMessage(error)}: ${JSON.stringify(line.slice(0, 120))}`);
      return;
    }
    this.chain = this.chain
      .then(() => this.ctx.emit(raw))
      .catch((error: unknown) => this.ctx.log.error({ code: codeOf(error, 'GW_ERR_BUFFER_UNAVAILABLE'), err: errorMessage(error), line }, 'serial punch not committed; the reader will not resend it'));
  }

  private closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }

  private details(): Record<string, unknown> {
    return { path: this.cfg.path, baudRate: this.cfg.baudRate, format: this.format.name, linesRead: this.linesRead };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      if (this.stopped) done();
    });
  }
}
