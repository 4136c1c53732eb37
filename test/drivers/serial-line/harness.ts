// A serial-line driver on the real DriverContext and a real SQLite buffer in a temp dir, with the
// port created by a test-chosen opener (SerialPortMock, or the real binding for the pty test).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqlitePunchBuffer } from '../../../src/buffer/sqlitePunchBuffer.js';
import type { DeviceSnapshot, DeviceStates } from '../../../src/devices/deviceState.js';
import type { Punch } from '../../../src/punch/punch.js';
import { serialLineConfigSchema, type SerialLineConfig } from '../../../drivers/serial-line/config.js';
import { SerialLineDriver, type SerialLineTuning } from '../../../drivers/serial-line/driver.js';
import { bufferContext } from '../../helpers/bufferContext.js';
import { tempDir } from '../../helpers/tmp.js';

export interface Harness {
  driver: SerialLineDriver;
  states: DeviceStates;
  buffer: SqlitePunchBuffer;
  snapshot(): DeviceSnapshot;
  punches(): Punch[];
  close(): Promise<void>;
}

export function startHarness(entry: Record<string, unknown>, tuning: SerialLineTuning): Harness {
  const tmp = tempDir('serial-line-');
  const cfg: SerialLineConfig = serialLineConfigSchema.parse({ id: 'kiosk-3', driver: 'serial-line', timezone: 'Asia/Jakarta', ...entry });
  const buffer = new SqlitePunchBuffer({ file: join(tmp.dir, 'buffer.db'), sinks: ['mqtt'], writer: 'inline' });
  const abort = new AbortController();
  const { ctx, states } = bufferContext(buffer, { device: cfg, gateway: { id: 'gw-test', site: 'TEST' }, signal: abort.signal, onFail: (error) => abort.abort(error) });
  const driver = new SerialLineDriver(cfg, ctx, tuning);
  return {
    driver,
    states,
    buffer,
    snapshot: () => states.get(cfg.id) as DeviceSnapshot,
    punches: () => {
      // read the committed rows directly: pending() moves the sink's in-flight cursor
      const db = new Database(buffer.file, { readonly: true });
      const rows = db.prepare('SELECT body FROM punches ORDER BY seq').all() as { body: string }[];
      db.close();
      return rows.map((r) => JSON.parse(r.body) as Punch);
    },
    close: async () => {
      await driver.stop();
      buffer.close();
      tmp.cleanup();
    },
  };
}

/** Polls `check` on every turn of the event loop until it holds (the test timeout bounds it). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}
