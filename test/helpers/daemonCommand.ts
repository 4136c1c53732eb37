// How tests and benchmarks start the daemon: with the node flags its shebang carries, so what they
// measure is what `npx absensi-gateway run` and the .deb wrapper run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAIN_SOURCE = join(process.cwd(), 'src/main.ts');

/** The node flags of a `#!/usr/bin/env -S node …` line (none for a plain `#!/usr/bin/env node`). */
export function shebangNodeFlags(file = MAIN_SOURCE): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env(?: -S)? node((?: \S+)*)$/.exec(first);
  if (!match) throw new Error(`${file}: first line is not a node shebang: ${first}`);
  return match[1]!.split(' ').filter(Boolean);
}

/** `node` arguments that run the CLI from source (tsx) with the shipped flags, then `args`. */
export function daemonArgs(args: string[], extraFlags: string[] = []): string[] {
  return [...shebangNodeFlags(), ...extraFlags, '--import', 'tsx', 'src/main.ts', ...args];
}
