// Issue 15 finding 5: a terminal that lies about sizes must not make the gateway reserve memory.
// The simulator (127.0.0.1, real TCP and UDP sockets) plays a hostile terminal through its `lies`
// (synthetic: no captured terminal sends these). What is asserted is deterministic: the error and
// its counted reason, which requests reached the terminal, and the largest buffer the process asked
// Buffer for while the client read — never a time or an RSS figure.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ZkClient } from '../../../drivers/zk-tcp/client.js';
import { MAX_DATASET_BYTES } from '../../../drivers/zk-tcp/limits.js';
import { CMD } from '../../../drivers/zk-tcp/tables.js';
import type { ZkSimulatorOptions, ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { until } from '../../helpers/until.js';
import { startDriver, startSim } from '../../drivers/zk-tcp/harness.js';

const ATTLOG_CEILING = MAX_DATASET_BYTES.get(CMD.ATTLOG_RRQ) as number;
const sims: ZkTcpSimulator[] = [];
const clients: ZkClient[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const client of clients.splice(0)) await client.close();
  for (const sim of sims.splice(0)) await sim.stop();
});

async function hostileSim(options: ZkSimulatorOptions): Promise<ZkTcpSimulator> {
  const sim = await startSim(options);
  sims.push(sim);
  sim.log.attendanceDataset(); // the terminal already holds its log: its buffer is not the client's
  return sim;
}

async function connectedClient(sim: ZkTcpSimulator, transport: 'tcp' | 'udp'): Promise<ZkClient> {
  const client = new ZkClient({ host: '127.0.0.1', port: sim.address.port, transport, commKey: 0, timeoutMs: 2000, log: silentLogger() });
  clients.push(client);
  await client.connect();
  return client;
}

/**
 * Records the largest size asked of Buffer.alloc/allocUnsafe/allocUnsafeSlow; an ask over the
 * ceiling throws instead of allocating, so a client that trusts the announcement fails here
 * without taking gigabytes from the machine.
 */
function watchAllocations(): { largest: number } {
  const seen = { largest: 0 };
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
    const original = Buffer[name].bind(Buffer) as (size: number, ...rest: unknown[]) => Buffer;
    vi.spyOn(Buffer, name).mockImplementation(((size: number, ...rest: unknown[]) => {
      seen.largest = Math.max(seen.largest, size);
      if (size > ATTLOG_CEILING) throw new RangeError(`allocation of ${size} bytes, over the ${ATTLOG_CEILING}-byte ceiling`);
      return original(size, ...rest);
    }) as never);
  }
  return seen;
}

const DATA_RDY = 'DATA_RDY';

describe('a terminal announcing a 0xFFFFFFF0-byte dataset', () => {
  it.each(['tcp', 'udp'] as const)('is refused over %s before any chunk is asked for, and the session stays usable', async (transport) => {
    const sim = await hostileSim({ records: 50, lies: { datasetBytes: 0xfffffff0 } });
    const client = await connectedClient(sim, transport);
    const allocations = watchAllocations();
    await expect(client.readDataset(CMD.ATTLOG_RRQ)).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_PROTOCOL', rejection: 'zk-dataset-too-large' });
    expect(sim.stats.commands[DATA_RDY] ?? 0).toBe(0);
    expect(allocations.largest).toBeLessThan(64 * 1024);
    expect(client.connected).toBe(true);
  });

  it('is counted by the driver (zk-dataset-too-large) and commits nothing', async () => {
    const sim = await hostileSim({ records: 50, lies: { datasetBytes: 0xfffffff0 } });
    const allocations = watchAllocations();
    const { driver, ctx } = await startDriver(sim);
    try {
      await until(() => ctx.rejections.some((r) => r.reason === 'zk-dataset-too-large'), 'refusal counted');
      await until(() => String(ctx.snapshot.lastError ?? '').includes('4294967280-byte dataset'), 'refusal shown as lastError');
      expect(ctx.emitted).toEqual([]);
      expect(sim.stats.commands[DATA_RDY] ?? 0).toBe(0);
      expect(allocations.largest).toBeLessThan(64 * 1024);
    } finally {
      await driver.stop();
    }
  });
});

describe('sizes under the ceiling are still never reserved ahead of the bytes', () => {
  it.each(['tcp', 'udp'] as const)('a 50 MB announcement over %s that delivers 80 KB costs at most twice what arrived', async (transport) => {
    const sim = await hostileSim({ records: 2000, lies: { datasetBytes: 50_000_000 } });
    const sent = sim.log.attendanceDataset().length; // 4 + 2000 × 40 bytes: all the terminal really has
    const client = await connectedClient(sim, transport);
    const allocations = watchAllocations();
    await expect(client.readDataset(CMD.ATTLOG_RRQ)).rejects.toMatchObject({ code: 'GW_ERR_DOWNLOAD_INCOMPLETE' });
    expect(allocations.largest).toBeLessThanOrEqual(2 * sent);
  });
});

describe('a chunk burst carrying more bytes than asked', () => {
  it.each(['tcp', 'udp'] as const)('is refused over %s at the first byte too many, without retrying', async (transport) => {
    const sim = await hostileSim({ records: 2000, lies: { chunkRepeats: 3 } });
    const client = await connectedClient(sim, transport);
    await expect(client.readDataset(CMD.ATTLOG_RRQ)).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_PROTOCOL', rejection: 'zk-chunk-overrun' });
    expect(sim.stats.commands[DATA_RDY]).toBe(1);
  });
});
