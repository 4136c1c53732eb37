// Fills a buffer the way terminals would during an outage: every device hands over bursts at
// the same time through a real driver context (normalize → commit). Used by the backlog drain
// test and the scale benchmark.
import type { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { createDriverContext } from '../../src/devices/context.js';
import { DeviceStates } from '../../src/devices/deviceState.js';
import { silentLogger } from '../../src/util/logger.js';
import { createMetrics } from '../../src/util/metrics.js';
import { rawPunch } from './punches.js';

export interface FillOptions {
  devices: string[];
  /** punches in all, numbered 0..rows-1 (rawPunch(i)) */
  rows: number;
  burst: number;
  gateway: { id: string; site: string };
  /** the driver name the punches carry as device.protocol */
  driver?: string;
}

export async function fillBuffer(buffer: SqlitePunchBuffer, o: FillOptions): Promise<void> {
  const driver = o.driver ?? 'test-feed';
  const states = new DeviceStates();
  const contexts = o.devices.map((id) => {
    states.register(id, driver, true, `SN-${id}`);
    return createDriverContext({
      device: { id, driver, enabled: true },
      gateway: { ...o.gateway, timezone: 'Asia/Jakarta' },
      punches: { minYear: 2000, maxFuture: 86_400_000 * 3650 },
      buffer,
      states,
      log: silentLogger(),
      metrics: createMetrics(),
      signal: new AbortController().signal,
      onFail: () => undefined,
    });
  });
  for (let first = 0; first < o.rows; first += o.burst * o.devices.length) {
    await Promise.all(
      contexts.map((ctx, d) => {
        const raws = [];
        for (let i = first + d * o.burst; i < Math.min(first + (d + 1) * o.burst, o.rows); i += 1) raws.push(rawPunch(i));
        return raws.length > 0 ? ctx.emitMany(raws) : undefined;
      }),
    );
  }
}
