// Simulator → driver over real TCP and UDP sockets: every punch once, with the right fields,
// for large logs, with a comm key, and under each fault mode of the simulator.
import { afterEach, describe, expect, it } from 'vitest';
import type { ZkTcpSimulator, ZkSimulatorOptions } from '../../../src/sim/zkTcp/index.js';
import { committedKeys } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { checkpointOf, startDriver, startSim, synced, type Running } from './harness.js';
import { expectedKeys } from './keys.js';

let sim: ZkTcpSimulator | undefined;
let running: Running | undefined;

afterEach(async () => {
  await running?.driver.stop();
  await sim?.stop();
  running = undefined;
  sim = undefined;
});

async function downloadAll(simOptions: ZkSimulatorOptions, driverOptions: Record<string, unknown> = {}): Promise<Running> {
  sim = await startSim(simOptions);
  running = await startDriver(sim, { realtime: false, ...driverOptions });
  await synced(running.ctx, sim);
  return running;
}

function expectEveryPunchOnce(r: Running, s: ZkTcpSimulator): void {
  expect(committedKeys(r.ctx)).toEqual(expectedKeys(s.log));
  expect(r.ctx.emitted).toHaveLength(s.log.count);
  expect(r.ctx.duplicates).toBe(0);
  expect(r.ctx.emitsBeforeSerial).toBe(0);
}

describe.each(['tcp', 'udp'] as const)('zk-tcp driver over %s', (transport) => {
  it('downloads 10,000 records with a comm key, reporting the identity first', async () => {
    const r = await downloadAll({ records: 10_000, commKey: 135_790, serial: 'BRC7204500123' }, { transport, commKey: 135_790 });
    expectEveryPunchOnce(r, sim!);
    expect(r.ctx.snapshot).toMatchObject({ serial: 'BRC7204500123', model: 'SIM-F22', platform: 'ZMM220_TFT', firmware: 'Ver 6.60 Apr 28 2020', online: true });
    expect(r.ctx.updates.findIndex((u) => u.serial)).toBe(0);
    const first = r.ctx.committed()[0]!;
    expect(first).toMatchObject({ pin: '1001', localTime: '2026-01-05T07:00:00', state: 'check-in', verify: 'fingerprint', workCode: null });
    expect(first.raw).toMatchObject({ source: 'attlog', index: 0, recordSize: 40, uid: 1, pin: '1001' });
  });

  it('downloads 100,000 records', async () => {
    const r = await downloadAll({ records: 100_000 }, { transport });
    expectEveryPunchOnce(r, sim!);
    expect(checkpointOf(r.ctx)).toMatchObject({ count: 100_000, recordSize: 40, serial: 'SIM0000000001' });
  });

  it('emits only new records after the first sync', async () => {
    const r = await downloadAll({ records: 3000 }, { transport });
    await r.driver.stop();
    sim!.addPunch({ pin: '1002', localTime: '2026-03-02T07:55:00' });
    sim!.addPunch({ pin: '1003', localTime: '2026-03-02T07:56:00', state: 1, verify: 15 });
    running = await startDriver(sim!, { transport, realtime: false }, r.ctx.store);
    await synced(running.ctx, sim!);
    expect(running.ctx.emitted.map((p) => `${p.pin} ${p.localTime} ${p.state} ${p.verify}`)).toEqual([
      '1002 2026-03-02T07:55:00 check-in fingerprint',
      '1003 2026-03-02T07:56:00 check-out face',
    ]);
    expect(committedKeys(running.ctx)).toEqual(expectedKeys(sim!.log));
  });

  it('sends CMD_EXIT on stop', async () => {
    const r = await downloadAll({ records: 10 }, { transport });
    await r.driver.stop();
    expect(sim!.stats.commands.EXIT).toBe(1);
    expect(r.ctx.snapshot.online).toBe(false);
  });
});

describe.each([8, 16, 49] as const)('record size %i', (recordSize) => {
  it('decodes every record of the layout', async () => {
    const r = await downloadAll({ records: 2500, recordSize, userSize: recordSize === 16 ? 28 : 72 });
    expectEveryPunchOnce(r, sim!);
    expect(checkpointOf(r.ctx)?.recordSize).toBe(recordSize);
  });
});

const FAULTS: [string, ZkSimulatorOptions['faults'], 'tcp' | 'udp'][] = [
  ['replies split at random byte boundaries', { splitReplies: true }, 'tcp'],
  ['merged packets', { mergePackets: true }, 'tcp'],
  ['connection drop mid-chunk', { dropMidChunk: 2 }, 'tcp'],
  ['datagrams lost mid-chunk', { dropMidChunk: 2 }, 'udp'],
  ['slow replies', { slowReplyMs: 15 }, 'tcp'],
  ['slow replies', { slowReplyMs: 15 }, 'udp'],
  ['bad checksums', { badChecksumEvery: 7 }, 'tcp'],
  ['bad checksums', { badChecksumEvery: 7 }, 'udp'],
];

describe.each(FAULTS)('fault: %s (%s)', (_name, faults, transport) => {
  it('still gets every punch exactly once', async () => {
    const r = await downloadAll({ records: 10_000, faults, seed: 42 }, { transport });
    expectEveryPunchOnce(r, sim!);
    if (faults?.badChecksumEvery) {
      expect(sim!.stats.badChecksums).toBeGreaterThan(0);
      expect(r.ctx.snapshot.details?.checksumMismatches).toBeGreaterThan(0);
    }
    if (faults?.dropMidChunk) {
      expect(sim!.stats.drops).toBe(2);
      // chunk retries are reported with the sync's result, once its last request (FREE_DATA) is answered
      if (transport === 'udp') await until(() => Number(r.ctx.snapshot.details?.chunkRetries) > 0, 'chunk retries reported');
      else expect(sim!.stats.connections).toBeGreaterThan(1);
    }
  });
});
