// The `users` CLI through the running daemon, on real parts over loopback: a Gateway in-process
// with its local API on 127.0.0.1, zk-tcp simulators (the daemon's drivers hold them, one client
// each) and zk-push simulators polling its push listener. The CLI (registerUsersCommand, the same
// config file) sends each job to the daemon, which runs the engine on the sessions its drivers
// lend: a copy of 300 users with 1-2 fingers each from zk-tcp to zk-push and to zk-soap (the
// daemon opens its own SOAP connection), compared byte for byte;
// an interrupted write resumed with nothing lost or doubled; an algorithm mismatch refused per
// user; no template byte in any API answer; a second job on a busy device refused with 409.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { registerUsersCommand } from '../../src/cli/users.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { ZkPushSimulator } from '../../src/sim/zkPush/index.js';
import { ZkSoapSimulator } from '../../src/sim/zkSoap/simulator.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../../src/util/net.js';
import { runCli, type CliRun } from '../helpers/cliRun.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const tmp = tempDir();
let dir: string;
let configFile: string;
let apiUrl: string;
let gateway: Gateway;
let lobby: ZkTcpSimulator;
let dropping: ZkTcpSimulator;
let soap: ZkSoapSimulator;
const push: Record<string, ZkPushSimulator> = {};
let pushTarget: string;
/** called after each command the gate-e simulator ran */
let onCommand: (() => void) | undefined;

function users(...args: string[]): Promise<CliRun> {
  return runCli((program) => registerUsersCommand(program, BUILTIN_DRIVERS), ['users', ...args, '--config', configFile]);
}

const zkEntry = (id: string, sim: ZkTcpSimulator): string => `  - {id: ${id}, driver: zk-tcp, host: 127.0.0.1, port: ${sim.address.port}, timeout: 5s, pollInterval: 1h}`;

beforeAll(async () => {
  dir = tmp.dir;
  lobby = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, serial: 'SIMLOBBY', users: 300, fingersPerUser: [1, 2], seed: 41, records: 0 });
  dropping = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, serial: 'SIMDROP', users: 0, records: 0, faults: { dropAfterUsers: 120 } });
  soap = new ZkSoapSimulator({ serial: 'SIMSOAPS', records: 0, users: 0 });
  await lobby.start();
  await dropping.start();
  await soap.start();
  const apiPort = await freePort();
  configFile = join(dir, 'gateway.yaml');
  writeFileSync(
    configFile,
    [
      `gateway: {id: gw-ud, site: UD, dataDir: ${join(dir, 'data')}}`,
      `api: {listen: 127.0.0.1:${apiPort}}`,
      'pushListener: {listen: 127.0.0.1:0}',
      'devices:',
      zkEntry('lobby', lobby),
      zkEntry('gate-d', dropping),
      '  - {id: gate-b, driver: zk-push, serial: SIMPUSHB}',
      '  - {id: gate-c, driver: zk-push, serial: SIMPUSHC}',
      '  - {id: gate-e, driver: zk-push, serial: SIMPUSHE, delay: 5}', // a users command waits max(60 s, 4 × delay)
      `  - {id: gate-s, driver: zk-soap, host: 127.0.0.1, port: ${soap.address.port}, serial: SIMSOAPS, timeout: 5s, pollInterval: 1h}`,
      'supervisor: {restartMin: 50ms, restartMax: 200ms, shutdownTimeout: 2s}',
      '',
    ].join('\n'),
  );
  gateway = new Gateway(parseConfigText((await import('node:fs')).readFileSync(configFile, 'utf8'), configFile, { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), drivers: BUILTIN_DRIVERS, api: startApiServer });
  await gateway.start();
  apiUrl = gateway.api!.url;
  const address = gateway.push!.app.server.address();
  const target = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  push['gate-b'] = new ZkPushSimulator({ target, serial: 'SIMPUSHB', retryMs: 20, pollMs: 5, fingerVersion: '10' });
  push['gate-c'] = new ZkPushSimulator({ target, serial: 'SIMPUSHC', retryMs: 20, pollMs: 5, fingerVersion: '12' });
  push['gate-e'] = new ZkPushSimulator({ target, serial: 'SIMPUSHE', retryMs: 20, pollMs: 5, fingerVersion: '10', onEvent: () => onCommand?.() });
  pushTarget = target;
  for (const sim of Object.values(push)) sim.start();
  await until(() => ['lobby', 'gate-d', 'gate-b', 'gate-c', 'gate-e'].every((id) => gateway.states.get(id)?.online === true), 'every terminal online');
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  for (const sim of Object.values(push)) await sim.stop();
  await lobby?.stop();
  await dropping?.stop();
  await soap?.stop();
  tmp.cleanup();
});

afterEach(() => {
  process.exitCode = undefined;
});

/** lobby's users and fingers as the zk-tcp terminal holds them: PIN → user, `pin:finger` → bytes */
function lobbyTable(): { users: Map<string, { pin: string; name: string; privilege: number; card: string; password: string; group: number }>; fingers: Map<string, Buffer> } {
  const byUid = new Map(lobby.enrolment.userList().map((u) => [u.uid, u]));
  const users = new Map([...byUid.values()].map(({ uid: _uid, ...u }) => [u.pin, u]));
  const fingers = new Map(lobby.enrolment.templateList().map((t) => [`${byUid.get(t.uid)!.pin}:${t.finger}`, t.data]));
  return { users, fingers };
}

const templateTexts = (): string[] => [...lobbyTable().fingers.values()].flatMap((data) => [data.toString('base64').slice(0, 40), data.toString('hex').slice(0, 40)]);

function noTemplateIn(text: string): void {
  for (const needle of templateTexts()) expect(text.includes(needle)).toBe(false);
}

describe('users copy from zk-tcp to zk-push through the daemon', () => {
  it('a dry run shows the diff and writes nothing', async () => {
    const run = await users('copy', 'lobby', 'gate-b', '--templates', '--dry-run');
    expect(run.exit).toBeUndefined();
    expect(run.out).toContain('users copy lobby → gate-b (serial SIMPUSHB)');
    expect(run.out).toContain('  added 300, updated 0, unchanged 0');
    expect(run.out).toContain('  dry run: nothing written, no backup made');
    expect(push['gate-b']!.users.size).toBe(0);
    noTemplateIn(run.out + run.err);
  });

  it('copies 300 users with their fingers; the push terminal holds them byte for byte; a second copy changes nothing', async () => {
    const source = lobbyTable();
    expect(source.users.size).toBe(300);
    const connections = lobby.stats.connections;
    const run = await users('copy', 'lobby', 'gate-b', '--templates');
    expect(lobby.stats.connections).toBe(connections); // read on the daemon driver's own connection
    expect(run.err).toBe('');
    expect(run.exit).toBeUndefined();
    expect(run.out).toMatch(/^users copy lobby at \S+ \(gateway gw-ud\): 300 users, \d+ templates in the source$/m);
    expect(run.out).toContain('  added 300, updated 0, unchanged 0, conflicting 0, skipped-for-algorithm 0, deleted 0, kept 0');
    expect(run.out).toContain(`  written 300 of 300, deleted 0 of 0, failed 0`);
    const backup = /backup: (\S+) \(0 users, 0 templates\)/.exec(run.out)?.[1];
    expect(backup).toMatch(/data\/backups\/gate-b-\d{8}T\d{6}Z\.jsonl$/);
    expect(statSync(backup!).mode & 0o777).toBe(0o600);

    const sim = push['gate-b']!;
    expect([...sim.users.keys()].sort()).toEqual([...source.users.keys()].sort());
    for (const [pin, user] of source.users) expect(sim.users.get(pin)).toEqual(user);
    expect(sim.fingers.size).toBe(source.fingers.size);
    for (const [key, data] of source.fingers) expect(Buffer.from(sim.fingers.get(key)!.tmp, 'base64').equals(data)).toBe(true);

    // read back through the daemon: `list --json` keeps its shape
    const listed = await users('list', 'gate-b', '--json');
    const body = JSON.parse(listed.out) as { deviceId: string; serial: string; algorithms: Record<string, string>; users: { pin: string; templates: { finger?: number } }[] };
    expect(Object.keys(body)).toEqual(['deviceId', 'serial', 'algorithms', 'users']);
    expect(body.algorithms).toEqual({ finger: 'finger:10' });
    const counts = new Map<string, number>();
    for (const key of source.fingers.keys()) counts.set(key.split(':')[0]!, (counts.get(key.split(':')[0]!) ?? 0) + 1);
    for (const u of body.users) expect(u.templates.finger).toBe(counts.get(u.pin));

    const again = await users('copy', 'lobby', 'gate-b', '--templates');
    expect(again.exit).toBeUndefined();
    expect(again.out).toContain('  added 0, updated 0, unchanged 300');
    expect(again.out).toContain('  nothing to write: no backup made');
    noTemplateIn(run.out + run.err + listed.out + again.out);
  }, 120_000);

  it('refuses templates of another algorithm version per user (~ZKFPVersion 10 → 12), writing the users without them', async () => {
    const run = await users('copy', 'lobby', 'gate-c', '--templates');
    expect(run.exit).toBeUndefined();
    expect(run.out).toContain('  added 300, updated 0');
    const mismatches = run.out.split('\n').filter((l) => /^ {2}\d+: templates not copied GW_ERR_USERS_ALGORITHM_MISMATCH: finger \d \(finger:10, the target finger:12\)/.test(l));
    expect(mismatches).toHaveLength(300);
    expect(push['gate-c']!.users.size).toBe(300);
    expect(push['gate-c']!.fingers.size).toBe(0);
  }, 120_000);
});

describe('a write through the daemon interrupted midway', () => {
  it('lists every unconfirmed user as failed; the same command again resumes with nothing lost or doubled', async () => {
    const first = await users('copy', 'lobby', 'gate-d', '--templates');
    expect(first.exit).toBe(1);
    expect(first.out).toMatch(/stopped GW_ERR_\w+: /);
    const failed = first.out.split('\n').filter((l) => l.startsWith('  failed write '));
    expect(failed.length).toBeGreaterThan(0);
    expect(dropping.enrolment.userCount).toBeLessThan(300);
    await until(() => gateway.states.get('gate-d')?.online === true, 'the daemon reconnected to gate-d');

    const second = await users('copy', 'lobby', 'gate-d', '--templates');
    expect(second.exit).toBeUndefined();
    expect(second.out).toContain('failed 0');
    const source = lobbyTable();
    const held = dropping.enrolment.userList();
    expect(held.map((u) => u.pin).sort()).toEqual([...source.users.keys()].sort()); // each PIN once
    for (const u of held) expect({ ...u, uid: undefined }).toEqual({ ...source.users.get(u.pin), uid: undefined });
    const pinOf = new Map(held.map((u) => [u.uid, u.pin]));
    const fingers = dropping.enrolment.templateList();
    expect(fingers).toHaveLength(source.fingers.size);
    for (const t of fingers) expect(t.data.equals(source.fingers.get(`${pinOf.get(t.uid)}:${t.finger}`)!)).toBe(true);
    // the first run's backup, and the second's (made before its first write)
    expect(readdirSync(join(dir, 'data', 'backups')).filter((f) => f.startsWith('gate-d-'))).toHaveLength(2);
  }, 120_000);
});

describe('a write to a push terminal that stops polling midway', () => {
  it('fails each unanswered user after the command timeout; run again on the terminal back, it resumes with nothing lost or doubled', async () => {
    const stopping = push['gate-e']!;
    // the terminal is switched off mid-copy, once it holds a hundred users: the rest of the reply
    // it is running is applied, and its results never reach the gateway
    let switchedOff: Promise<void> | undefined;
    onCommand = () => {
      if (stopping.users.size < 100 || switchedOff) return;
      onCommand = undefined;
      switchedOff = stopping.stop();
    };
    const cut = await users('copy', 'lobby', 'gate-e', '--templates');
    await switchedOff;
    expect(stopping.users.size).toBeLessThan(300);
    expect(cut.exit).toBe(1);
    expect(cut.out).toContain('stopped GW_ERR_DEVICE_TIMEOUT');
    const failed = cut.out.split('\n').filter((l) => l.startsWith('  failed write '));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length + stopping.users.size).toBeGreaterThanOrEqual(300);
    // the terminal comes back with what it holds
    const back = new ZkPushSimulator({ target: pushTarget, serial: 'SIMPUSHE', retryMs: 20, pollMs: 5, fingerVersion: '10' });
    for (const [pin, u] of stopping.users) back.users.set(pin, u);
    for (const [key, f] of stopping.fingers) back.fingers.set(key, f);
    const source = lobbyTable();
    const held = back.users.size;
    // a user whose USERINFO was answered and a FINGERTMP not: written again with its templates
    const partial = [...back.users.keys()].filter((pin) => [...source.fingers.keys()].some((k) => k.startsWith(`${pin}:`) && !back.fingers.has(k))).length;
    push['gate-e'] = back;
    back.start();
    const second = await users('copy', 'lobby', 'gate-e', '--templates');
    expect(second.exit).toBeUndefined();
    expect(second.out).toContain(`  added ${300 - held}, updated ${partial}, unchanged ${held - partial}`);
    expect([...back.users.keys()].sort()).toEqual([...source.users.keys()].sort());
    for (const [pin, u] of source.users) expect(back.users.get(pin)).toEqual(u);
    expect(back.fingers.size).toBe(source.fingers.size);
    for (const [key, data] of source.fingers) expect(Buffer.from(back.fingers.get(key)!.tmp, 'base64').equals(data)).toBe(true);
  }, 180_000);
});

describe('users copy from zk-tcp to zk-soap', () => {
  it('copies 300 users with their fingers to a SOAP terminal: read back byte for byte, no user doubled; a second copy changes nothing', async () => {
    const source = lobbyTable();
    const run = await users('copy', 'lobby', 'gate-s', '--templates');
    expect(run.exit).toBeUndefined();
    expect(run.out).toContain('users copy lobby → gate-s');
    expect(run.out).toContain('  added 300, updated 0, unchanged 0');
    noTemplateIn(run.out + run.err);
    // SetUserInfo adds a user every time on a real terminal: one user per PIN means none was doubled
    expect(soap.table.users).toHaveLength(300);
    const held = new Map(soap.table.users.map((u) => [u.pin, u]));
    for (const [pin, u] of source.users) expect(held.get(pin), pin).toMatchObject({ name: u.name, card: u.card, password: u.password });
    const fingers = new Map(soap.table.templates.map((t) => [`${t.pin}:${t.fingerId}`, t.data]));
    expect(fingers.size).toBe(source.fingers.size);
    for (const [key, data] of source.fingers) expect(fingers.get(key)?.equals(data), key).toBe(true);

    const again = await users('copy', 'lobby', 'gate-s', '--templates');
    expect(again.exit).toBeUndefined();
    expect(again.out).toContain('  added 0, updated 0, unchanged 300');
    expect(soap.table.users).toHaveLength(300);
  }, 120_000);
});

describe('the users jobs API', () => {
  const post = (body: unknown): Promise<Response> => fetch(`${apiUrl}/api/users/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers progress and outcome without a template byte; a second job on a busy device gets 409', async () => {
    const started = await post({ command: 'copy', from: 'lobby', to: ['gate-b'], templates: true, dryRun: true });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string; state: string };
    expect(job.state).toBe('running');
    const busy = await post({ command: 'list', device: 'gate-b' });
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ code: 'GW_ERR_USERS_JOB_BUSY' });
    const texts: string[] = [];
    let state = 'running';
    while (state === 'running') {
      const res = await fetch(`${apiUrl}/api/users/jobs/${job.id}`);
      const text = await res.text();
      texts.push(text);
      state = (JSON.parse(text) as { state: string }).state;
    }
    const done = JSON.parse(texts.at(-1)!) as { state: string; outcome: { targets: { report: { counts: Record<string, number>; changes: unknown[] } }[] } };
    expect(done.state).toBe('done');
    const counts = done.outcome.targets[0]!.report.counts;
    expect((counts.added ?? 0) + (counts.unchanged ?? 0)).toBe(300);
    noTemplateIn(texts.join('\n'));
    expect(texts.join('\n')).not.toMatch(/"(data|tmp|password)"/);
    // an export the daemon writes under dataDir when no path is given: the path, not the content
    const exported = await post({ command: 'export', device: 'gate-b', templates: true });
    const id = ((await exported.json()) as { id: string }).id;
    let text = '';
    do text = await (await fetch(`${apiUrl}/api/users/jobs/${id}`)).text();
    while ((JSON.parse(text) as { state: string }).state === 'running');
    noTemplateIn(text);
    const file = (JSON.parse(text) as { outcome: { file: string; templates: number } }).outcome;
    expect(file.file).toMatch(/data\/exports\/gate-b-\d{8}T\d{6}Z\.jsonl$/);
    expect(file.templates).toBe(lobbyTable().fingers.size);
    expect(statSync(file.file).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('refuses a relative path, an unknown device, a device named twice, and a request from another web origin', async () => {
    const crossSite = await fetch(`${apiUrl}/api/users/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify({ command: 'list', device: 'gate-b' }) });
    expect(crossSite.status).toBe(403);
    expect((await post({ command: 'export', device: 'gate-b', out: 'relative.jsonl' })).status).toBe(400);
    expect(await (await post({ command: 'list', device: 'nope' })).json()).toMatchObject({ code: 'GW_ERR_API_NOT_FOUND' });
    const twice = await post({ command: 'copy', from: 'lobby', to: ['gate-b', 'gate-b'] });
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({ code: 'GW_ERR_USERS_INPUT_INVALID' });
  });
});

describe('a zk-push terminal with no daemon running', () => {
  it('says that its users commands need the running daemon (exit 69), touching nothing', async () => {
    const file = join(dir, 'no-daemon.yaml');
    writeFileSync(file, `gateway: {id: gw-ud, site: UD, dataDir: ${join(dir, 'nodaemon')}}\napi: {listen: 127.0.0.1:${await freePort()}}\ndevices:\n  - {id: gate-b, driver: zk-push, serial: SIMPUSHB}\n`);
    const saved = configFile;
    configFile = file;
    try {
      const run = await users('copy', 'gate-b', 'gate-x');
      expect(run.exit).toBe(78); // an unknown target is refused first
      const list = await users('list', 'gate-b');
      expect(list.exit).toBe(69);
      expect(list.err).toMatch(/^users list: GW_ERR_USERS_DAEMON_NEEDED: "gate-b" is a zk-push terminal: .* so its users commands need the running daemon, and no daemon answered at http:\/\/127\.0\.0\.1:\d+ .*start it \(sudo systemctl start absensi-gateway\)/);
    } finally {
      configFile = saved;
    }
  });
});
