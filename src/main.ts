#!/usr/bin/env node
// absensi-gateway command line (DESIGN.md "CLI"): one subcommand per file in src/cli/.
import { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerCheckCommand } from './cli/check.js';
import { registerDemoCommand } from './cli/demo.js';
import { registerImportCommand } from './cli/import.js';
import { registerProbeCommand } from './cli/probe.js';
import { registerPullCommand } from './cli/pull.js';
import { pullWiring } from './cli/pullWiring.js';
import { registerQueueCommand } from './cli/queue.js';
import { registerRunCommand } from './cli/run.js';
import { registerSimulateCommand } from './cli/simulate.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('absensi-gateway')
    .description('Attendance terminals → SQLite buffer → MQTT / HTTPS, with nothing lost')
    .version(VERSION);
  registerRunCommand(program);
  registerCheckCommand(program);
  registerProbeCommand(program);
  registerPullCommand(program, pullWiring);
  registerImportCommand(program);
  registerQueueCommand(program);
  registerSimulateCommand(program);
  registerDemoCommand(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv);
}

function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
