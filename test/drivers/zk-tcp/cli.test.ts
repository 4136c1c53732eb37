// probe, simulate and pull (the zk-tcp CLI pieces) against the simulator on 127.0.0.1.
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatZkTcpProbe as formatProbe, probeZkTcp as probeTerminal } from '../../../drivers/zk-tcp/probe.js';
import { registerProbeCommand } from '../../../src/cli/probe.js';
import { pullDevice, registerPullCommand, type PullProgress } from '../../../src/cli/pull.js';
import { runSimulator, simulatorOptionsFrom } from '../../../src/sim/zkTcp/cli.js';
import type { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { committedKeys } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { contextFor, driverConfig, startSim } from './harness.js';
import { expectedKeys } from './keys.js';

let sim: ZkTcpSimulator | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await sim?.stop();
  sim = undefined;
});

async function runCli(register: (p: Command) => void, args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const program = new Command().exitOverride();
  register(program);
  await program.parseAsync(['node', 'absensi-gateway', ...args]);
  return out;
}

describe('probe', () => {
  it('prints identity, counts, skew and variant as JSON, over UDP with a comm key', async () => {
    sim = await startSim({ records: 1234, users: 9, commKey: 4242, serial: 'AEYU201160012', clockOffsetSec: -30, recordSize: 16, userSize: 28 });
    const out = await runCli(registerProbeCommand, ['probe', '127.0.0.1', '--port', String(sim.address.port), '--udp', '--comm-key', '4242', '--json']);
    const result = JSON.parse(out);
    expect(result).toMatchObject({
      serial: 'AEYU201160012', model: 'SIM-F22', platform: 'ZMM220_TFT', firmware: 'Ver 6.60 Apr 28 2020',
      counts: { users: 9, records: 1234, recordCapacity: 1_000_000 },
      variant: { transport: 'udp', commKey: true, recordSize: 16, userSize: 28 },
    });
    expect(Math.abs(result.clockSkewSec + 30)).toBeLessThanOrEqual(2);
    expect(process.exitCode).toBeUndefined();
  });

  it('says clearly when the comm key is wrong', async () => {
    sim = await startSim({ commKey: 4242 });
    const out = await runCli(registerProbeCommand, ['probe', '127.0.0.1', '--port', String(sim.address.port), '--comm-key', '1']);
    expect(out).toMatch(/GW_ERR_DEVICE_AUTH: the terminal refused the comm key/);
    expect(process.exitCode).toBe(1);
  });

  it('formats a readable summary with the user table', async () => {
    sim = await startSim({ records: 5, users: 3 });
    const text = formatProbe(await probeTerminal({ host: '127.0.0.1', port: sim.address.port, transport: 'tcp', commKey: 0, timeoutMs: 2000, timeZone: 'Asia/Jakarta', users: true }));
    expect(text).toMatch(/serial {5}SIM0000000001/);
    expect(text).toMatch(/records {4}5 \/ 1000000 {3}\(40-byte records\)/);
    expect(text).toMatch(/user 1001 {7}Pegawai 1/);
  });
});

describe('simulate zk', () => {
  it('maps options and rejects unknown layouts or faults', () => {
    const base = {
      host: '127.0.0.1', port: '0', records: '10', users: '5', recordSize: '49', userSize: '72', realtimeSize: '37', commKey: '0',
      clockOffset: '0', serial: 'S', model: 'M', platform: 'P', timezone: 'Asia/Makassar', transport: 'both' as const, fault: ['split', 'slow'],
    };
    expect(simulatorOptionsFrom(base)).toMatchObject({ recordSize: 49, realtimeSize: 37, faults: { splitReplies: true, slowReplyMs: 200 }, tcp: true, udp: true });
    expect(() => simulatorOptionsFrom({ ...base, recordSize: '41' })).toThrow(/--record-size/);
    expect(() => simulatorOptionsFrom({ ...base, fault: ['boom'] })).toThrow(/--fault/);
    expect(simulatorOptionsFrom({ ...base, fingers: '1-2', fingerVersion: '9' })).toMatchObject({ fingersPerUser: [1, 2], fingerVersion: '9' });
    expect(simulatorOptionsFrom({ ...base, fingers: '2' })).toMatchObject({ fingersPerUser: [2, 2] });
    expect(() => simulatorOptionsFrom({ ...base, fingers: '2-1' })).toThrow(/--fingers/);
  });

  it('runs a terminal whose users punch on their own', async () => {
    const lines: string[] = [];
    const running = await runSimulator({ host: '127.0.0.1', port: 0, records: 0 }, 5, (line) => lines.push(line));
    await until(() => running.sim.log.count >= 3, 'three punches');
    await running.stop();
    expect(lines[0]).toMatch(/^punch pin=\d+ time=\d{4}-\d{2}-\d{2}T/);
  });
});

describe('pull', () => {
  it('backfills everything since a date, with progress, leaving the checkpoint alone', async () => {
    sim = await startSim({ records: 7000 });
    const ctx = contextFor(driverConfig(sim));
    const progress: PullProgress[] = [];
    const r = await pullDevice({ deviceConfig: driverConfig(sim), ctx, since: '2026-01-06', onProgress: (p) => progress.push(p) });
    const want = expectedKeys(sim.log).filter((k) => k.split('|')[1]! >= '2026-01-06');
    expect(committedKeys(ctx)).toEqual(want);
    expect(r).toMatchObject({ serial: 'SIM0000000001', records: 7000, inserted: want.length, skipped: 7000 - want.length, cleared: false });
    expect(ctx.checkpoints()).toEqual({});
    expect(progress.at(-1)).toMatchObject({ phase: 'commit', done: 7000, total: 7000 });
    expect(progress.some((p) => p.phase === 'download' && p.done === p.total)).toBe(true);
    expect(sim.stats.commands.EXIT).toBe(1);
  });

  it('the command refuses to run until the core wires config and buffer', async () => {
    const out = await runCli((p) => registerPullCommand(p), ['pull', 'lobby-1']);
    expect(out).toMatch(/not wired/);
    expect(process.exitCode).toBe(70);
  });
});
