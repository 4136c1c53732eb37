// Face templates on zk-push terminals, end to end on real parts over loopback: a Gateway in-process
// (local API on 127.0.0.1, push listener), zk-push simulators that store faces in the BIODATA table
// (visible light, 58.0) or the old FACE table (FaceVersion 7), and a zk-tcp simulator that stores
// none. Through the `users` CLI and the daemon: users with 1-2 fingers and a face copied between two
// push terminals and compared byte for byte; a face of another algorithm refused and reported, on a
// push terminal and on a zk-tcp one (skipped-for-algorithm, the fingers still copied). A userSync
// group of push terminals: a face enrolled at one reaches the other; the member of another face
// algorithm gets the user and fingers and counts the face it did not get. No template text in any
// CLI output, API answer or gateway log line.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { registerUsersCommand } from '../../src/cli/users.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { ZkPushSimulator, type SimFaceForm } from '../../src/sim/zkPush/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { freePort } from '../../src/util/net.js';
import { captureLog, type CapturedLog } from '../helpers/logLines.js';
import { runCli, type CliRun } from '../helpers/cliRun.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const tmp = tempDir();
let configFile: string;
let apiUrl: string;
let gateway: Gateway;
let captured: CapturedLog;
let lobby: ZkTcpSimulator;
const push: Record<string, ZkPushSimulator> = {};
/** every template text the test put on a terminal: none may show anywhere */
const secrets: string[] = [];

const VL: SimFaceForm = { form: 'BIODATA', type: 9, majorVer: '58', minorVer: '0' };
const OLD: SimFaceForm = { form: 'FACE', version: '7' };
const PUSH_DEVICES: Record<string, { serial: string; faces: SimFaceForm }> = {
  'gate-a': { serial: 'SIMFACEA', faces: VL },
  'gate-b': { serial: 'SIMFACEB', faces: VL },
  'gate-old': { serial: 'SIMFACEOLD', faces: OLD },
  'gate-old2': { serial: 'SIMFACEOLD2', faces: OLD },
  'sync-a': { serial: 'SIMSYNCA', faces: VL },
  'sync-b': { serial: 'SIMSYNCB', faces: VL },
  'sync-old': { serial: 'SIMSYNCOLD', faces: OLD },
};

function users(...args: string[]): Promise<CliRun> {
  return runCli((program) => registerUsersCommand(program, BUILTIN_DRIVERS), ['users', ...args, '--config', configFile]);
}

function template(bytes: number): string {
  const tmp64 = randomBytes(bytes).toString('base64');
  secrets.push(tmp64.slice(0, 32), Buffer.from(tmp64, 'base64').toString('hex').slice(0, 32));
  return tmp64;
}

/** 20 users on gate-a, each with 1-2 fingers and one visible-light face, as the terminal holds them */
function enrolSource(sim: ZkPushSimulator): void {
  for (let i = 1; i <= 20; i += 1) {
    const pin = String(i).padStart(5, '0');
    sim.users.set(pin, { pin, name: `Pegawai ${i}`, privilege: i === 1 ? 14 : 0, password: i % 4 === 0 ? '2468' : '', card: i % 3 === 0 ? String(7_000_000 + i) : '', group: 1 });
    for (let f = 0; f < 1 + (i % 2); f += 1) sim.fingers.set(`${pin}:${f * 6}`, { pin, fid: f * 6, valid: true, tmp: template(400 + i) });
    sim.faces.set(`${pin}:0`, { pin, index: 0, valid: true, tmp: template(1600 + i) });
  }
}

const fingersOf = (sim: ZkPushSimulator): string[] => [...sim.fingers.values()].map((f) => `${f.pin}/${f.fid}/${f.valid}/${Buffer.from(f.tmp, 'base64').toString('hex')}`).sort();
const facesOf = (sim: ZkPushSimulator): string[] => [...sim.faces.values()].map((f) => `${f.pin}/${f.index}/${f.valid}/${Buffer.from(f.tmp, 'base64').toString('hex')}`).sort();
const usersOf = (sim: ZkPushSimulator): unknown[] => [...sim.users.values()].sort((a, b) => a.pin.localeCompare(b.pin));

function noTemplateIn(text: string): void {
  for (const needle of secrets) expect(text.includes(needle), 'template text shown').toBe(false);
}

beforeAll(async () => {
  lobby = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, serial: 'SIMFACETCP', users: 0, records: 0 });
  await lobby.start();
  configFile = join(tmp.dir, 'gateway.yaml');
  writeFileSync(
    configFile,
    [
      `gateway: {id: gw-faces, site: FC, dataDir: ${join(tmp.dir, 'data')}}`,
      `api: {listen: 127.0.0.1:${await freePort()}}`,
      'pushListener: {listen: 127.0.0.1:0}',
      'devices:',
      `  - {id: lobby, driver: zk-tcp, host: 127.0.0.1, port: ${lobby.address.port}, timeout: 5s, pollInterval: 1h}`,
      ...Object.entries(PUSH_DEVICES).map(([id, d]) => `  - {id: ${id}, driver: zk-push, serial: ${d.serial}}`),
      'userSync:',
      '  - {name: lobi, devices: [sync-a, sync-b, sync-old], interval: 1h}',
      'supervisor: {restartMin: 50ms, restartMax: 200ms, shutdownTimeout: 2s}',
      '',
    ].join('\n'),
  );
  captured = captureLog('debug');
  gateway = new Gateway(parseConfigText(readFileSync(configFile, 'utf8'), configFile, { drivers: BUILTIN_DRIVERS }), { log: captured.log, drivers: BUILTIN_DRIVERS, api: startApiServer });
  await gateway.start();
  apiUrl = gateway.api!.url;
  const address = gateway.push!.app.server.address();
  const target = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const [id, d] of Object.entries(PUSH_DEVICES)) push[id] = new ZkPushSimulator({ target, serial: d.serial, retryMs: 20, pollMs: 5, fingerVersion: '10', faces: d.faces });
  enrolSource(push['gate-a']!);
  for (const sim of Object.values(push)) sim.start();
  await until(() => ['lobby', ...Object.keys(PUSH_DEVICES)].every((id) => gateway.states.get(id)?.online === true), 'every terminal online');
  await until(() => Object.keys(PUSH_DEVICES).every((id) => gateway.states.get(id)?.details?.info !== undefined), 'every push terminal answered INFO');
  await gateway.userSync!.settled();
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  for (const sim of Object.values(push)) await sim.stop();
  await lobby?.stop();
  tmp.cleanup();
});

afterEach(() => {
  process.exitCode = undefined;
});

describe('users copy of faces between zk-push terminals, through the daemon', () => {
  it('copies 20 users with their fingers and faces (BIODATA, 58.0); the target holds them byte for byte and lists them; a second copy changes nothing', async () => {
    const run = await users('copy', 'gate-a', 'gate-b', '--templates');
    expect(run.err).toBe('');
    expect(run.exit).toBeUndefined();
    expect(run.out).toContain('  added 20, updated 0, unchanged 0, conflicting 0, skipped-for-algorithm 0, deleted 0, kept 0');
    expect(run.out).toContain('  written 20 of 20, deleted 0 of 0, failed 0');
    const [a, b] = [push['gate-a']!, push['gate-b']!];
    expect(usersOf(b)).toEqual(usersOf(a));
    expect(fingersOf(b)).toEqual(fingersOf(a));
    expect(facesOf(b)).toEqual(facesOf(a));
    expect(facesOf(b)).toHaveLength(20);

    const listed = await users('list', 'gate-b', '--json');
    const body = JSON.parse(listed.out) as { algorithms: Record<string, string>; users: { pin: string; templates: { finger?: number; face?: number } }[] };
    expect(body.algorithms).toEqual({ finger: 'finger:10', face: 'face:vl:58.0' });
    expect(body.users).toHaveLength(20);
    for (const u of body.users) expect(u.templates).toEqual({ finger: 1 + (Number(u.pin) % 2), face: 1 });

    const again = await users('copy', 'gate-a', 'gate-b', '--templates');
    expect(again.out).toContain('  added 0, updated 0, unchanged 20');
    noTemplateIn(run.out + run.err + listed.out + again.out);
  }, 120_000);

  it('refuses a face of another algorithm (face:vl:58.0 to a FACE-table terminal of FaceVersion 7) per user, and copies the users and fingers', async () => {
    const run = await users('copy', 'gate-a', 'gate-old', '--templates');
    expect(run.exit).toBeUndefined();
    expect(run.out).toContain('  added 20, updated 0');
    expect(run.out).toContain('  templates: 30 to write, 20 not copied for their algorithm');
    const refused = run.out.split('\n').filter((l) => /^ {2}\d{5}: templates not copied GW_ERR_USERS_ALGORITHM_MISMATCH: face 0 \(face:vl:58\.0, the target face:7\)$/.test(l));
    expect(refused).toHaveLength(20);
    const old = push['gate-old']!;
    expect(usersOf(old)).toEqual(usersOf(push['gate-a']!));
    expect(fingersOf(old)).toEqual(fingersOf(push['gate-a']!));
    expect(old.faces.size).toBe(0);
    expect(old.commandsRun.some((c) => /^DATA UPDATE (FACE|BIODATA)/.test(c.command))).toBe(false);
    noTemplateIn(run.out + run.err);
  }, 120_000);

  it('copies the FACE table too (FaceVersion 7 to 7): twelve templates a face, byte for byte, through DATA UPDATE FACE', async () => {
    const old = push['gate-old']!;
    for (const pin of old.users.keys()) for (let fid = 0; fid < 12; fid += 1) old.faces.set(`${pin}:${fid}`, { pin, index: fid, valid: true, tmp: template(200 + fid) });
    const run = await users('copy', 'gate-old', 'gate-old2', '--templates');
    expect(run.exit).toBeUndefined();
    expect(run.out).toContain('  added 20, updated 0, unchanged 0, conflicting 0, skipped-for-algorithm 0');
    const copy = push['gate-old2']!;
    expect(usersOf(copy)).toEqual(usersOf(old));
    expect(fingersOf(copy)).toEqual(fingersOf(old));
    expect(facesOf(copy)).toEqual(facesOf(old));
    expect(copy.commandsRun.filter((c) => c.command.startsWith('DATA UPDATE FACE ')).map((c) => c.returnCode)).toEqual(Array.from({ length: 240 }, () => 0));
    noTemplateIn(run.out + run.err);
  }, 120_000);

  it('a zk-tcp terminal, which stores no faces, still reports them skipped and takes the fingers', async () => {
    const run = await users('copy', 'gate-a', 'lobby', '--templates');
    expect(run.exit).toBeUndefined();
    expect(run.out).toContain('  added 20, updated 0');
    expect(run.out.split('\n').filter((l) => l.includes('face 0 (face:vl:58.0, the target reports no algorithm)'))).toHaveLength(20);
    const pinOf = new Map(lobby.enrolment.userList().map((u) => [u.uid, u.pin]));
    expect(lobby.enrolment.templateList().map((t) => `${pinOf.get(t.uid)}/${t.finger}/true/${t.data.toString('hex')}`).sort()).toEqual(fingersOf(push['gate-a']!));
    noTemplateIn(run.out + run.err);
  }, 120_000);
});

describe('userSync of a group of push terminals', () => {
  it('a face enrolled at one reaches the other byte for byte; the member of another face algorithm gets the user and fingers and counts the face', async () => {
    const [a, b, old] = [push['sync-a']!, push['sync-b']!, push['sync-old']!];
    a.enrol({ pin: '9001', name: 'Tamu Baru', privilege: 0, password: '', card: '5550901', group: 1 }, [{ fid: 1, valid: true, tmp: template(500) }, { fid: 6, valid: true, tmp: template(480) }], [{ index: 0, valid: true, tmp: template(2048) }]);
    const round = await gateway.userSync!.round('lobi');
    expect(round.result).toBe('ok');
    expect(usersOf(b)).toEqual(usersOf(a));
    expect(fingersOf(b)).toEqual(fingersOf(a));
    expect(facesOf(b)).toEqual(facesOf(a));
    expect(facesOf(b)).toHaveLength(1);
    expect(usersOf(old)).toEqual(usersOf(a));
    expect(fingersOf(old)).toEqual(fingersOf(a));
    expect(old.faces.size).toBe(0);
    expect(round.members.map((m) => [m.deviceId, m.written, m.skippedForAlgorithm])).toEqual([['sync-a', 0, 0], ['sync-b', 1, 0], ['sync-old', 1, 1]]);

    // what the API answers and the gateway logs: counts and codes, never a template
    const conflicts = await (await fetch(`${apiUrl}/api/users/conflicts`)).text();
    expect(JSON.parse(conflicts)).toMatchObject({ groups: [{ group: 'lobi', result: 'ok', members: expect.arrayContaining([expect.objectContaining({ deviceId: 'sync-old', skippedForAlgorithm: 1 })]) }] });
    const devices = await (await fetch(`${apiUrl}/api/devices`)).text();
    noTemplateIn(conflicts + devices);
    expect(captured.withCode('GW_ERR_USERS_ALGORITHM_MISMATCH').length).toBeGreaterThan(0);
    noTemplateIn(JSON.stringify(captured.lines));
  }, 120_000);
});
