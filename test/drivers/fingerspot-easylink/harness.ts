// Bridge simulator + driver on an in-memory context (test/drivers/zk-tcp/fakeContext.ts), over real
// loopback HTTP. Two drivers sharing one store play a gateway restart.
import { fingerspotConfigSchema } from '../../../drivers/fingerspot-easylink/config.js';
import { FingerspotEasyLinkDriver } from '../../../drivers/fingerspot-easylink/driver.js';
import { CHECKPOINT_KEY, type EasyLinkCheckpoint } from '../../../drivers/fingerspot-easylink/reads.js';
import { FingerspotSimulator, type FingerspotSimOptions } from '../../../src/sim/fingerspot/index.js';
import { FakeContext, newStore, type SharedStore } from '../zk-tcp/fakeContext.js';

export const SERIAL = 'FIO66208021230737';

export interface Running {
  driver: FingerspotEasyLinkDriver;
  ctx: FakeContext;
}

export async function startSim(o: FingerspotSimOptions = {}): Promise<FingerspotSimulator> {
  const sim = new FingerspotSimulator({ serials: [SERIAL], ...o });
  await sim.start();
  return sim;
}

export function startDriver(sim: FingerspotSimulator, extra: Record<string, unknown> = {}, store: SharedStore = newStore()): Running {
  const cfg = fingerspotConfigSchema.parse({
    id: 'revo-1', driver: 'fingerspot-easylink', host: '127.0.0.1', port: sim.address.port, serial: SERIAL,
    pollInterval: '20ms', timeout: '2s', timezone: 'Asia/Jakarta', ...extra,
  });
  const ctx = new FakeContext(store);
  const driver = new FingerspotEasyLinkDriver(cfg, ctx, { backoffMinMs: 10, backoffMaxMs: 40 });
  void driver.start();
  return { driver, ctx };
}

export function checkpointOf(ctx: FakeContext): EasyLinkCheckpoint | undefined {
  return ctx.checkpoint.get<EasyLinkCheckpoint>(CHECKPOINT_KEY);
}

/** `pin|localTime` of every committed punch, sorted. */
export function committedPins(store: SharedStore): string[] {
  return [...store.punches.values()].map((p) => `${p.pin}|${p.localTime}`).sort();
}

/** `pin|localTime` of every scan in the simulated terminal's log, sorted. */
export function loggedPins(sim: FingerspotSimulator): string[] {
  return sim.terminal().log.map((s) => `${s.pin}|${s.scanDate.replace(' ', 'T')}`).sort();
}

/** A store whose checkpoint says the first-start backfill is done and nothing is in flight. */
export function backfilledStore(): SharedStore {
  const store = newStore();
  store.checkpoints.set(CHECKPOINT_KEY, { serial: SERIAL, backfilled: true, lastReconcileAtMs: Date.now() } satisfies EasyLinkCheckpoint);
  return store;
}
