// The zk-push users side end to end over real HTTP on loopback: a whole gateway with a zk-push
// device, the zk-push simulator polling getrequest like a terminal (executing USERINFO / FINGERTMP
// commands into its own table, posting devicecmd results and OPERLOG uploads), and the daemon-side
// UsersSession over the running driver. Plus the command queue's reply limits and timeouts.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandQueue, REPLY_LIMITS } from '../../../drivers/zk-push/commands.js';
import type { ZkPushDriver } from '../../../drivers/zk-push/driver.js';
import { ZkPushUsersSession } from '../../../drivers/zk-push/users.js';
import type { Gateway } from '../../../src/gateway.js';
import { ZkPushSimulator, type SimFaceForm } from '../../../src/sim/zkPush/index.js';
import { daemonUsersSession, isUsersLender } from '../../../src/devices/usersLender.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import { importUsersRemotely } from '../../../src/commands/usersImport.js';
import type { UserWithTemplates } from '../../../src/users/user.js';
import { GatewayError } from '../../../src/util/errors.js';
import { silentLogger } from '../../../src/util/logger.js';
import { captureLog, type CapturedLog } from '../../helpers/logLines.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { pushUrl, startPushGateway } from './gatewayHarness.js';

describe('command queue', () => {
  it('a reply carries at most 200 commands, in queue order', () => {
    const q = new CommandQueue();
    const ids = Array.from({ length: 450 }, (_, i) => q.enqueue(`CHECK ${i}`).id);
    const replies = [q.takeUnsent(), q.takeUnsent(), q.takeUnsent(), q.takeUnsent()];
    expect(replies.map((r) => r.length)).toEqual([REPLY_LIMITS.commands, REPLY_LIMITS.commands, 50, 0]);
    expect(replies.flat().map((c) => c.id)).toEqual(ids);
  });

  it('a reply stays within 40 KB; a lone command over it still goes, alone', () => {
    const q = new CommandQueue();
    const template = `DATA UPDATE FINGERTMP PIN=1\tFID=0\tSize=2000\tValid=1\tTMP=${'A'.repeat(2000)}`;
    for (let i = 0; i < 60; i += 1) q.enqueue(template);
    const replies: { id: string; command: string }[][] = [];
    for (let r = q.takeUnsent(); r.length > 0; r = q.takeUnsent()) replies.push(r);
    for (const reply of replies) expect(reply.reduce((n, c) => n + Buffer.byteLength(`C:${c.id}:${c.command}\n`), 0)).toBeLessThanOrEqual(REPLY_LIMITS.bytes);
    expect(replies.length).toBeGreaterThan(1);
    expect(replies.flat()).toHaveLength(60);
    const big = new CommandQueue();
    big.enqueue('X'.repeat(REPLY_LIMITS.bytes + 1));
    big.enqueue('CHECK');
    expect(big.takeUnsent().map((c) => c.command.length)).toEqual([REPLY_LIMITS.bytes + 1]);
    expect(big.takeUnsent().map((c) => c.command)).toEqual(['CHECK']);
  });

  it('a command the terminal never polled for fails with GW_ERR_DEVICE_TIMEOUT and leaves the queue; a late result completes nothing', async () => {
    const q = new CommandQueue();
    const { id, result } = q.enqueue('DATA QUERY USERINFO', { timeoutMs: 20 });
    await expect(result).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_TIMEOUT', message: expect.stringContaining('did not poll') });
    expect(q.pending).toBe(0);
    expect(q.complete({ id, returnCode: 0, cmd: 'DATA', values: {} })).toBeUndefined();
  });

  it('a command taken and never answered says so; close() fails the commands that have a timeout', async () => {
    const q = new CommandQueue();
    const taken = q.enqueue('CHECK', { timeoutMs: 20 });
    q.takeUnsent();
    await expect(taken.result).rejects.toThrow(/took command .* reported no result/);
    const waiting = q.enqueue('INFO', { timeoutMs: 60_000 });
    q.enqueue('DATA QUERY ATTLOG StartTime=2026-01-01 00:00:00\tEndTime=2026-01-02 00:00:00');
    q.close('stopped');
    await expect(waiting.result).rejects.toBeInstanceOf(GatewayError);
    expect(q.pending).toBe(1); // the backfill, queued without a timeout, waits for the terminal
  });
});

const SERIAL = 'SIMPUSHUSR01';
let tmp: ReturnType<typeof tempDir> | undefined;
let gateway: Gateway | undefined;
let sim: ZkPushSimulator | undefined;
let captured: CapturedLog | undefined;

afterEach(async () => {
  await sim?.stop();
  await gateway?.stop();
  tmp?.cleanup();
  sim = undefined;
  gateway = undefined;
});

async function setup(options: { fingerVersion?: string; maxUsers?: number; faces?: SimFaceForm } = {}): Promise<{ session: ZkPushUsersSession; driver: ZkPushDriver }> {
  tmp = tempDir();
  captured = captureLog('debug');
  gateway = await startPushGateway({ dir: tmp.dir, devices: [{ id: 'gate-b', serial: SERIAL }], log: captured.log });
  sim = new ZkPushSimulator({ target: pushUrl(gateway), serial: SERIAL, retryMs: 20, pollMs: 5, ...options });
  sim.start();
  const driver = gateway.supervisor.driverOf('gate-b') as ZkPushDriver;
  return { driver, session: driver.usersSession(silentLogger()) };
}

function people(n: number, algorithm = 'finger:10'): UserWithTemplates[] {
  return Array.from({ length: n }, (_, i) => {
    const pin = String(i + 1).padStart(4, '0');
    const fingers = 1 + (i % 2);
    return {
      user: { pin, name: `Pegawai ${i + 1}`, privilege: i === 0 ? 14 : 0, card: i % 3 === 0 ? String(1_000_000 + i) : '', password: i % 5 === 0 ? '1234' : '', group: 1 },
      templates: Array.from({ length: fingers }, (_, f) => ({ pin, kind: 'finger' as const, index: f * 5, algorithm, valid: true, data: randomBytes(400 + ((i * 7 + f) % 300)) })),
    };
  });
}

describe('zk-push users through the running driver and the simulator', () => {
  it('writes 300 users with 1-2 templates each; the terminal holds them byte for byte and reads them back', async () => {
    const { session } = await setup();
    expect(await session.algorithms()).toEqual({ finger: 'finger:10' });
    const batch = people(300);
    const progress: number[] = [];
    const outcomes = await session.writeUsers(batch, (done) => progress.push(done));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(progress.at(-1)).toBe(300);
    // what the terminal holds, as its own table
    const table = sim!.userTable();
    expect(table.users.map((u) => u.pin).sort()).toEqual(batch.map((b) => b.user.pin));
    for (const { user, templates } of batch) {
      expect(sim!.users.get(user.pin)).toEqual(user);
      for (const t of templates) expect(Buffer.from(sim!.fingers.get(`${user.pin}:${t.index}`)!.tmp, 'base64').equals(t.data)).toBe(true);
    }
    // and read back through DATA QUERY and the OPERLOG uploads
    const users = await session.listUsers();
    expect(users.sort((a, b) => a.pin.localeCompare(b.pin))).toEqual(batch.map((b) => b.user));
    const templates = await session.readTemplates();
    expect(templates).toHaveLength(batch.reduce((n, b) => n + b.templates.length, 0));
    const byKey = new Map(templates.map((t) => [`${t.pin}:${t.index}`, t]));
    for (const t of batch.flatMap((b) => b.templates)) {
      const read = byKey.get(`${t.pin}:${t.index}`)!;
      expect(read.data.equals(t.data)).toBe(true);
      expect(read.algorithm).toBe('finger:10');
    }
    // templates of some PINs only
    expect((await session.readTemplates(['0001', '0002'])).map((t) => `${t.pin}:${t.index}`).sort()).toEqual(['0001:0', '0002:0', '0002:5']);
    // no template text and no keypad password in any gateway log line
    const logText = JSON.stringify(captured!.lines);
    for (const t of batch.slice(0, 20).flatMap((b) => b.templates)) expect(logText).not.toContain(t.data.toString('base64').slice(0, 24));
    expect(logText).not.toContain('Passwd=1234');
  });

  it('deletes users (an absent PIN is ok), and an empty terminal lists none', async () => {
    const { session } = await setup();
    await session.writeUsers(people(3));
    const outcomes = await session.deleteUsers(['0001', '0002', '9999']);
    expect(outcomes).toEqual([{ pin: '0001', ok: true }, { pin: '0002', ok: true }, { pin: '9999', ok: true }]);
    expect([...sim!.users.keys()]).toEqual(['0003']);
    expect([...sim!.fingers.keys()].every((k) => k.startsWith('0003:'))).toBe(true);
    await session.deleteUsers(['0003']);
    expect(await session.listUsers()).toEqual([]);
    expect(await session.readTemplates()).toEqual([]);
  });

  it('refuses templates of another algorithm version: that user is not written, the others are', async () => {
    const { session } = await setup({ fingerVersion: '9' });
    const [withV10] = people(1);
    const bare = { user: { ...withV10!.user, pin: '0100' }, templates: [] };
    const outcomes = await session.writeUsers([withV10!, bare]);
    expect(outcomes[0]).toMatchObject({ pin: '0001', ok: false, code: 'GW_ERR_USERS_ALGORITHM_MISMATCH' });
    expect(outcomes[1]).toEqual({ pin: '0100', ok: true });
    expect([...sim!.users.keys()]).toEqual(['0100']);
    expect(sim!.fingers.size).toBe(0);
  });

  it('a user the terminal refuses is that user\'s GW_ERR_USERS_WRITE_FAILED with the Return code; one no line can carry is never sent', async () => {
    const { session } = await setup({ maxUsers: 2 });
    const batch = people(3);
    const outcomes = await session.writeUsers([{ user: { ...batch[0]!.user, pin: '0050', name: 'ok\tPri=14' }, templates: [] }, ...batch]);
    expect(outcomes[0]).toMatchObject({ pin: '0050', ok: false, code: 'GW_ERR_USERS_USER_INVALID' });
    expect(outcomes.slice(1, 3)).toEqual([{ pin: '0001', ok: true }, { pin: '0002', ok: true }]);
    expect(outcomes[3]).toMatchObject({ pin: '0003', ok: false, code: 'GW_ERR_USERS_WRITE_FAILED', message: expect.stringContaining('Return=-5 (no space left on the terminal)') });
    expect([...sim!.users.keys()].sort()).toEqual(['0001', '0002']);
    // an existing user is replaced, not refused, on a full terminal
    expect(await session.writeUsers([{ user: { ...batch[1]!.user, name: 'Ganti' }, templates: [] }])).toEqual([{ pin: '0002', ok: true }]);
    expect(sim!.users.get('0002')!.name).toBe('Ganti');
    expect(sim!.fingers.has('0002:5')).toBe(true); // templates not carried are left as they are
  });

  it('an enrolment at the terminal is uploaded on OPERLOG and read by the next query', async () => {
    const { session } = await setup();
    const data = randomBytes(500);
    sim!.enrol({ pin: '0777', name: 'Baru', privilege: 0, password: '', card: '', group: 1 }, [{ fid: 3, valid: true, tmp: data.toString('base64') }]);
    const users = await session.listUsers();
    expect(users.map((u) => u.pin)).toEqual(['0777']);
    const [t] = await session.readTemplates(['0777']);
    expect(t!.data.equals(data)).toBe(true);
  });

  it('a terminal that stops polling fails the write with GW_ERR_DEVICE_TIMEOUT; no user is reported answered, nothing stays queued', async () => {
    const { driver } = await setup();
    const session = new ZkPushUsersSession(driver, silentLogger(), 300);
    await session.writeUsers(people(2));
    await sim!.stop();
    const answered: string[] = [];
    await expect(session.writeUsers(people(5), (_d, _t, o) => o && answered.push(o.pin))).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_TIMEOUT' });
    expect(answered).toEqual([]);
    // every command of the lost write leaves the queue with its timeout: nothing is sent later
    await until(() => driver.commands.pending === 0, 'the queue empties');
  });

  it('lends its users session to the daemon (daemonUsersSession) once the terminal polls; before that it says the terminal is not polling', async () => {
    const { driver } = await setup();
    expect(isUsersLender(driver)).toBe(true);
    const entry = { id: 'gate-b', driver: 'zk-push' } as Parameters<typeof daemonUsersSession>[1];
    await until(() => driver.terminalInfo().ZKFPVersion !== undefined, 'the terminal polls and answers INFO');
    const session = await daemonUsersSession({ drivers: BUILTIN_DRIVERS, supervisor: gateway!.supervisor }, entry, { logger: silentLogger(), signal: AbortSignal.timeout(60_000) });
    expect(await session.algorithms()).toEqual({ finger: 'finger:10' });
    expect((await session.writeUsers(people(3))).every((o) => o.ok)).toBe(true);
    await session.close();
    await driver.stop();
    await expect(driver.borrowUsersSession(new AbortController().signal)).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_UNREACHABLE' });
  });

  it('takes the remote users-import through the lent session: a backup first, the list written, nothing deleted', async () => {
    const { driver } = await setup();
    await until(() => driver.terminalInfo().ZKFPVersion !== undefined, 'the terminal polls and answers INFO');
    const parts = { config: gateway!.config, drivers: BUILTIN_DRIVERS, log: silentLogger(), supervisor: gateway!.supervisor };
    const csv = 'pin,name,card,privilege\n00123,Budi Santoso,4000123,user\n00124,Ani,,admin\n';
    const answer = await importUsersRemotely(parts, { csv, devices: ['gate-b'] }, AbortSignal.timeout(60_000));
    expect(answer.targets).toEqual([expect.objectContaining({ device: 'gate-b', ok: true, written: 2, backup: expect.any(String) })]);
    const session = await driver.borrowUsersSession(AbortSignal.timeout(60_000));
    const held = await session.listUsers();
    await session.close();
    expect(held.map((u) => [u.pin, u.name])).toEqual(expect.arrayContaining([['00123', 'Budi Santoso'], ['00124', 'Ani']]));
  });
});

/** people(n) with a face of `faceTemplates` templates of `algorithm` each */
function withFaces(n: number, algorithm: string, faceTemplates = 12): UserWithTemplates[] {
  return people(n).map(({ user, templates }) => ({
    user,
    templates: [...templates, ...Array.from({ length: faceTemplates }, (_, index) => ({ pin: user.pin, kind: 'face' as const, index, algorithm, valid: true, data: randomBytes(300 + index) }))],
  }));
}

const FACE_TABLE: SimFaceForm = { form: 'FACE', version: '7' };
const BIODATA_VL: SimFaceForm = { form: 'BIODATA', type: 9, majorVer: '58', minorVer: '0' };

describe('zk-push faces through the running driver and the simulator', () => {
  it.each([
    ['the FACE table (FaceVersion 7)', FACE_TABLE, 'face:7', 12, 'DATA UPDATE FACE', 'DATA DELETE FACE'],
    ['the BIODATA table (Type 9, 58.0)', BIODATA_VL, 'face:vl:58.0', 1, 'DATA UPDATE BIODATA', 'DATA DELETE BIODATA'],
  ])('%s: faces written, held byte for byte, read back with their algorithm, deleted with the user', async (_name, faces, algorithm, count, update, remove) => {
    const { session } = await setup({ faces });
    expect(await session.algorithms()).toEqual({ finger: 'finger:10', face: algorithm });
    const batch = withFaces(5, algorithm, count);
    expect((await session.writeUsers(batch)).filter((o) => !o.ok)).toEqual([]);
    expect(sim!.commandsRun.filter((c) => c.command.startsWith(update))).toHaveLength(5 * count);
    for (const t of batch.flatMap((b) => b.templates)) {
      const held = t.kind === 'face' ? sim!.faces.get(`${t.pin}:${t.index}`)?.tmp : sim!.fingers.get(`${t.pin}:${t.index}`)?.tmp;
      expect(Buffer.from(held!, 'base64').equals(t.data), `${t.pin} ${t.kind} ${t.index}`).toBe(true);
    }
    const read = await session.readTemplates();
    const line = (t: { pin: string; kind: string; index: number; algorithm: string; data: Buffer }): string => `${t.pin}/${t.kind}/${t.index}/${t.algorithm}/${t.data.toString('hex')}`;
    expect(read.map(line).sort()).toEqual(batch.flatMap((b) => b.templates).map(line).sort());
    // the terminal uploaded what the queries asked on its own table, and nothing of it reached a log line
    const logText = JSON.stringify(captured!.lines);
    for (const t of batch.flatMap((b) => b.templates)) expect(logText).not.toContain(t.data.toString('base64').slice(0, 24));
    expect(await session.deleteUsers(['0001', '0002'])).toEqual([{ pin: '0001', ok: true }, { pin: '0002', ok: true }]);
    expect(sim!.commandsRun.filter((c) => c.command.startsWith(remove)).map((c) => c.returnCode)).toEqual([0, 0]);
    expect([...sim!.faces.keys()].some((k) => k.startsWith('0001:') || k.startsWith('0002:'))).toBe(false);
    expect((await session.readTemplates()).filter((t) => t.kind === 'face')).toHaveLength(3 * count);
  });

  it('a face of another algorithm is refused per user, never forced: on a BIODATA terminal, on a FACE terminal of another version, on one without faces', async () => {
    for (const [faces, held] of [[BIODATA_VL, 'face:vl:58.0'], [{ form: 'FACE', version: '8' } as SimFaceForm, 'face:8'], [undefined, undefined]] as const) {
      const { session } = await setup(faces ? { faces } : {});
      const [withFace] = withFaces(1, 'face:7');
      const bare = { user: { ...withFace!.user, pin: '0100' }, templates: withFace!.templates.filter((t) => t.kind === 'finger') };
      const outcomes = await session.writeUsers([withFace!, bare]);
      const why = held ? `the terminal's is ${held}` : "the terminal's face algorithm is unknown";
      expect(outcomes[0]).toMatchObject({ pin: '0001', ok: false, code: 'GW_ERR_USERS_ALGORITHM_MISMATCH', message: expect.stringContaining(why) });
      expect(outcomes[1]).toEqual({ pin: '0100', ok: true });
      expect([...sim!.users.keys()]).toEqual(['0100']);
      expect(sim!.faces.size).toBe(0);
      await sim!.stop();
      await gateway!.stop();
      tmp!.cleanup();
    }
    sim = gateway = tmp = undefined;
  });

  it.each([['FACE', FACE_TABLE], ['BIODATA', BIODATA_VL]])('a face enrolled at a %s terminal is uploaded like a device does and read by the next query', async (_name, faces) => {
    const { session } = await setup({ faces });
    const face = randomBytes(700);
    sim!.enrol({ pin: '0777', name: 'Baru', privilege: 0, password: '', card: '', group: 1 }, [{ fid: 2, valid: true, tmp: randomBytes(400).toString('base64') }], [{ index: 0, valid: true, tmp: face.toString('base64') }]);
    await until(() => (sim!.attempts['cdata-post'] ?? 0) > 0, 'the enrolment is uploaded');
    const read = await session.readTemplates(['0777']);
    expect(read.map((t) => `${t.kind}/${t.index}`).sort()).toEqual(['face/0', 'finger/2']);
    expect(read.find((t) => t.kind === 'face')!.data.equals(face)).toBe(true);
  });

  it('the simulator answers face commands with the SDK return codes', async () => {
    const codes = async (faces: SimFaceForm | undefined, commands: string[]): Promise<(number | null)[]> => {
      const { driver } = await setup(faces ? { faces } : {});
      await until(() => driver.terminalInfo().ZKFPVersion !== undefined, 'the terminal answers INFO');
      sim!.users.set('1', { pin: '1', name: 'A', privilege: 0, password: '', card: '', group: 1 });
      const results = await Promise.all(commands.map((c) => driver.queueCommand(c, 30_000).result));
      await sim!.stop();
      await gateway!.stop();
      tmp!.cleanup();
      sim = gateway = tmp = undefined;
      return results.map((r) => r.returnCode);
    };
    expect(await codes(FACE_TABLE, [
      'DATA UPDATE FACE PIN=1\tFID=0\tSize=4\tValid=1\tTMP=QUJD',
      'DATA UPDATE FACE PIN=2\tFID=0\tSize=4\tValid=1\tTMP=QUJD',
      'DATA UPDATE FACE PIN=1\tFID=0\tSize=8\tValid=1\tTMP=QUJD',
      'DATA UPDATE FACE PIN=1\tFID=12\tSize=4\tValid=1\tTMP=QUJD',
      'DATA UPDATE FACE',
      'DATA UPDATE BIODATA Pin=1\tType=9\tMajorVer=58\tTmp=QUJD',
      'DATA DELETE FACE PIN=2',
      'DATA DELETE FACE PIN=1',
    ])).toEqual([0, -10, -9, -1, -1002, -1004, -10, 0]);
    expect(await codes(BIODATA_VL, [
      'DATA UPDATE BIODATA Pin=1\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=58\tMinorVer=0\tFormat=0\tTmp=QUJD',
      'DATA UPDATE BIODATA Pin=1\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=38\tMinorVer=0\tFormat=0\tTmp=QUJD',
      'DATA UPDATE BIODATA Pin=2\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=58\tMinorVer=0\tFormat=0\tTmp=QUJD',
      'DATA QUERY BIODATA Type=9\tPin=1',
      'DATA QUERY BIODATA Type=9\tPin=3',
      'DATA UPDATE FACE PIN=1\tFID=0\tSize=4\tValid=1\tTMP=QUJD',
    ])).toEqual([0, -11, -10, 0, -4, -1004]);
    expect(await codes(undefined, ['DATA UPDATE FACE PIN=1\tFID=0\tSize=4\tValid=1\tTMP=QUJD', 'DATA QUERY BIODATA Type=9\tPin=1'])).toEqual([-1004, -1004]);
  });
});
