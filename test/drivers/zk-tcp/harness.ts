// Runs the zk-tcp driver against the simulator over real sockets on 127.0.0.1, port 0, on the
// memory context (test/helpers/memoryContext.ts: the real normalize and quarantine).
import { zkTcpConfigSchema, type ZkTcpConfig } from '../../../drivers/zk-tcp/config.js';
import { ZkTcpDriver, type ZkDriverTuning } from '../../../drivers/zk-tcp/driver.js';
import { CHECKPOINT_KEY, type AttlogCheckpoint } from '../../../drivers/zk-tcp/sync.js';
import { ZkTcpSimulator, type ZkSimulatorOptions } from '../../../src/sim/zkTcp/index.js';
import { MemoryContext, type MemoryStore } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';

export const FAST: ZkDriverTuning = { backoffMinMs: 10, backoffMaxMs: 100 };

export async function startSim(options: ZkSimulatorOptions): Promise<ZkTcpSimulator> {
  const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, ...options });
  await sim.start();
  return sim;
}

export function driverConfig(sim: ZkTcpSimulator, overrides: Record<string, unknown> = {}): ZkTcpConfig {
  return zkTcpConfigSchema.parse({
    id: 'lobby-1',
    driver: 'zk-tcp',
    host: '127.0.0.1',
    port: sim.address.port,
    timeout: '1s',
    timezone: sim.options.timeZone,
    ...overrides,
  });
}

/** A memory context for a zk-tcp device entry (on `store`, to play a gateway restart). */
export function contextFor(cfg: ZkTcpConfig, store?: MemoryStore): MemoryContext {
  return new MemoryContext({ device: cfg, ...(store ? { store } : {}) });
}

export interface Running {
  driver: ZkTcpDriver;
  ctx: MemoryContext;
}

export async function startDriver(sim: ZkTcpSimulator, overrides: Record<string, unknown> = {}, store?: MemoryStore): Promise<Running> {
  const cfg = driverConfig(sim, overrides);
  const ctx = contextFor(cfg, store);
  const driver = new ZkTcpDriver(cfg, ctx, FAST);
  await driver.start();
  return { driver, ctx };
}

export function checkpointOf(ctx: MemoryContext): AttlogCheckpoint | undefined {
  return ctx.checkpoint.get<AttlogCheckpoint>(CHECKPOINT_KEY);
}

/** Resolves when the driver has committed the whole current log of the simulator. */
export async function synced(ctx: MemoryContext, sim: ZkTcpSimulator): Promise<void> {
  await until(() => checkpointOf(ctx)?.count === sim.log.count && ctx.snapshot.online, `checkpoint ${sim.log.count}`);
}
