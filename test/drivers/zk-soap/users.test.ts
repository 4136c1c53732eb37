// zk-soap users side end to end, over real loopback sockets between two SOAP simulators: 300 users
// with 1-2 templates copied from one terminal to another through the session and read back byte
// for byte; a connection dropped midway leaves per-user outcomes and a second write completes with
// nothing doubled; algorithm mismatches refused; templates not carried kept; deletes.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { zkSoapConfigSchema } from '../../../drivers/zk-soap/config.js';
import { zkSoapDriver } from '../../../drivers/zk-soap/definition.js';
import type { UsersAccess, UsersFacet, UsersSession, UserWriteOutcome } from '../../../src/devices/facets.js';
import { ZkSoapSimulator, type ZkSoapSimOptions } from '../../../src/sim/zkSoap/index.js';
import { GatewayError } from '../../../src/util/errors.js';
import { byPin, templateLine, usersSnapshot, withTemplates } from '../../helpers/usersSnapshot.js';

const sims: ZkSoapSimulator[] = [];
const sessions: UsersSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const s of sims.splice(0)) await s.stop();
});

async function startSim(options: ZkSoapSimOptions): Promise<ZkSoapSimulator> {
  const sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, records: 0, ...options });
  await sim.start();
  sims.push(sim);
  return sim;
}

async function access(): Promise<UsersAccess<ReturnType<typeof zkSoapConfigSchema.parse>>> {
  const facet = zkSoapDriver.users as UsersFacet<ReturnType<typeof zkSoapConfigSchema.parse>>;
  expect(facet.alongsideDaemon).toBe(true);
  return facet.load();
}

async function open(sim: ZkSoapSimulator, commKey = '0'): Promise<UsersSession> {
  const config = zkSoapConfigSchema.parse({ id: `soap-${sim.address.port}`, driver: 'zk-soap', host: '127.0.0.1', port: sim.address.port, commKey, timeout: '5s' });
  const session = await (await access()).open(config, { logger: pino({ level: 'silent' }), signal: new AbortController().signal });
  sessions.push(session);
  return session;
}

describe('zk-soap users session', () => {
  it('copies 300 users with 1-2 templates to a second terminal, byte for byte', async () => {
    const source = await startSim({ users: 300, templatesPerUser: 'mixed' });
    const target = await startSim({ users: 0 });
    const from = await open(source);
    const to = await open(target);
    expect(await from.algorithms()).toEqual({ finger: 'finger:10' });
    expect(from.serial).toBe('SIMSOAP00001');
    const before = await usersSnapshot(from);
    expect(before.users).toHaveLength(300);
    expect(before.templates).toHaveLength(450);
    const progress: number[] = [];
    const outcomes = await to.writeUsers(withTemplates(before.users, await from.readTemplates()), (done) => progress.push(done));
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(progress.at(-1)).toBe(300);
    expect(await usersSnapshot(to)).toEqual(before);
    expect(target.table.users).toHaveLength(300);
    expect(target.stats.calls.RefreshDB).toBe(1);
  });

  it('a connection dropped midway leaves per-user outcomes; a second write completes with nothing doubled', async () => {
    const source = await startSim({ users: 300, templatesPerUser: 'mixed' });
    const target = await startSim({ users: 0, faults: { dropAfterWrites: 500 } });
    const from = await open(source);
    const to = await open(target);
    const want = await usersSnapshot(from);
    const batch = withTemplates(want.users, await from.readTemplates());
    let answered = 0;
    const first = await to.writeUsers(batch, (done) => (answered = done)).then(() => undefined, (error: unknown) => error);
    expect(first).toBeInstanceOf(GatewayError);
    expect(target.stats.dropped).toBe(1);
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(300);
    // every user the progress counted is on the target whole
    const partial = await usersSnapshot(to);
    const done = batch.slice(0, answered);
    expect(partial.users.filter((u) => done.some((d) => d.user.pin === u.pin))).toEqual(done.map((d) => d.user).sort(byPin));
    for (const d of done) for (const t of d.templates) expect(partial.templates).toContain(templateLine(t));

    const second: UserWriteOutcome[] = await to.writeUsers(batch);
    expect(second.every((o) => o.ok)).toBe(true);
    expect(await usersSnapshot(to)).toEqual(want);
    expect(target.table.users).toHaveLength(300);
    expect(new Set(target.table.users.map((u) => u.pin)).size).toBe(300);
    expect(target.table.templates).toHaveLength(want.templates.length);
  });

  it('refuses templates of another algorithm version and leaves those users untouched', async () => {
    const source = await startSim({ users: 4, templatesPerUser: 1 });
    const target = await startSim({ users: 0, fingerAlgorithm: '9' });
    const from = await open(source);
    const to = await open(target);
    const users = await from.listUsers();
    const outcomes = await to.writeUsers([...withTemplates(users, await from.readTemplates()), { user: { ...users[0]!, pin: '77' }, templates: [] }]);
    expect(outcomes.slice(0, 4).map((o) => (o.ok ? 'ok' : o.code))).toEqual(Array(4).fill('GW_ERR_USERS_ALGORITHM_MISMATCH'));
    expect(outcomes[4]).toEqual({ pin: '77', ok: true });
    expect(target.table.users.map((u) => u.pin)).toEqual(['77']);
  });

  it('keeps the templates the write does not carry', async () => {
    const target = await startSim({ users: 3, templatesPerUser: 2 });
    const to = await open(target);
    const [user] = (await to.listUsers()).filter((u) => u.pin === '2');
    const finger0 = (await to.readTemplates(['2'])).find((t) => t.index === 0)!;
    const replacement = { ...finger0, data: Buffer.concat([finger0.data.subarray(0, 6), Buffer.alloc(300, 7)]) };
    expect(await to.writeUsers([{ user: { ...user!, name: 'Renamed' }, templates: [replacement] }])).toEqual([{ pin: '2', ok: true }]);
    const after = await to.readTemplates(['2']);
    expect(after.map((t) => t.index).sort()).toEqual([0, 5]);
    expect(after.find((t) => t.index === 0)!.data.equals(replacement.data)).toBe(true);
    expect((await to.listUsers()).find((u) => u.pin === '2')?.name).toBe('Renamed');
  });

  it('reads the algorithm from the templates when GetOption ~ZKFPVersion is not answered, and none when there are none', async () => {
    const marked = await startSim({ users: 5, templatesPerUser: 1, fingerAlgorithm: null });
    expect(await (await open(marked)).algorithms()).toEqual({ finger: 'finger:10' });
    const empty = await startSim({ users: 5, fingerAlgorithm: null });
    const session = await open(empty);
    expect(await session.algorithms()).toEqual({});
    const [user] = await session.listUsers();
    const outcome = await session.writeUsers([{ user: user!, templates: [{ pin: user!.pin, kind: 'finger', index: 1, algorithm: 'finger:10', valid: true, data: Buffer.from('xxSS21abc') }] }]);
    expect(outcome[0]).toMatchObject({ ok: false, code: 'GW_ERR_USERS_ALGORITHM_MISMATCH' });
  });

  it('deletes users, each with its outcome, and reports an invalid user without sending it', async () => {
    const target = await startSim({ users: 6, templatesPerUser: 1 });
    const to = await open(target);
    const outcomes = await to.deleteUsers(['2', '4', '99']);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'ok', 'GW_ERR_USERS_WRITE_FAILED']);
    expect((await to.listUsers()).map((u) => u.pin)).toEqual(['1', '3', '5', '6']);
    expect(target.table.templates.map((t) => t.pin)).toEqual(['1', '3', '5', '6']);
    const [bad] = await to.writeUsers([{ user: { pin: '8', name: 'Emoji \u{1F600}', privilege: 0, card: '', password: '', group: 1 }, templates: [] }]);
    expect(bad).toMatchObject({ pin: '8', ok: false, code: 'GW_ERR_USERS_USER_INVALID' });
  });

  it('refuses to open with a wrong comm key', async () => {
    const sim = await startSim({ users: 2, commKey: '1234' });
    await expect(open(sim, '9')).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_AUTH' });
  });
});
