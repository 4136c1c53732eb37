// What an IT technician greps the journal for (README "Read logs", #19): each zk-tcp failure is
// logged with the catalogue's code for it, on the real context's log lines.
import { afterEach, describe, expect, it } from 'vitest';
import { ZkTcpDriver } from '../../../drivers/zk-tcp/driver.js';
import type { ZkSimulatorOptions, ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { captureLog, type CapturedLog } from '../../helpers/logLines.js';
import { MemoryContext } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { driverConfig, FAST, startSim } from './harness.js';

let sim: ZkTcpSimulator | undefined;
let driver: ZkTcpDriver | undefined;

afterEach(async () => {
  await driver?.stop();
  await sim?.stop();
  driver = undefined;
  sim = undefined;
});

async function run(simOptions: ZkSimulatorOptions, driverOptions: Record<string, unknown> = {}): Promise<{ captured: CapturedLog; ctx: MemoryContext }> {
  sim = await startSim(simOptions);
  const cfg = driverConfig(sim, driverOptions);
  const captured = captureLog('warn');
  const ctx = new MemoryContext({ device: cfg, log: captured.log });
  driver = new ZkTcpDriver(cfg, ctx, FAST);
  await driver.start();
  return { captured, ctx };
}

describe('zk-tcp log codes', () => {
  it('a wrong comm key: the rejection and the session end carry GW_ERR_DEVICE_AUTH', async () => {
    const { captured } = await run({ records: 10, commKey: 1234 }, { commKey: 4321 });
    await until(() => captured.withCode('GW_ERR_DEVICE_AUTH').length >= 2, 'GW_ERR_DEVICE_AUTH lines');
    expect(captured.withCode('GW_ERR_DEVICE_AUTH').map((l) => l.msg)).toEqual(expect.arrayContaining(['input rejected', 'zk session ended; reconnecting']));
    expect(captured.withCode('GW_ERR_DEVICE_AUTH').find((l) => l.msg === 'input rejected')).toMatchObject({ reason: 'comm-key' });
    expect(captured.withCode('GW_ERR_DECODE')).toEqual([]);
  });

  it('a hung terminal (no reply within the timeout): the session end carries GW_ERR_DEVICE_TIMEOUT', async () => {
    const { captured } = await run({ records: 10, faults: { slowReplyMs: 1500 } }, { timeout: '300ms' });
    await until(() => captured.withCode('GW_ERR_DEVICE_TIMEOUT').length >= 1, 'GW_ERR_DEVICE_TIMEOUT line');
    expect(captured.withCode('GW_ERR_DEVICE_TIMEOUT')[0]).toMatchObject({ msg: 'zk session ended; reconnecting', err: expect.stringMatching(/no reply within 300 ms/) });
  });

  it('a model this build has no row for: one GW_ERR_DEVICE_PROTOCOL line per device, not one per connect, naming no source file', async () => {
    const { captured, ctx } = await run({ records: 2, platform: 'ZZZ_NOT_A_PLATFORM' }, { realtime: false });
    await until(() => ctx.emitted.length === 2, 'the log committed');
    await sim!.restart(); // the terminal reboots: the driver connects again
    await until(() => captured.withCode('GW_ERR_DEVICE_UNREACHABLE').length >= 1 && ctx.snapshot.online, 'reconnected');
    const lines = captured.withCode('GW_ERR_DEVICE_PROTOCOL');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ platform: 'ZZZ_NOT_A_PLATFORM', msg: expect.stringMatching(/unknown to this build; running with default quirks/) });
    expect(String(lines[0]!.msg)).not.toMatch(/\.ts\b/);
  });

  it('a packet failing its checksum is logged with GW_ERR_CHECKSUM and kept', async () => {
    const { captured, ctx } = await run({ records: 10, faults: { badChecksumEvery: 3 } }, { realtime: false });
    await until(() => ctx.emitted.length === 10, 'the log committed');
    expect(captured.withCode('GW_ERR_CHECKSUM').length).toBeGreaterThan(0);
    expect(captured.withCode('GW_ERR_CHECKSUM')[0]).toMatchObject({ msg: 'zk checksum mismatch; packet kept' });
  });
});
