// `absensi-gateway pull` in-process with a fake wiring: the device entry and a context the test
// holds (a MemoryContext, test/helpers/memoryContext.ts), stdout and stderr captured, process.exitCode read back.
// The caller's afterEach must `vi.restoreAllMocks()` and reset `process.exitCode`.
import { Command } from 'commander';
import { vi } from 'vitest';
import { registerPullCommand } from '../../src/cli/pull.js';
import type { BaseDeviceConfig, DriverContext } from '../../src/devices/driver.js';

export interface PullRun {
  stdout: string;
  stderr: string;
  exitCode: number | string | undefined;
}

export async function runPull(deviceConfig: BaseDeviceConfig, ctx: DriverContext, extraArgs: string[] = []): Promise<PullRun> {
  const run = { stdout: '', stderr: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((run.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((run.stderr += String(chunk)), true));
  const program = new Command().exitOverride();
  let opened = 0;
  let closed = 0;
  registerPullCommand(program, { open: () => Promise.resolve(void opened++).then(() => ({ deviceConfig, ctx, close: () => Promise.resolve(void closed++) })) });
  // no config file: the zk-push check (which reads it) finds nothing and pull goes on with the wiring
  await program.parseAsync(['node', 'absensi-gateway', 'pull', deviceConfig.id, '--config', '/nonexistent/absensi-pull-test.yaml', ...extraArgs]);
  vi.restoreAllMocks();
  if (closed !== opened) throw new Error(`pull opened its wiring ${opened} times and closed it ${closed} times`);
  return { ...run, exitCode: process.exitCode };
}
