// Every `simulate <terminal>` command refuses bad options with a message naming the option and
// exit 64 (EX_USAGE), before it binds anything.
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerSimulateCommand } from '../../src/cli/simulate.js';
import { durationArg, intArg } from '../../src/sim/cliKit.js';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function simulate(args: string[]): Promise<string> {
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  const program = new Command().exitOverride();
  registerSimulateCommand(program);
  await program.parseAsync(['node', 'absensi-gateway', 'simulate', ...args]);
  return err;
}

describe('simulate usage errors', () => {
  it.each([
    { args: ['zk', '--punch-every', 'soon'], says: 'simulate zk: --punch-every: expected a duration' },
    { args: ['zk-push', '--target', 'http://127.0.0.1:1', '--punch-every', '0s'], says: 'simulate zk-push: --punch-every: expected a duration' },
    { args: ['zk-push', '--target', 'http://127.0.0.1:1', '--poll-every', 'x'], says: 'simulate zk-push: --poll-every: expected a duration' },
    { args: ['zk-soap', '--punch-every', '10 seconds'], says: 'simulate zk-soap: --punch-every: expected a duration' },
    { args: ['fingerspot', '--punch-every', '-1s'], says: 'simulate fingerspot: --punch-every: expected a duration' },
    { args: ['hikvision', '--punch-every', 'often'], says: 'simulate hikvision: --punch-every: expected a duration' },
    { args: ['hikvision', '--port', '80.5'], says: 'simulate hikvision: --port: expected an integer ≥ 0, got "80.5"' },
    { args: ['hikvision', '--records', '-3'], says: 'simulate hikvision: --records: expected an integer ≥ 0, got "-3"' },
    { args: ['hikvision', '--algorithm', 'SHA-1'], says: 'simulate hikvision: --algorithm: expected MD5 or SHA-256, got "SHA-1"' },
    { args: ['zk-soap', '--templates-per-user', '3'], says: 'simulate zk-soap: --templates-per-user: expected 0, 1, 2 or mixed, got "3"' },
    { args: ['zk-soap', '--finger-algorithm', 'v10'], says: 'simulate zk-soap: --finger-algorithm: expected a version like 10, or none, got "v10"' },
    { args: ['fingerspot', '--templates-per-user', 'lots'], says: 'simulate fingerspot: --templates-per-user: expected 0, 1, 2 or mixed, got "lots"' },
    { args: ['fingerspot', '--alg-ver', 'ten'], says: 'simulate fingerspot: --alg-ver: expected a version like 10, got "ten"' },
  ])('$args', async ({ args, says }) => {
    const err = await simulate(args);
    expect(err).toContain(says);
    expect(process.exitCode).toBe(64);
  });
});

describe('cliKit', () => {
  it.each([
    { value: undefined, ms: undefined },
    { value: '10s', ms: 10_000 },
    { value: '500ms', ms: 500 },
    { value: '5m', ms: 300_000 },
  ])('durationArg($value) = $ms', ({ value, ms }) => {
    expect(durationArg('--every', value)).toBe(ms);
  });

  it.each(['', 'abc', '0s', '1.5.2s'])('durationArg refuses "%s"', (value) => {
    expect(() => durationArg('--every', value)).toThrow(/--every: expected a duration/);
  });

  it.each([
    { value: '7', limits: {}, n: 7 },
    { value: '0', limits: { min: 0 }, n: 0 },
    { value: '16', limits: { allowed: [8, 16, 40] }, n: 16 },
  ])('intArg($value) = $n', ({ value, limits, n }) => {
    expect(intArg('--n', value, limits)).toBe(n);
  });

  it.each([
    { value: '7.5', limits: {}, says: 'an integer' },
    { value: '-1', limits: { min: 0 }, says: 'an integer ≥ 0' },
    { value: '12', limits: { allowed: [8, 16, 40] }, says: '8 | 16 | 40' },
  ])('intArg refuses $value', ({ value, limits, says }) => {
    expect(() => intArg('--n', value, limits)).toThrow(says);
  });
});
