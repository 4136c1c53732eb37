// Small socket helpers shared by the demo and the tests.
// Invariants:
// - `freePort` never hands out a port of the kernel's ephemeral range: a port found free there can
//   be taken by any socket bound to port 0 or any outgoing connection before the caller listens on
//   it (seen in the 500-terminal benchmark: a simulated terminal got the gateway's API port).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Linux's default when /proc does not say (net.ipv4.ip_local_port_range) */
const DEFAULT_EPHEMERAL: readonly [number, number] = [32768, 60999];
const LOWEST = 10_000;
const ATTEMPTS = 200;

/** The range the kernel picks port-0 binds and outgoing connections' local ports from. */
export function ephemeralPortRange(procFile = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  try {
    const [low, high] = readFileSync(procFile, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!) return [low!, high!];
  } catch {
    // not Linux, or /proc hidden
  }
  return [...DEFAULT_EPHEMERAL];
}

/** Ports a test or the demo may pick: 10000–65535 without the ephemeral range. */
export function pickablePorts([low, high]: [number, number]): { from: number; count: number }[] {
  return [
    { from: LOWEST, count: Math.max(0, Math.min(low, 65536) - LOWEST) },
    { from: Math.max(high + 1, LOWEST), count: Math.max(0, 65536 - Math.max(high + 1, LOWEST)) },
  ].filter((r) => r.count > 0);
}

/** The `n`-th port counting through `ranges` in order (0 ≤ n < their total count). */
function nthPort(ranges: { from: number; count: number }[], n: number): number {
  let rest = n;
  for (const range of ranges) {
    if (rest < range.count) return range.from + rest;
    rest -= range.count;
  }
  throw new RangeError(`port index ${n} beyond the ranges`);
}

export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  const ranges = pickablePorts(ephemeralPortRange());
  const total = ranges.reduce((sum, r) => sum + r.count, 0);
  for (let attempt = 0; attempt < ATTEMPTS && total > 0; attempt += 1) {
    const port = nthPort(ranges, Math.floor(Math.random() * total));
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free TCP port on 127.0.0.1 outside the ephemeral range after ${ATTEMPTS} tries`);
}
