// Bridge simulator + driver on the memory context (test/helpers/memoryContext.ts: the real normalize
// and quarantine on an in-memory buffer), over real loopback HTTP. Two drivers sharing one store
// play a gateway restart.
import { fingerspotConfigSchema, type FingerspotConfig } from '../../../drivers/fingerspot-easylink/config.js';
import { FingerspotEasyLinkDriver } from '../../../drivers/fingerspot-easylink/driver.js';
import { CHECKPOINT_KEY, type EasyLinkCheckpoint } from '../../../drivers/fingerspot-easylink/reads.js';
import { FingerspotSimulator, type FingerspotSimOptions } from '../../../src/sim/fingerspot/index.js';
import { MemoryContext, MemoryStore } from '../../helpers/memoryContext.js';

export { committedPins } from '../../helpers/memoryContext.js';

export const SERIAL = 'FIO66208021230737';
/** the device id of every entry here: checkpoints are kept per device id */
export const DEVICE_ID = 'revo-1';

export interface Running {
  driver: FingerspotEasyLinkDriver;
  ctx: MemoryContext;
}

export async function startSim(o: FingerspotSimOptions = {}): Promise<FingerspotSimulator> {
  const sim = new FingerspotSimulator({ serials: [SERIAL], ...o });
  await sim.start();
  return sim;
}

export function contextFor(cfg: FingerspotConfig, store?: MemoryStore): MemoryContext {
  return new MemoryContext({ device: cfg, ...(store ? { store } : {}) });
}

export function startDriver(sim: FingerspotSimulator, extra: Record<string, unknown> = {}, store: MemoryStore = new MemoryStore()): Running {
  const cfg = fingerspotConfigSchema.parse({
    id: DEVICE_ID, driver: 'fingerspot-easylink', host: '127.0.0.1', port: sim.address.port, serial: SERIAL,
    pollInterval: '20ms', timeout: '2s', timezone: 'Asia/Jakarta', ...extra,
  });
  const ctx = contextFor(cfg, store);
  const driver = new FingerspotEasyLinkDriver(cfg, ctx, { backoffMinMs: 10, backoffMaxMs: 40 });
  void driver.start();
  return { driver, ctx };
}

export function checkpointOf(ctx: MemoryContext): EasyLinkCheckpoint | undefined {
  return ctx.checkpoint.get<EasyLinkCheckpoint>(CHECKPOINT_KEY);
}

/** `pin|localTime` of every scan in the simulated terminal's log, sorted. */
export function loggedPins(sim: FingerspotSimulator): string[] {
  return sim.terminal().log.map((s) => `${s.pin}|${s.scanDate.replace(' ', 'T')}`).sort();
}

/** A store whose checkpoint says the first-start backfill is done and nothing is in flight. */
export function backfilledStore(checkpoint: Partial<EasyLinkCheckpoint> = {}): MemoryStore {
  const store = new MemoryStore();
  store.setCheckpoint(DEVICE_ID, CHECKPOINT_KEY, { serial: SERIAL, backfilled: true, lastReconcileAtMs: Date.now(), ...checkpoint } satisfies EasyLinkCheckpoint);
  return store;
}
