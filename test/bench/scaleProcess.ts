// The gateway under measurement: the real daemon as a child process, and what /proc and /metrics
// say about it.
// Invariants:
// - Runs the compiled build (dist/src/main.js, built by the bench at start) unless SCALE_TSX=1:
//   an office PC runs the build, and tsx's loader would add its own memory to the figures.
// - RSS comes from /proc/<pid>/status (VmRSS, VmHWM); CPU from /proc/<pid>/stat utime+stime over
//   wall time, in % of one core. Nothing here asserts a timing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonArgs, shebangNodeFlags } from '../helpers/daemonCommand.js';

const CLOCK_TICKS = 100; // USER_HZ on Linux
/** a daemon API that does not answer in this long is a failed run, not a hung one */
export const FETCH_TIMEOUT_MS = 30_000;

/**
 * The daemon as the bin runs it: node with the flags of main.js's shebang, plus SCALE_NODE_FLAGS
 * (experiments: --max-semi-space-size=…, --heapsnapshot-signal=SIGUSR2; a later flag wins).
 */
export function gatewayCommand(configFile: string): { cmd: string; args: string[]; what: string } {
  const extra = (process.env.SCALE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const dist = join(process.cwd(), 'dist/src/main.js');
  if (process.env.SCALE_TSX !== '1' && existsSync(dist)) {
    const flags = [...shebangNodeFlags(dist), ...extra];
    return { cmd: 'node', args: [...flags, dist, 'run', '--config', configFile], what: `node ${[...flags, 'dist/src/main.js'].join(' ')} (tsc build)` };
  }
  const args = daemonArgs(['run', '--config', configFile], extra);
  return { cmd: 'node', args, what: `node ${args.slice(0, -3).join(' ')}` };
}

export function spawnGateway(configFile: string): ChildProcess {
  const { cmd, args } = gatewayCommand(configFile);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[gateway] ${chunk}`));
  return child;
}

export function rssMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** utime + stime of `pid`, seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // fields 14 and 15 of stat(5)
}

export class CpuMeter {
  private readonly cpu0: number;
  private readonly wall0 = performance.now();
  constructor(private readonly pid: number) {
    this.cpu0 = cpuSeconds(pid);
  }
  /** % of one core since construction */
  percent(): number {
    return ((cpuSeconds(this.pid) - this.cpu0) / ((performance.now() - this.wall0) / 1000)) * 100;
  }
}

/** RSS sampled every `everyMs` while running. */
export class RssSampler {
  readonly samples: { atMs: number; rssMb: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(pid: number, everyMs = 500) {
    this.timer = setInterval(() => {
      try {
        this.samples.push({ atMs: Date.now(), rssMb: rssMb(pid).rss });
      } catch {
        // the process is gone
      }
    }, everyMs);
  }
  stop(): void {
    clearInterval(this.timer);
  }
  /** median RSS of the samples taken between `fromMs` and `toMs` */
  median(fromMs: number, toMs: number): number {
    const values = this.samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs).map((s) => s.rssMb).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? Number.NaN;
  }
  peak(): number {
    return Math.max(...this.samples.map((s) => s.rssMb));
  }
}

/** Parses the Prometheus text of /metrics into `name{labels}` → value. */
export async function scrape(apiPort: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/metrics`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  const text = await res.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Milliseconds of one GET (median of `times` runs) and the last body. */
export async function timeGet(url: string, times: number): Promise<{ ms: number; body: unknown }> {
  const runs: number[] = [];
  let body: unknown;
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    body = await res.json();
    runs.push(performance.now() - started);
    if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  }
  runs.sort((a, b) => a - b);
  return { ms: runs[Math.floor(runs.length / 2)] as number, body };
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
