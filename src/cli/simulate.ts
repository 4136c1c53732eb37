// `absensi-gateway simulate <command>`: run a built-in terminal simulator for demos, training and
// testing a gateway without hardware. One subcommand per family whose definition names a simulator
// (DriverDefinition.simulator, src/devices/definition.ts); each simulator's options live in its own
// src/sim/<terminal>/cli.ts.
// Invariants:
// - A simulator's module loads only when its subcommand runs or shows its help: `simulate zk`
//   carries no other terminal's code.
// - Usage errors print `simulate <command>: …` and exit 64 (src/sim/cliKit.ts).
import { Help, type Command } from 'commander';
import type { AnyDriverDefinition } from '../devices/definition.js';
import type { SimulatorFacet } from '../devices/facets.js';
import { BUILTIN_DRIVERS } from '../drivers.js';

export function registerSimulateCommand(program: Command, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): void {
  const simulate = program.command('simulate').description('run a built-in terminal simulator for demos and tests');
  const simulators = new Map<Command, SimulatorFacet>();
  for (const { simulator } of drivers) {
    if (simulator) simulators.set(simulate.command(simulator.command).description(simulator.description), simulator);
  }
  // commander dispatches to a subcommand after this hook, so the options it adds are the ones parsed
  simulate.hook('preSubcommand', async (_simulate, command) => {
    const simulator = simulators.get(command);
    if (!simulator || command.options.length > 0) return;
    (await simulator.load())(command);
    command.saveStateBeforeParse(); // the defaults just added, restored if the program parses again
  });
  // `simulate --help` lists simulators before they load; every one of them takes options
  const help = new Help();
  simulate.configureHelp({ subcommandTerm: (command) => (simulators.has(command) ? `${command.name()} [options]` : help.subcommandTerm(command)) });
}
