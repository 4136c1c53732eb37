// Simulator + driver on a FakeContext (the in-memory context of the zk-tcp tests).
import { hikvisionConfigSchema, HikvisionDriver } from '../../../drivers/hikvision-isapi/index.js';
import { HikvisionSimulator, type HikSimOptions } from '../../../src/sim/hikvision/index.js';
import { FakeContext, type SharedStore } from '../zk-tcp/fakeContext.js';

export const PASSWORD = 'Admin12345';

export async function startSim(options: HikSimOptions = {}): Promise<HikvisionSimulator> {
  const sim = new HikvisionSimulator({ password: PASSWORD, ...options });
  await sim.start();
  return sim;
}

/** A driver for the simulator with pull only and a long poll interval: tests call syncOnce. */
export function driverFor(sim: HikvisionSimulator, extra: Record<string, unknown> = {}, store?: SharedStore) {
  const ctx = new FakeContext(store);
  const cfg = hikvisionConfigSchema.parse({ id: 'lobby-1', driver: 'hikvision-isapi', host: '127.0.0.1', port: sim.address.port, password: PASSWORD, pollInterval: '1h', timezone: 'Asia/Jakarta', ...extra });
  return { ctx, driver: new HikvisionDriver(cfg, ctx) };
}
