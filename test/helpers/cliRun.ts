// A CLI command in-process: the program a `register…Command` builds, run on `args` with stdout and
// stderr captured and process.exitCode read back (and reset), as `absensi-gateway …` would print it.
import { Command } from 'commander';
import { vi } from 'vitest';

export interface CliRun {
  out: string;
  err: string;
  exit: number | string | undefined;
}

export async function runCli(register: (program: Command) => void, args: string[]): Promise<CliRun> {
  const run = { out: '', err: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((run.out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((run.err += String(chunk)), true));
  const program = new Command().exitOverride();
  register(program);
  try {
    await program.parseAsync(['node', 'absensi-gateway', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  const exit = process.exitCode;
  process.exitCode = undefined;
  return { ...run, exit };
}
