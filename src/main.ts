#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// absensi-gateway command line (DESIGN.md "CLI"): one subcommand per file in src/cli/.
// The shebang's node flags keep the daemon small (README "Scale"): a 4 MB young generation
// (default 16 MB per semi-space), and an old generation that may grow by half its live size before
// a full collection (V8 allows up to 4×; with the small young generation alone RSS saw-tooths to
// 200 MB). 500 terminals for 300 s: steady RSS 157 → 135 MB, peak 173 → 150 MB, CPU 16 → 18 % of
// a core; a backlog drains ~6 % slower. The .deb wrapper and the benchmarks start this file
// through its shebang, or with the flags they read from it (test/helpers/daemonCommand.ts), so
// every launcher runs the same node.
import { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VERSION } from './version.js';

type Register = (program: Command) => void;

// Each command's module loads only when that command runs (or for the full --help): the daemon
// (`run`) should not carry the simulators, the demo broker or every driver's probe in memory.
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./cli/run.js')).registerRunCommand,
  check: async () => (await import('./cli/check.js')).registerCheckCommand,
  probe: async () => (await import('./cli/probe.js')).registerProbeCommand,
  pull: async () => {
    const [{ registerPullCommand }, { pullWiring }] = await Promise.all([import('./cli/pull.js'), import('./cli/pullWiring.js')]);
    return (program) => registerPullCommand(program, pullWiring);
  },
  import: async () => (await import('./cli/import.js')).registerImportCommand,
  queue: async () => (await import('./cli/queue.js')).registerQueueCommand,
  users: async () => (await import('./cli/users.js')).registerUsersCommand,
  log: async () => (await import('./cli/log.js')).registerLogCommand,
  central: async () => (await import('./cli/central.js')).registerCentralCommand,
  kiosk: async () => (await import('./cli/kiosk.js')).registerKioskCommand,
  simulate: async () => (await import('./cli/simulate.js')).registerSimulateCommand,
  demo: async () => (await import('./cli/demo.js')).registerDemoCommand,
};

/** The CLI; with `only` naming a command, just that command is loaded and registered. */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command();
  program
    .name('absensi-gateway')
    .description('Attendance terminals → SQLite buffer → MQTT / HTTPS, with nothing lost')
    .version(VERSION);
  const names = only !== undefined && only in COMMANDS ? [only] : Object.keys(COMMANDS);
  const registers = await Promise.all(names.map((name) => (COMMANDS[name] as () => Promise<Register>)()));
  for (const register of registers) register(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  await (await buildProgram(argv[2])).parseAsync(argv);
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
