// What every `absensi-gateway simulate <terminal>` command shares: option parsing that fails with
// a clear message (exit 64, EX_USAGE) and running until SIGINT/SIGTERM.

import { parseDurationMs } from '../config/primitives.js';

export const EXIT_USAGE = 64;

/** commander collector for a repeatable option (`--fault a --fault b`) */
export function repeatable(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** An integer option; `allowed` lists the only valid values, else it must be ≥ `min`. */
export function intArg(name: string, value: string, limits: { min?: number; allowed?: readonly number[] } = {}): number {
  const n = Number(value);
  const { min, allowed } = limits;
  const valid = Number.isInteger(n) && (allowed ? allowed.includes(n) : n >= (min ?? Number.MIN_SAFE_INTEGER));
  if (!valid) throw new Error(`${name}: expected ${allowed ? allowed.join(' | ') : min !== undefined ? `an integer ≥ ${min}` : 'an integer'}, got "${value}"`);
  return n;
}

/** A duration option (`10s`, `500ms`, `5m`); undefined when the option was not given. */
export function durationArg(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0) throw new Error(`${name}: expected a duration like 10s or 500ms, got "${value}"`);
  return ms;
}

/** The named faults merged into one fault set; an unknown name is a usage error. */
export function faultsFrom<F extends object>(names: string[], table: Record<string, F>): F {
  const faults = {} as F;
  for (const name of names) {
    const fault = table[name];
    if (!fault) throw new Error(`--fault: expected one of ${Object.keys(table).join(', ')}, got "${name}"`);
    Object.assign(faults, fault);
  }
  return faults;
}

/** Parses options with `parse`; on a usage error prints `simulate <command>: …`, sets exit 64, returns undefined. */
export function parseOrUsage<O, T>(command: string, options: O, parse: (o: O) => T): T | undefined {
  try {
    return parse(options);
  } catch (error) {
    process.stderr.write(`simulate ${command}: ${(error as Error).message}\n`);
    process.exitCode = EXIT_USAGE;
    return undefined;
  }
}

/** Resolves on the first SIGINT or SIGTERM (Ctrl-C, systemd stop). */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
