// `absensi-gateway probe <host> [--protocol <name>]`: connect to a terminal and print who it is.
// The protocols, their default ports, their own options and what each probe does come from the
// families' definitions (DriverDefinition.probe, src/devices/definition.ts); the first family with
// a probe is the default (zk-tcp).
// Invariants:
// - Read-only: a probe never changes the terminal (no clock set, no clear, no disable, no consumed
//   scan log); each family's probe.ts says how it keeps to that.
// - A family's probe module loads only when `probe --protocol <it>` runs.
// - An option two families share (`--comm-key`) is declared alike by both, and listed once with
//   both names; an option a family requires is checked before anything connects (exit 64).
// - A failure prints `probe <host>:<port>: <GW_ERR_ code>: <message>` (or JSON with --json) and exits 1.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseDurationMs } from '../config/primitives.js';
import type { AnyDriverDefinition } from '../devices/definition.js';
import type { ProbeFacet, ProbeOption, ProbeValues } from '../devices/facets.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { GatewayError, errorMessage } from '../util/errors.js';

type Probing = AnyDriverDefinition & { probe: ProbeFacet };

interface CommonProbeOptions {
  protocol: string;
  port?: number;
  timeout: string;
  timezone: string;
  json?: boolean;
}

const EXIT_USAGE = 64;

export function registerProbeCommand(program: Command, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): void {
  const probing = drivers.filter((d): d is Probing => d.probe !== undefined);
  const protocols = probing.map((d) => d.protocol);
  const first = probing[0];
  const command = program
    .command('probe')
    .description(`connect to a terminal and print serial, model, firmware, counts, clock skew and protocol variant (${first ? `${first.protocol} port ${first.probe.defaultPort} by default; ` : ''}--protocol for the others)`)
    .argument('<host>', 'terminal IP address or host name')
    .option('--protocol <name>', protocols.join(' | '), protocolOption(protocols), first?.protocol)
    .option('--port <port>', `terminal port (default ${probing.map((d) => `${d.protocol} ${d.probe.defaultPort}`).join(', ')})`, intOption('--port', 65535));
  for (const { option, families } of familyOptions(probing)) command.addOption(commanderOption(option, families));
  command
    .option('--timeout <duration>', 'reply timeout (500ms, 10s)', '10s')
    .option('--timezone <zone>', 'IANA zone of the terminal clock, for the skew', 'Asia/Jakarta')
    .option('--json', 'print the result as JSON')
    .action(async (host: string, options: CommonProbeOptions & ProbeValues) => {
      const definition = probing.find((d) => d.protocol === options.protocol) as Probing;
      const port = options.port ?? definition.probe.defaultPort;
      const missing = definition.probe.options?.find((o) => o.requiredBecause !== undefined && !options[optionKey(o)]);
      if (missing) {
        process.stderr.write(`probe: ${longFlag(missing)} is required with --protocol ${definition.protocol} (${missing.requiredBecause})\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      try {
        const run = await definition.probe.load();
        const target = { host, port, timeoutMs: parseDurationMs(options.timeout) ?? 10_000, timeZone: options.timezone };
        const { result, text } = await run.probe(target, options);
        process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : text);
      } catch (error) {
        const code = error instanceof GatewayError ? error.code : 'GW_ERR_DEVICE_UNREACHABLE';
        if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, host, port, code, error: errorMessage(error) })}\n`);
        else process.stderr.write(`probe ${host}:${port}: ${code}: ${errorMessage(error)}\n`);
        process.exitCode = 1;
      }
    });
}

/** Every family option once, in list order, with the families that take it; options shared by families must be declared alike. */
export function familyOptions(probing: readonly Probing[]): { option: ProbeOption; families: string[] }[] {
  const byFlags = new Map<string, { option: ProbeOption; families: string[] }>();
  for (const { protocol, probe } of probing) {
    for (const option of probe.options ?? []) {
      const seen = byFlags.get(option.flags);
      if (!seen) byFlags.set(option.flags, { option, families: [protocol] });
      else if (JSON.stringify(seen.option) === JSON.stringify(option)) seen.families.push(protocol);
      else throw new Error(`probe option ${option.flags}: ${protocol} declares it unlike ${seen.families.join(', ')}`);
    }
  }
  return [...byFlags.values()];
}

function commanderOption(option: ProbeOption, families: readonly string[]): Option {
  const made = new Option(option.flags, `${families.join(', ')}: ${option.description}`);
  if (option.integerMax !== undefined) made.argParser(intOption(longFlag(option), option.integerMax));
  if (option.default !== undefined) made.default(option.default);
  return made;
}

function intOption(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${name}: expected an integer 0..${max}, got "${value}"`);
    return n;
  };
}

function protocolOption(protocols: readonly string[]) {
  return (value: string): string => {
    if (!protocols.includes(value)) throw new InvalidArgumentError(`expected ${protocols.join(' | ')}`);
    return value;
  };
}

/** `--comm-key <key>` → `--comm-key` */
function longFlag(option: ProbeOption): string {
  return option.flags.split(/[ ,]/)[0] ?? option.flags;
}

/** `--comm-key <key>` → `commKey`, the name commander stores the value under */
function optionKey(option: ProbeOption): string {
  return longFlag(option).replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
