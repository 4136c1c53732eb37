// A Debian 13 (trixie) machine for `npm run test:system`: a debootstrapped root, cached between
// runs, booted with systemd-nspawn on an overlay so every run starts from the pristine root.
// Invariants:
// - The host's PID 1 need not be systemd and its /sys/fs/cgroup may be hybrid: nspawn runs in a
//   private mount namespace (unshare -m) where /sys/fs/cgroup is a pure cgroup2 mount and the
//   container's cgroup is one directory we make (CGROUP_PREFIX<pid>); --register=no --keep-unit
//   because there is no system bus; --private-network: the container has only its own loopback.
// - Commands run inside with `nsenter -t <container PID 1> -a`; files go in through /proc/<pid>/root.
// - stop() powers the machine off (SIGKILL after 60 s), and then removes what it made: the
//   cgroup tree, the overlay's upper directory, nspawn's propagation directory. The mounts die
//   with the namespace.
// - Network: debootstrap and apt-get talk only to the Debian mirror apt already uses; nothing in
//   the container can reach anything but its loopback.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CACHE_DIR = '/var/cache/absensi-system-test';
const SUITE = 'trixie';
/** What the root holds besides minbase: systemd as init, Node 20 (Debian 13's nodejs), the broker. */
const INCLUDE = ['systemd', 'systemd-sysv', 'dbus', 'nodejs', 'mosquitto', 'mosquitto-clients', 'init-system-helpers', 'util-linux', 'procps'];
const CGROUP_PREFIX = 'absensi-system-test-';
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** The Debian mirror apt on this machine already uses (deb.debian.org when none is found). */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f))];
  for (const file of files) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const match = /(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(https?:\/\/\S+\/debian)\/?\s/m.exec(text);
    if (match) return match[1]!;
  }
  return 'http://deb.debian.org/debian';
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export async function mirrorReachable(mirror: string): Promise<boolean> {
  try {
    const response = await fetch(`${mirror}/dists/${SUITE}/Release`, { method: 'HEAD', signal: AbortSignal.timeout(15_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** debootstrap and systemd-nspawn, installed from the mirror when missing. */
export function ensureTools(): void {
  const missing = [['debootstrap', '/usr/sbin/debootstrap'], ['systemd-container', '/usr/bin/systemd-nspawn']].filter(([, bin]) => !existsSync(bin!)).map(([pkg]) => pkg!);
  if (missing.length === 0) return;
  execFileSync('apt-get', ['update', '-q'], { stdio: 'pipe' });
  execFileSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'pipe', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** The cached root (debootstrapped when absent or made with another package list); true when it was made now. */
export function ensureRoot(mirror: string): { dir: string; made: boolean } {
  const dir = join(CACHE_DIR, SUITE);
  const stamp = `${SUITE} minbase ${INCLUDE.join(',')}\n`;
  if (existsSync(join(dir, '.absensi-system-test')) && readFileSync(join(dir, '.absensi-system-test'), 'utf8') === stamp) return { dir, made: false };
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = join(CACHE_DIR, `${SUITE}.partial`);
  rmSync(partial, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  execFileSync('debootstrap', ['--variant=minbase', `--include=${INCLUDE.join(',')}`, SUITE, partial, mirror], { stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(join(partial, '.absensi-system-test'), stamp);
  renameSync(partial, dir);
  return { dir, made: true };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class Container {
  private nspawn: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private pid1 = 0;
  private readonly name = `absensi-systest-${process.pid}`;
  private readonly cgroup = `${CGROUP_PREFIX}${process.pid}`;
  readonly work: string;
  /** what the shell before nspawn printed: the chroot install's output */
  preBootOutput = '';

  constructor(private readonly lower: string) {
    this.work = `/var/tmp/${this.name}`;
  }

  /**
   * Boots the machine. `imageDeb`, when given, is installed first with `chroot … dpkg -i` — no
   * /proc, no systemd running — as a fleet image is built.
   */
  async start(imageDeb?: string): Promise<void> {
    rmSync(this.work, { recursive: true, force: true });
    for (const d of ['upper', 'work', 'merged']) mkdirSync(join(this.work, d), { recursive: true });
    const merged = join(this.work, 'merged');
    const script = [
      'set -e',
      `mount -t overlay overlay -o lowerdir=${this.lower},upperdir=${this.work}/upper,workdir=${this.work}/work ${merged}`,
      ...(imageDeb
        ? [`cp ${imageDeb} ${merged}/root/image.deb`, `echo '--- chroot dpkg -i'`, `if chroot ${merged} /usr/bin/env -i PATH=${PATH} dpkg -i /root/image.deb 2>&1; then echo '--- chroot dpkg exit 0'; else echo "--- chroot dpkg exit $?"; fi`]
        : []),
      'mount -t cgroup2 cgroup2 /sys/fs/cgroup',
      `mkdir /sys/fs/cgroup/${this.cgroup}`,
      `echo $$ > /sys/fs/cgroup/${this.cgroup}/cgroup.procs`,
      `echo '--- boot'`,
      `exec systemd-nspawn --quiet --register=no --keep-unit --private-network --machine=${this.name} -D ${merged} --boot`,
    ].join('\n');
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH, LANG: 'C.UTF-8' } });
    this.nspawn = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const deadline = Date.now() + 120_000;
    while (!this.pid1) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the container did not start:\n${out}`);
      await sleep(200);
      this.pid1 = this.findPid1(child.pid!);
    }
    this.preBootOutput = out.split('--- boot')[0] ?? '';
    for (;;) {
      const state = this.run('systemctl', 'is-system-running').stdout.trim();
      if (state === 'running' || state === 'degraded') break;
      if (Date.now() > deadline) throw new Error(`the container did not finish booting (${state}):\n${this.run('systemctl', '--failed', '--no-pager').stdout}`);
      await sleep(500);
    }
  }

  /** nspawn's child in a new PID namespace: the container's init, NSpid "<host pid> 1". */
  private findPid1(shellPid: number): number {
    const children = (pid: number): number[] => listDir(`/proc/${pid}/task`).flatMap((task) => {
      try {
        return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
    for (const pid of children(shellPid).flatMap((p) => [p, ...children(p)])) {
      try {
        if (/^NSpid:\s+\d+\s+1$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) return pid;
      } catch {
        // gone
      }
    }
    return 0;
  }

  /** A command inside, as root, with a clean environment; never throws on a non-zero exit. */
  run(command: string, ...args: string[]): RunResult {
    const result = spawnSync('nsenter', ['-t', String(this.pid1), '-a', '--', '/usr/bin/env', '-i', `PATH=${PATH}`, 'LANG=C.UTF-8', 'SYSTEMD_COLORS=0', 'DEBIAN_FRONTEND=noninteractive', command, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
    return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  }

  /** Like run, but a non-zero exit throws with what the command said. */
  ok(command: string, ...args: string[]): string {
    const result = this.run(command, ...args);
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: exit ${result.status}\n${result.stdout}${result.stderr}`);
    return result.stdout;
  }

  sh(script: string): RunResult {
    return this.run('/bin/sh', '-c', script);
  }

  /** A file from the host into the container's root. */
  put(hostFile: string, path: string): void {
    execFileSync('cp', [hostFile, `/proc/${this.pid1}/root${path}`]);
  }

  write(path: string, text: string): void {
    writeFileSync(`/proc/${this.pid1}/root${path}`, text);
  }

  read(path: string): string {
    return readFileSync(`/proc/${this.pid1}/root${path}`, 'utf8');
  }

  exists(path: string): boolean {
    return existsSync(`/proc/${this.pid1}/root${path}`);
  }

  /** Powers off, then removes the cgroups, the overlay and nspawn's leftovers; safe to call twice. */
  async stop(): Promise<void> {
    // unshare and sh exec'd nspawn: SIGTERM is nspawn's "power the container off"
    if (this.nspawn && this.nspawn.exitCode === null && this.nspawn.signalCode === null) {
      this.nspawn.kill('SIGTERM');
      const timer = setTimeout(() => this.nspawn?.kill('SIGKILL'), 60_000);
      await this.exited;
      clearTimeout(timer);
    }
    removeCgroupTree(`/sys/fs/cgroup/unified/${this.cgroup}`);
    removeCgroupTree(`/sys/fs/cgroup/${this.cgroup}`);
    rmSync(`/run/systemd/nspawn/propagate/${this.name}`, { recursive: true, force: true });
    rmSync(this.work, { recursive: true, force: true });
  }

  /** What stop() must leave behind: nothing. */
  leftovers(): string[] {
    return [`/sys/fs/cgroup/unified/${this.cgroup}`, `/sys/fs/cgroup/${this.cgroup}`, this.work, `/run/systemd/nspawn/propagate/${this.name}`].filter((p) => existsSync(p));
  }
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) removeCgroupTree(path);
  }
  rmdirSync(dir);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
