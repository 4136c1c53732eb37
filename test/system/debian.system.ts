// `npm run test:system` (issue 22): the .deb on a real systemd. A Debian 13 root (container.ts)
// gets the package the way a fleet image is built (chroot, no /proc), boots, and then goes through
// README "Install on a mini-PC", "Configure devices", "Troubleshooting", "Upgrade" and "Uninstall":
// the shipped simulator → gateway → the container's Mosquitto, SIGKILL, reload, a bad config, an
// upgrade over an old-schema buffer, remove and purge. The steps share one machine and run in order.
// Needs root. Without a cached root and without the Debian mirror it says so and skips.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/buffer/migrations/index.js';
import { buildDeb } from '../../src/service/package.js';
import { fixturePaths, type BufferFixtureManifest } from '../service/bufferFixture.js';
import { tempDir } from '../helpers/tmp.js';
import { CACHE_DIR, Container, debianMirror, ensureRoot, ensureTools, mirrorReachable, sleep } from './container.js';

const UNIT = 'absensi-gateway.service';
const CONFIG = '/etc/absensi-gateway/config.yaml';
const SITE = 'SYSTEST';
const RESTART_SEC = 5;
const MAX_EXPOSURE = 2.0;

const mirror = debianMirror();
const cached = existsSync(join(CACHE_DIR, 'trixie/.absensi-system-test'));
const skip = process.getuid?.() !== 0 ? 'needs root' : !cached && !(await mirrorReachable(mirror)) ? `the Debian mirror ${mirror} cannot be reached and no root is cached in ${CACHE_DIR}` : undefined;
if (skip) process.stdout.write(`test:system SKIPPED: ${skip}\n`);

const timings: Record<string, number> = {};
let tmp: ReturnType<typeof tempDir>;
let box: Container;
let debs: { old: string; newer: string; newerVersion: string };

function config(devices: string): string {
  return `gateway:\n  id: gw-systest\n  site: ${SITE}\n  dataDir: /var/lib/absensi-gateway\napi:\n  listen: 127.0.0.1:8080\npublish:\n  mqtt:\n    url: mqtt://127.0.0.1:1883\ndevices:\n${devices}`;
}
const GATE_1 = '  - {id: gate-1, driver: zk-tcp, host: 127.0.0.1, port: 4370}\n';
const GATE_2 = '  - {id: gate-2, driver: zk-tcp, host: 127.0.0.1, port: 4371}\n';

function show(...props: string[]): Record<string, string> {
  const out = box.ok('systemctl', 'show', UNIT, ...props.map((p) => `--property=${p}`));
  return Object.fromEntries(out.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

function journal(unit = UNIT): string {
  return box.run('journalctl', '-u', unit, '-o', 'cat', '--no-pager').stdout;
}

interface Stats {
  punches: number;
  sinks: { sink: string; pending: number }[];
}
function stats(): Stats {
  return JSON.parse(box.ok('absensi-gateway', 'queue', 'stats', '--json')) as Stats;
}

/** Distinct punch ids the subscriber (a transient unit, mosquitto_sub -v) has seen, per device. */
function delivered(): Map<string, Set<string>> {
  const byDevice = new Map<string, Set<string>>();
  for (const line of journal('systest-sub.service').split('\n')) {
    const match = /^absensi\/[^/]+\/([^/]+)\/punch (\{.*\})$/.exec(line);
    if (!match) continue;
    const id = (JSON.parse(match[2]!) as { id: string }).id;
    byDevice.set(match[1]!, (byDevice.get(match[1]!) ?? new Set()).add(id));
  }
  return byDevice;
}
const deliveredCount = (): number => [...delivered().values()].reduce((n, ids) => n + ids.size, 0);

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(500);
  }
}

/** The punches the simulators made: what they had in their logs, and each `punch pin=…` line since. */
let simulated = 0;
const simulatorPunches = (): number => simulated + (journal('systest-zk1.service').match(/^punch pin=/gm)?.length ?? 0);

/** Every punch the simulators made is in the buffer, acked by the mqtt sink, and seen by the subscriber. */
async function allDelivered(what: string): Promise<Stats> {
  return until(what, 90_000, () => {
    const made = simulatorPunches();
    let s: Stats;
    try {
      s = stats();
    } catch (error) {
      // right after a (re)start the daemon may not have created its buffer yet
      if (/unable to open database file/.test(String(error))) return false;
      throw error;
    }
    return s.punches >= made && s.sinks.every((k) => k.pending === 0) && deliveredCount() >= s.punches && s;
  });
}

describe.skipIf(skip !== undefined)('the .deb on Debian 13 under systemd', () => {
  beforeAll(async () => {
    let t = Date.now();
    ensureTools();
    const root = ensureRoot(mirror);
    timings[root.made ? 'debootstrap (cold)' : 'cached root'] = Date.now() - t;
    t = Date.now();
    tmp = tempDir('absensi-system-');
    const old = await buildDeb({ repoDir: process.cwd(), outDir: join(tmp.dir, 'old') });
    const newer = await buildDeb({ repoDir: process.cwd(), outDir: join(tmp.dir, 'newer'), version: `${old.version}+systest1` });
    debs = { old: old.file, newer: newer.file, newerVersion: newer.version };
    timings['build the .debs'] = Date.now() - t;
    t = Date.now();
    box = new Container(root.dir);
    await box.start(debs.old);
    timings['chroot install + boot'] = Date.now() - t;
  }, 900_000);

  afterAll(async () => {
    const t = Date.now();
    await box?.stop();
    timings['power off + clean up'] = Date.now() - t;
    tmp?.cleanup();
    process.stdout.write(`test:system timings (ms): ${JSON.stringify(timings)}\n`);
    expect(box?.leftovers() ?? []).toEqual([]);
  }, 120_000);

  it('installs in an image build (chroot, no /proc) and comes up enabled and active on first boot', () => {
    expect(box.preBootOutput).toContain('--- chroot dpkg exit 0');
    expect(box.preBootOutput).toContain("Created symlink '/etc/systemd/system/multi-user.target.wants/absensi-gateway.service' → '/usr/lib/systemd/system/absensi-gateway.service'");
    expect(box.ok('dpkg-query', '-W', '-f', '${Status}', 'absensi-gateway')).toBe('install ok installed');
    expect(box.run('systemctl', 'is-enabled', UNIT).stdout.trim()).toBe('enabled');
    expect(box.run('systemctl', 'is-active', UNIT).stdout.trim()).toBe('active');
  });

  it(`has an exposure of at most ${MAX_EXPOSURE}, with the sandbox in force on the running daemon`, () => {
    const security = box.ok('systemd-analyze', 'security', UNIT, '--no-pager');
    const exposure = Number(/Overall exposure level for absensi-gateway\.service: ([\d.]+)/.exec(security)?.[1]);
    expect(exposure).toBeLessThanOrEqual(MAX_EXPOSURE);
    const pid = show('MainPID').MainPID!;
    const status = box.ok('cat', `/proc/${pid}/status`);
    const uid = box.ok('id', '-u', 'absensi-gateway').trim();
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^Seccomp:\s+2$/m);
  });

  it('delivers the simulator\'s punches through the gateway to Mosquitto, nothing left pending', async () => {
    box.ok('systemctl', 'is-active', 'mosquitto.service');
    // a persistent session: what the gateway publishes while the subscriber reconnects is kept for it
    box.ok('systemd-run', '--unit=systest-sub', '--property=Restart=always', '--', 'mosquitto_sub', '-h', '127.0.0.1', '-t', `absensi/${SITE}/+/punch`, '-v', '-q', '1', '-c', '-i', 'systest-sub');
    box.ok('systemd-run', '--unit=systest-zk1', '--', '/usr/bin/absensi-gateway', 'simulate', 'zk', '--port', '4370', '--records', '40', '--punch-every', '2s', '--serial', 'SIM0000000001');
    simulated = 40;
    box.write(CONFIG, config(GATE_1));
    expect(box.ok('absensi-gateway', 'check')).toMatch(/OK \(1 device\(s\), sinks: mqtt\)/);
    box.ok('systemctl', 'restart', UNIT);
    const s = await allDelivered('the 40 logged punches delivered');
    expect(s.punches).toBeGreaterThanOrEqual(40);
    expect(delivered().get('gate-1')?.size).toBeGreaterThanOrEqual(40);
  });

  it(`is back within RestartSec (${RESTART_SEC} s) after SIGKILL, and the punches made meanwhile arrive`, async () => {
    const before = show('MainPID', 'NRestarts');
    const punchesBefore = stats().punches;
    const madeBefore = simulatorPunches();
    const killedAt = Date.now();
    box.ok('systemctl', 'kill', '-s', 'SIGKILL', UNIT);
    const back = await until('a new main process', 30_000, () => {
      const now = show('MainPID', 'ActiveState', 'NRestarts');
      return now.ActiveState === 'active' && now.MainPID !== before.MainPID && now.MainPID !== '0' && now;
    });
    const downMs = Date.now() - killedAt;
    const madeMeanwhile = simulatorPunches() - madeBefore;
    timings['SIGKILL → active again'] = downMs;
    expect(Number(back.NRestarts)).toBe(Number(before.NRestarts) + 1);
    expect(downMs).toBeLessThanOrEqual((RESTART_SEC + 2) * 1000);
    expect(journal()).toMatch(/Main process exited, code=killed, status=9\/KILL/);
    const s = await allDelivered('the punches made while the daemon was down');
    expect(madeMeanwhile).toBeGreaterThanOrEqual(2); // the simulator punches every 2 s
    expect(s.punches).toBeGreaterThanOrEqual(punchesBefore + madeMeanwhile);
  });

  it('applies a device change on systemctl reload without a restart', async () => {
    box.ok('systemd-run', '--unit=systest-zk2', '--', '/usr/bin/absensi-gateway', 'simulate', 'zk', '--port', '4371', '--records', '10', '--serial', 'SIM0000000002');
    const pid = show('MainPID').MainPID;
    simulated += 10;
    box.write(CONFIG, config(GATE_1 + GATE_2));
    box.ok('systemctl', 'reload', UNIT);
    await until('gate-2\'s 10 punches delivered', 60_000, () => (delivered().get('gate-2')?.size ?? 0) >= 10);
    expect(show('MainPID').MainPID, journal().slice(-4000)).toBe(pid);
    expect(journal()).toMatch(/"added":\["gate-2"\].*"msg":"config reloaded"/);
    await allDelivered('everything, gate-2 included');
  });

  it('names the README\'s codes in the journal: a terminal and the broker unreachable, the host clock', async () => {
    box.ok('systemctl', 'stop', 'systest-zk2.service');
    box.ok('systemctl', 'stop', 'mosquitto.service');
    await until('GW_ERR_DEVICE_UNREACHABLE and GW_ERR_SINK_UNREACHABLE', 60_000, () => /GW_ERR_DEVICE_UNREACHABLE/.test(journal()) && /GW_ERR_SINK_UNREACHABLE/.test(journal()));
    await sleep(4000); // punches from gate-1 wait in the buffer meanwhile
    expect(stats().sinks.find((k) => k.sink === 'mqtt')?.pending).toBeGreaterThan(0);
    box.ok('systemctl', 'start', 'mosquitto.service');
    await allDelivered('the backlog after the broker came back');
    // no NTP in the container: the gateway says the clock is unsynchronized
    expect(journal()).toMatch(/"code":"GW_ERR_CLOCK_UNSYNCHRONIZED"/);
    box.write(CONFIG, config(GATE_1));
    box.ok('systemctl', 'reload', UNIT);
  });

  it('ends in failed on a bad config, the error in the journal, no restart loop', async () => {
    const good = box.read(CONFIG);
    box.write(CONFIG, 'gateway:\n  site: X\n');
    box.run('systemctl', 'restart', UNIT);
    await sleep((RESTART_SEC * 3 + 2) * 1000); // a loop would have restarted it three times by now
    const state = show('ActiveState', 'Result', 'NRestarts', 'ExecMainStatus');
    expect(state).toEqual({ ActiveState: 'failed', Result: 'exit-code', NRestarts: '0', ExecMainStatus: '78' });
    const log = journal();
    expect(log).toContain('GW_ERR_CONFIG_INVALID gateway.id (line 2): required (expected string)');
    expect(log).toMatch(/"level":60,.*"code":"GW_ERR_CONFIG_INVALID".*"msg":"config invalid; not starting \(exit 78\)"/);
    expect(log).toContain('Main process exited, code=exited, status=78/CONFIG');
    box.write(CONFIG, good);
    box.ok('systemctl', 'start', UNIT);
    expect(box.run('systemctl', 'is-active', UNIT).stdout.trim()).toBe('active');
  });

  it('upgrades to a newer build keeping the edited config and the buffer, whose schema migrates', async () => {
    const edited = box.read(CONFIG);
    // a buffer written by the first schema version, as an old gateway would have left it
    const { db, manifest } = fixturePaths(1);
    const fixture = JSON.parse(readFileSync(manifest, 'utf8')) as BufferFixtureManifest & { punchIds: string[] };
    box.ok('systemctl', 'stop', UNIT);
    box.ok('rm', '-f', '/var/lib/absensi-gateway/buffer.db', '/var/lib/absensi-gateway/buffer.db-wal', '/var/lib/absensi-gateway/buffer.db-shm');
    box.put(db, '/var/lib/absensi-gateway/buffer.db');
    box.ok('chown', 'absensi-gateway:absensi-gateway', '/var/lib/absensi-gateway/buffer.db');
    box.put(debs.newer, '/root/newer.deb');
    const t = Date.now();
    const upgrade = box.ok('apt-get', 'install', '-y', '-q', '/root/newer.deb');
    timings['apt upgrade'] = Date.now() - t;
    expect(upgrade).toContain(`Unpacking absensi-gateway (${debs.newerVersion}) over`);
    expect(box.ok('dpkg-query', '-W', '-f', '${Version}', 'absensi-gateway')).toBe(debs.newerVersion);
    expect(box.read(CONFIG)).toBe(edited);
    expect(box.run('systemctl', 'is-active', UNIT).stdout.trim()).toBe('active');
    const latest = Math.max(...MIGRATIONS.map((m) => m.version));
    const versions = await until('the migrated buffer', 30_000, () => {
      const out = box.run('node', '-e', "const D=require('/usr/lib/absensi-gateway/node_modules/better-sqlite3');const d=new D('/var/lib/absensi-gateway/buffer.db',{readonly:true});console.log(JSON.stringify(d.prepare('SELECT version FROM schema_migrations ORDER BY version').all().map(r=>r.version)))");
      const list = out.status === 0 ? (JSON.parse(out.stdout) as number[]) : [];
      return list.includes(latest) && list;
    });
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    const ids = new Set((JSON.parse(box.ok('absensi-gateway', 'queue', 'list', '--json', '--limit', '10000')) as { id: string }[]).map((p) => p.id));
    expect(fixture.punchIds.filter((id) => !ids.has(id))).toEqual([]);
  });

  it('removes (stopped, config and buffer kept) and purges (config gone, buffer kept) as README "Uninstall" says', () => {
    const remove = box.ok('apt-get', 'remove', '-y', '-q', 'absensi-gateway');
    expect(remove).toContain('Removing absensi-gateway');
    expect(box.run('systemctl', 'is-active', UNIT).stdout.trim()).not.toBe('active');
    expect(box.exists('/usr/lib/systemd/system/absensi-gateway.service')).toBe(false);
    expect(box.exists(CONFIG)).toBe(true);
    expect(box.exists('/var/lib/absensi-gateway/buffer.db')).toBe(true);
    const purge = box.run('apt-get', 'purge', '-y', '-q', 'absensi-gateway');
    expect(purge.status).toBe(0);
    expect(purge.stdout + purge.stderr).not.toMatch(/not empty|so not removed/);
    expect(box.exists(CONFIG)).toBe(false);
    expect(box.exists('/etc/systemd/system/multi-user.target.wants/absensi-gateway.service')).toBe(false);
    expect(box.exists('/var/lib/absensi-gateway/buffer.db')).toBe(true);
  });

  it('installs on the running system again: enabled and active; the documented clean start removes the buffer', async () => {
    box.put(debs.newer, '/root/newer.deb');
    box.ok('apt-get', 'install', '-y', '-q', '/root/newer.deb');
    expect(box.run('systemctl', 'is-enabled', UNIT).stdout.trim()).toBe('enabled');
    await until('active', 20_000, () => box.run('systemctl', 'is-active', UNIT).stdout.trim() === 'active');
    expect(box.ok('absensi-gateway', 'queue', 'stats')).toMatch(/buffer\.db: \d+ punches/); // the old buffer, reopened
    box.ok('sh', '-c', 'apt-get purge -y -q absensi-gateway && rm -r /var/lib/absensi-gateway');
    expect(box.exists('/var/lib/absensi-gateway')).toBe(false);
  });
});
