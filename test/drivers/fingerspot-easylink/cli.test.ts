// `probe --protocol fingerspot-easylink` and `simulate fingerspot` option parsing, on 127.0.0.1.
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerProbeCommand } from '../../../src/cli/probe.js';
import { fingerspotOptionsFrom } from '../../../src/sim/fingerspot/cli.js';
import type { FingerspotSimulator } from '../../../src/sim/fingerspot/index.js';
import { SERIAL, startSim } from './harness.js';

let sim: FingerspotSimulator | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await sim?.stop();
  sim = undefined;
});

async function runCli(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  const program = new Command().exitOverride();
  registerProbeCommand(program);
  await program.parseAsync(['node', 'absensi-gateway', ...args]);
  return out;
}

describe('probe --protocol fingerspot-easylink', () => {
  it('prints counts, clock and the single-consumer warning without consuming anything', async () => {
    sim = await startSim();
    sim.fill(12);
    const out = await runCli(['probe', '127.0.0.1', '--protocol', 'fingerspot-easylink', '--port', String(sim.address.port), '--serial', SERIAL]);
    expect(out).toContain(`serial     ${SERIAL} (known to the bridge)`);
    expect(out).toMatch(/records {4}12 {3}not yet downloaded via \/scanlog\/new: 12/);
    expect(out).toContain('the gateway must be its only client');
    expect(sim.stats.consumedByNew).toBe(0);
    expect(process.exitCode).toBeUndefined();
  });

  it('answers JSON, and exits 1 with a code for an unknown serial', async () => {
    sim = await startSim();
    const out = await runCli(['probe', '127.0.0.1', '--protocol', 'fingerspot-easylink', '--port', String(sim.address.port), '--serial', 'UNKNOWN1', '--json']);
    expect(JSON.parse(out)).toMatchObject({ ok: false, code: 'GW_ERR_DEVICE_PROTOCOL' });
    expect(process.exitCode).toBe(1);
  });

  it('needs --serial and a known protocol', async () => {
    expect(await runCli(['probe', '127.0.0.1', '--protocol', 'fingerspot-easylink'])).toContain('--serial is required');
    expect(process.exitCode).toBe(64);
    process.exitCode = undefined;
    await expect(runCli(['probe', '127.0.0.1', '--protocol', 'hikvision'])).rejects.toThrow(/expected zk-tcp \| zk-soap \| hikvision-isapi \| fingerspot-easylink/);
  });
});

describe('simulate fingerspot options', () => {
  const base = { host: '127.0.0.1', port: '0', serial: [] as string[], records: '5', users: '3', timezone: 'Asia/Jayapura', clockOffset: '-30', fault: [] as string[] };

  it('parses serials, faults and numbers', () => {
    expect(fingerspotOptionsFrom({ ...base, serial: ['A1', 'B2'], fault: ['slow', 'http-500'] })).toMatchObject({
      serials: ['A1', 'B2'], records: 5, users: 3, clockOffsetSec: -30, timeZone: 'Asia/Jayapura', faults: { slowMs: 500, http500: 3 },
    });
  });

  it('seeds users with templates and an alg_ver', () => {
    expect(fingerspotOptionsFrom({ ...base, users: '300', templatesPerUser: 'mixed', algVer: '9', statesAlgorithm: true })).toMatchObject({
      userTable: { users: 300, templatesPerUser: 'mixed', algVer: '9' }, statesAlgorithm: true,
    });
  });

  it.each([
    [{ fault: ['explode'] }, /--fault/],
    [{ records: '-1' }, /--records/],
    [{ clockOffset: 'soon' }, /--clock-offset/],
  ])('refuses %j', (change, message) => {
    expect(() => fingerspotOptionsFrom({ ...base, ...change })).toThrow(message);
  });
});
