// The zk-tcp users session end to end: two simulators on real loopback sockets, the session opened
// through the family's definition (drivers/zk-tcp/definition.ts `users.load`), users and
// templates read from one terminal and written to the other, read back and compared byte for byte.
import { afterEach, describe, expect, it } from 'vitest';
import { zkTcpDriver } from '../../../drivers/zk-tcp/definition.js';
import type { UsersAccess, UsersFacet, UsersSession } from '../../../src/devices/facets.js';
import type { ZkTcpConfig } from '../../../drivers/zk-tcp/config.js';
import type { TemplateRecord, TerminalUser, UserWithTemplates } from '../../../src/users/user.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { driverConfig, startSim } from './harness.js';

const sims: ZkTcpSimulator[] = [];
const sessions: UsersSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const s of sims.splice(0)) await s.stop();
});

async function sim(options: Parameters<typeof startSim>[0]): Promise<ZkTcpSimulator> {
  const started = await startSim(options);
  sims.push(started);
  return started;
}

async function access(): Promise<UsersAccess<ZkTcpConfig>> {
  const facet = zkTcpDriver.users as UsersFacet<ZkTcpConfig>;
  expect(facet.alongsideDaemon).toBe(false);
  return facet.load();
}

async function open(terminal: ZkTcpSimulator, overrides: Record<string, unknown> = {}): Promise<UsersSession> {
  const session = await (await access()).open(driverConfig(terminal, { timeout: '5s', ...overrides }), { logger: silentLogger(), signal: new AbortController().signal });
  sessions.push(session);
  return session;
}

async function closeAll(): Promise<void> {
  for (const s of sessions.splice(0)) await s.close();
}

const byPin = (a: { pin: string }, b: { pin: string }): number => a.pin.localeCompare(b.pin);
const templateKey = (t: TemplateRecord): string => `${t.pin}/${t.index}`;

function withTemplates(users: TerminalUser[], templates: TemplateRecord[]): UserWithTemplates[] {
  return users.map((user) => ({ user, templates: templates.filter((t) => t.pin === user.pin) }));
}

/** Reads everything a terminal holds through a fresh session. */
async function readAll(terminal: ZkTcpSimulator): Promise<{ users: TerminalUser[]; templates: TemplateRecord[] }> {
  const session = await open(terminal);
  const users = (await session.listUsers()).sort(byPin);
  const templates = (await session.readTemplates()).sort((a, b) => templateKey(a).localeCompare(templateKey(b)));
  await closeAll();
  return { users, templates };
}

function expectSameTemplates(actual: TemplateRecord[], expected: TemplateRecord[]): void {
  expect(actual.map(templateKey)).toEqual(expected.map(templateKey));
  for (const [i, t] of expected.entries()) {
    const got = actual[i] as TemplateRecord;
    expect({ ...got, data: undefined }).toEqual({ ...t, data: undefined });
    expect(got.data.equals(t.data), `template ${templateKey(t)} byte for byte`).toBe(true);
  }
}

describe('zk-tcp users and templates between two terminals', () => {
  it('copies 300 users with 1–2 templates each and reads them back byte for byte', async () => {
    const source = await sim({ users: 300, fingersPerUser: [1, 2], seed: 3 });
    const target = await sim({ users: 0, serial: 'SIM0000000002' });
    const read = await readAll(source);
    expect(read.users).toHaveLength(300);
    expect(read.templates).toHaveLength(source.enrolment.templateCount);
    expect(read.templates.length).toBeGreaterThan(300);
    // what the session read is what the source terminal holds
    const sourceBytes = new Map(source.enrolment.templateList().map((t) => [`${source.enrolment.userList().find((u) => u.uid === t.uid)?.pin}/${t.finger}`, t.data]));
    for (const t of read.templates) expect(sourceBytes.get(templateKey(t))?.equals(t.data)).toBe(true);

    const writer = await open(target);
    expect(writer.serial).toBe('SIM0000000002');
    expect(await writer.algorithms()).toEqual({ finger: 'finger:10' });
    const progress: number[] = [];
    const outcomes = await writer.writeUsers(withTemplates(read.users, read.templates), (done) => progress.push(done));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes.map((o) => o.pin).sort()).toEqual(read.users.map((u) => u.pin));
    expect(progress.at(-1)).toBe(300);
    await closeAll();
    expect(target.stats.commands.SAVE_USERTEMPS).toBeGreaterThan(1); // batched uploads, not one per user nor one for all
    expect(target.disabled).toBe(false);

    const back = await readAll(target);
    expect(back.users).toEqual(read.users);
    expectSameTemplates(back.templates, read.templates);
    // an empty terminal given the users in table order numbers them as the source did: the two
    // terminals' own tables, as they put them on the wire, are the same bytes
    expect(target.enrolment.usersDataset().equals(source.enrolment.usersDataset())).toBe(true);
    expect(target.enrolment.templatesDataset().equals(source.enrolment.templatesDataset())).toBe(true);
  });

  it('resumes a write the terminal dropped after K users: nothing lost, nothing doubled', async () => {
    const source = await sim({ users: 120, fingersPerUser: [0, 2], seed: 5 });
    const target = await sim({ users: 0, faults: { dropAfterUsers: 77 } });
    const read = await readAll(source);
    expect(read.users.some((u) => read.templates.every((t) => t.pin !== u.pin))).toBe(true); // some users without templates (CMD_USER_WRQ)

    const first = await open(target);
    const done: number[] = [];
    await expect(first.writeUsers(withTemplates(read.users, read.templates), (n) => done.push(n))).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_UNREACHABLE' });
    await closeAll();
    expect(target.enrolment.userCount).toBe(77);
    expect(done.at(-1) ?? 0).toBeLessThan(77); // the batch the drop cut was never answered

    const again = await open(target);
    const outcomes = await again.writeUsers(withTemplates(read.users, read.templates));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await closeAll();

    const back = await readAll(target);
    expect(back.users).toEqual(read.users);
    expectSameTemplates(back.templates, read.templates);
    expect(target.enrolment.userCount).toBe(120);
    expect(target.enrolment.templateCount).toBe(source.enrolment.templateCount);
    expect(new Set(target.enrolment.userList().map((u) => u.uid)).size).toBe(120);
  });

  it('reports the algorithm the terminal states, and none when it states none', async () => {
    const v9 = await sim({ users: 3, fingersPerUser: [1, 1], fingerVersion: '9' });
    const silent = await sim({ users: 3, fingersPerUser: [1, 1], fingerVersion: null });
    const a = await open(v9);
    expect(await a.algorithms()).toEqual({ finger: 'finger:9' });
    expect(new Set((await a.readTemplates()).map((t) => t.algorithm))).toEqual(new Set(['finger:9']));
    await closeAll();
    const b = await open(silent);
    expect(await b.algorithms()).toEqual({});
    expect(new Set((await b.readTemplates()).map((t) => t.algorithm))).toEqual(new Set(['finger:unknown']));
  });

  it('refuses, per user, templates of another algorithm or kind, and what a 28-byte record cannot hold', async () => {
    const target = await sim({ users: 2, userSize: 28, fingerVersion: '9' });
    const session = await open(target);
    const data = Buffer.from('template bytes');
    const user = (pin: string, name = `User ${pin}`): TerminalUser => ({ pin, name, privilege: 0, card: '', password: '', group: 1 });
    const finger = (pin: string, algorithm: string, kind: TemplateRecord['kind'] = 'finger'): TemplateRecord => ({ pin, kind, index: 0, algorithm, valid: true, data });
    const outcomes = await session.writeUsers([
      { user: user('5001'), templates: [finger('5001', 'finger:10')] },
      { user: user('5002'), templates: [finger('5002', 'face:7', 'face')] },
      { user: user('0503'), templates: [] },
      { user: user('5004', 'A name longer than eight bytes'), templates: [finger('5004', 'finger:9')] },
      { user: { ...user('5005'), password: '123456' }, templates: [] },
    ]);
    expect(outcomes.map((o) => [o.pin, o.ok, o.ok ? undefined : o.code])).toEqual([
      ['5001', false, 'GW_ERR_USERS_ALGORITHM_MISMATCH'], ['5002', false, 'GW_ERR_USERS_USER_INVALID'], ['0503', false, 'GW_ERR_USERS_USER_INVALID'],
      ['5005', false, 'GW_ERR_USERS_USER_INVALID'], ['5004', true, undefined],
    ]);
    expect(outcomes.find((o) => o.pin === '0503')).toMatchObject({ message: expect.stringContaining('leading zero') });
    expect(target.enrolment.userCount).toBe(3);
    expect(target.enrolment.byPin('5004')?.name).toBe('A name l'); // cut to the 8 bytes of the record
    expect(target.enrolment.templateCount).toBe(1);
  });

  it('updates a user in place, writes users without templates with CMD_USER_WRQ, and deletes users with their templates', async () => {
    const target = await sim({ users: 5, fingersPerUser: [2, 2] });
    const session = await open(target);
    const users = await session.listUsers();
    const first = users[0] as TerminalUser;
    const uid = target.enrolment.byPin(first.pin)?.uid;
    const outcomes = await session.writeUsers([{ user: { ...first, name: 'Renamed', card: '12345' }, templates: [] }]);
    expect(outcomes).toEqual([{ pin: first.pin, ok: true }]);
    expect(target.enrolment.byPin(first.pin)).toMatchObject({ uid, name: 'Renamed', card: '12345' });
    expect(target.enrolment.userCount).toBe(5);
    expect(target.stats.commands.USER_WRQ).toBe(1);
    expect(target.enrolment.templateCount).toBe(10); // templates not carried are left as they are

    const deleted = await session.deleteUsers([first.pin, (users[1] as TerminalUser).pin, '99999']);
    expect(deleted.every((o) => o.ok)).toBe(true);
    expect(target.enrolment.userCount).toBe(3);
    expect(target.enrolment.templateCount).toBe(6);
    expect((await session.listUsers()).map((u) => u.pin)).toEqual(users.slice(2).map((u) => u.pin));
  });

  it('a batch the terminal refuses (full) is retried user by user: each user gets its own outcome', async () => {
    const source = await sim({ users: 5, fingersPerUser: [1, 1] });
    const target = await sim({ users: 0, userCapacity: 3 });
    const read = await readAll(source);
    const session = await open(target);
    const outcomes = await session.writeUsers(withTemplates(read.users, read.templates));
    expect(outcomes.map((o) => [o.pin, o.ok])).toEqual([['1001', true], ['1002', true], ['1003', true], ['1004', false], ['1005', false]]);
    expect(outcomes[3]).toMatchObject({ code: 'GW_ERR_USERS_WRITE_FAILED', message: expect.stringContaining('CMD_ACK_ERROR') });
    expect(target.stats.commands.SAVE_USERTEMPS).toBe(1 + 5);
    expect(target.enrolment.userCount).toBe(3);
    expect(target.enrolment.templateCount).toBe(3);
  });

  it('a user enrolled at the keypad before the write keeps its number: the write reads the table with the keypad locked', async () => {
    const target = await sim({ users: 2 });
    const session = await open(target);
    await session.listUsers(); // an earlier read: uids 1 and 2
    target.enrolment.writeUser({ uid: 3, pin: '7777', name: 'At the keypad', privilege: 0, card: '', password: '', group: 1 });
    const outcomes = await session.writeUsers([{ user: { pin: '8888', name: 'From the centre', privilege: 0, card: '', password: '', group: 1 }, templates: [] }]);
    expect(outcomes).toEqual([{ pin: '8888', ok: true }]);
    expect(target.enrolment.byPin('7777')?.uid).toBe(3);
    expect(target.enrolment.byPin('8888')?.uid).toBe(4);
  });

  it('reads and deletes over UDP on a 28-byte terminal', async () => {
    const target = await sim({ users: 4, userSize: 28, fingersPerUser: [1, 1] });
    const session = await open(target, { transport: 'udp' });
    const users = await session.listUsers();
    expect(users.map((u) => u.pin)).toEqual(['1001', '1002', '1003', '1004']);
    expect(await session.readTemplates(['1002'])).toHaveLength(1);
    expect((await session.deleteUsers(['1002'])).every((o) => o.ok)).toBe(true);
    expect(target.stats.commands.DELETE_USERTEMP).toBe(1);
    expect(target.enrolment.templateCount).toBe(3);
  });
});
