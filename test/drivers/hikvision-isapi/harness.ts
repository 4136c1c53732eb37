// Simulator + driver on the memory context (test/helpers/memoryContext.ts: the real normalize and
// quarantine on an in-memory buffer).
import { hikvisionConfigSchema, HikvisionDriver, type HikvisionConfig } from '../../../drivers/hikvision-isapi/index.js';
import { HikvisionSimulator, type HikSimOptions } from '../../../src/sim/hikvision/index.js';
import { MemoryContext, type MemoryStore } from '../../helpers/memoryContext.js';

export const PASSWORD = 'Admin12345';

export async function startSim(options: HikSimOptions = {}): Promise<HikvisionSimulator> {
  const sim = new HikvisionSimulator({ password: PASSWORD, ...options });
  await sim.start();
  return sim;
}

/** A memory context for a hikvision-isapi entry (on `store`, to share a buffer with another context). */
export function contextFor(cfg: HikvisionConfig, store?: MemoryStore): MemoryContext {
  return new MemoryContext({ device: cfg, ...(store ? { store } : {}) });
}

/** A driver for the simulator with pull only and a long poll interval: tests call syncOnce. */
export function driverFor(sim: HikvisionSimulator, extra: Record<string, unknown> = {}, store?: MemoryStore) {
  const cfg = hikvisionConfigSchema.parse({ id: 'lobby-1', driver: 'hikvision-isapi', host: '127.0.0.1', port: sim.address.port, password: PASSWORD, pollInterval: '1h', timezone: 'Asia/Jakarta', ...extra });
  const ctx = contextFor(cfg, store);
  return { ctx, driver: new HikvisionDriver(cfg, ctx) };
}
