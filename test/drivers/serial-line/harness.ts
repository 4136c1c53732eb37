// A serial-line driver on the memory context (test/helpers/memoryContext.ts: the real DriverContext
// on an in-memory SQLite buffer), with the port created by a test-chosen opener (SerialPortMock, or
// the real binding for the pty test).
import type { DeviceSnapshot } from '../../../src/devices/deviceState.js';
import type { Punch } from '../../../src/punch/punch.js';
import { serialLineConfigSchema, type SerialLineConfig } from '../../../drivers/serial-line/config.js';
import { SerialLineDriver, type SerialLineTuning } from '../../../drivers/serial-line/driver.js';
import { MemoryContext } from '../../helpers/memoryContext.js';

export { until } from '../../helpers/until.js';

export interface Harness {
  driver: SerialLineDriver;
  ctx: MemoryContext;
  snapshot(): DeviceSnapshot;
  punches(): Punch[];
  close(): Promise<void>;
}

export function startHarness(entry: Record<string, unknown>, tuning: SerialLineTuning): Harness {
  const cfg: SerialLineConfig = serialLineConfigSchema.parse({ id: 'kiosk-3', driver: 'serial-line', timezone: 'Asia/Jakarta', ...entry });
  const ctx: MemoryContext = new MemoryContext({ device: cfg, onFail: (error) => ctx.abort.abort(error) });
  const driver = new SerialLineDriver(cfg, ctx, tuning);
  return {
    driver,
    ctx,
    snapshot: () => ctx.snapshot,
    punches: () => ctx.punches(),
    close: async () => {
      await driver.stop();
      ctx.store.close();
    },
  };
}
