// Fills a buffer the way terminals would during an outage: every device hands over bursts at
// the same time through a real driver context (normalize → commit). Used by the backlog drain
// test and the scale benchmark.
import type { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { DeviceStates } from '../../src/devices/deviceState.js';
import { bufferContext } from './bufferContext.js';
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
  const contexts = o.devices.map((id) => bufferContext(buffer, { device: { id, driver, serial: `SN-${id}` }, gateway: o.gateway, states }).ctx);
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
