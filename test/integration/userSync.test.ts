// userSync groups in the running daemon, over loopback HTTP to simulated EasyLink bridges whose
// drivers run meanwhile: a user enrolled at one terminal reaches the other after a round, templates
// byte for byte, each target backed up first; a finger enrolled for a user both hold fills the slot;
// a conflict is listed in /api/users/conflicts (behind the token) and neither side changes; a
// member that cannot be reached does not stop the others; nothing is deleted; a zk-soap terminal's
// users and fingers reach an EasyLink one (the simulated zk-soap terminal over loopback SOAP).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { FingerspotSimulator } from '../../src/sim/fingerspot/index.js';
import { ZkSoapSimulator } from '../../src/sim/zkSoap/simulator.js';
import type { SimEasyLinkUser } from '../../src/sim/fingerspot/userTable.js';
import { captureLog } from '../helpers/logLines.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'userSync-test-token-0123456789';
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const sims: { stop(): Promise<void> }[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
  for (const s of sims.splice(0)) await s.stop();
});

let n = 0;
const SN = (i: number): string => `FIO6620802123${String(1000 + i)}`;

async function bridge(users: number, templatesPerUser: 0 | 1 | 2 = 2): Promise<{ sim: FingerspotSimulator; sn: string; table: () => SimEasyLinkUser[] }> {
  const sn = SN(++n);
  const sim = new FingerspotSimulator({ serials: [sn], userTable: { users, templatesPerUser }, statesAlgorithm: true });
  await sim.start();
  sims.push(sim);
  return { sim, sn, table: () => sim.terminal(sn).users.users };
}

async function daemon(members: { id: string; port: number; sn: string; driver?: 'zk-soap' }[], group: string[] = members.map((m) => m.id)) {
  const dataDir = join(tmp.dir, `gw${++n}`);
  const entry = (m: (typeof members)[number]): string =>
    m.driver === 'zk-soap' ? `  - {id: ${m.id}, driver: zk-soap, host: 127.0.0.1, port: ${m.port}, serial: ${m.sn}, timeout: 5s, pollInterval: 1h}\n` : `  - {id: ${m.id}, driver: fingerspot-easylink, host: 127.0.0.1, port: ${m.port}, serial: ${m.sn}, timeout: 5s, pollInterval: 1h}\n`;
  const devices = members.map(entry).join('');
  const text = `gateway: {id: gw-sync, site: SYN, dataDir: ${dataDir}}\napi: {listen: 127.0.0.1:0, token: ${TOKEN}}\ndevices:\n${devices}userSync:\n  - {name: gedung-a, devices: [${group.join(', ')}], interval: 1h}\n`;
  const captured = captureLog('info');
  const gateway = new Gateway(parseConfigText(text, 'userSync.yaml', { drivers: BUILTIN_DRIVERS }), { log: captured.log, drivers: BUILTIN_DRIVERS, api: startApiServer });
  gateways.push(gateway);
  await gateway.start();
  const sync = gateway.userSync!;
  const api = async (path: string, token: string | undefined = TOKEN): Promise<Response> => fetch(`${gateway.api!.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { gateway, sync, api, captured, dataDir };
}

const shape = (users: readonly SimEasyLinkUser[]): unknown[] =>
  [...users].sort((a, b) => Number(a.pin) - Number(b.pin)).map((u) => ({ ...u, templates: [...u.templates].sort((x, y) => x.idx - y.idx).map((t) => ({ idx: t.idx, algVer: t.algVer, hex: t.data.toString('hex') })) }));

describe('userSync in the daemon', () => {
  it('copies a user enrolled at one terminal to the other, templates byte for byte, each target backed up first', async () => {
    const a = await bridge(3);
    const b = await bridge(0);
    const { sync, api, dataDir } = await daemon([{ id: 'gate-a', port: a.sim.address.port, sn: a.sn }, { id: 'gate-b', port: b.sim.address.port, sn: b.sn }]);

    await sync.settled(); // the round start() runs at once
    const first = sync.rounds()[0]!.last!;
    expect(first.result).toBe('ok');
    expect(first.members.map((m) => [m.deviceId, m.written])).toEqual([['gate-a', 0], ['gate-b', 3]]);
    expect(shape(b.table())).toEqual(shape(a.table()));
    const backups = readdirSync(join(dataDir, 'backups'));
    expect(backups).toEqual([expect.stringMatching(/^gate-b-\d{8}T\d{6}Z\.jsonl$/)]);
    expect(statSync(join(dataDir, 'backups', backups[0]!)).mode & 0o777).toBe(0o600);

    // enrolled at gate B: a new user with a finger, and a second finger for a user both hold
    const data = Buffer.from('LSSS21 enrolled at gate b: a template of its own');
    b.table().push({ pin: '42', name: 'Ani', password: '4242', rfid: '7654321', privilege: 0, templates: [{ idx: 3, algVer: '10', data }] });
    const extra = Buffer.from('LSSS21 finger 7 of user 1');
    b.table().find((u) => u.pin === '1')!.templates.push({ idx: 7, algVer: '10', data: extra });
    const second = await sync.round('gedung-a');
    expect(second.members.map((m) => [m.deviceId, m.written])).toEqual([['gate-a', 2], ['gate-b', 0]]);
    expect(shape(a.table())).toEqual(shape(b.table()));
    expect(a.table().find((u) => u.pin === '42')!.templates[0]!.data.equals(data)).toBe(true);
    expect(readdirSync(join(dataDir, 'backups')).filter((f) => f.startsWith('gate-a-'))).toHaveLength(1);

    // a user removed at one terminal is not removed at the other: it is copied back (deletions never propagate)
    b.table().splice(b.table().findIndex((u) => u.pin === '2'), 1);
    const third = await sync.round('gedung-a');
    expect(third.members.map((m) => m.written)).toEqual([0, 1]);
    expect(a.table().map((u) => u.pin)).toContain('2');

    const metrics = await (await api('/metrics')).text();
    // the first round of start() and the two driven here
    expect(metrics).toMatch(/gateway_user_sync_total\{group="gedung-a",result="ok"\} 3/);
    expect(metrics).toMatch(/gateway_user_sync_conflicts\{group="gedung-a"\} 0/);
  });

  it('reports a conflict in /api/users/conflicts, behind the token, and changes neither side', async () => {
    const a = await bridge(2, 1);
    const b = await bridge(0);
    b.table().push({ ...structuredClone(a.table()[0]!), name: 'Budi Santoso', templates: [] });
    a.table().push({ pin: '9', name: 'Citra', password: '', rfid: '111', privilege: 0, templates: [] });
    b.table().push({ pin: '9', name: 'Citra', password: '', rfid: '222', privilege: 0, templates: [] });
    const before = { a: shape(a.table()), b: shape(b.table()) };
    const { sync, api, captured } = await daemon([{ id: 'gate-a', port: a.sim.address.port, sn: a.sn }, { id: 'gate-b', port: b.sim.address.port, sn: b.sn }]);
    await sync.round('gedung-a');
    await sync.round('gedung-a');

    expect((await api('/api/users/conflicts', '')).status).toBe(401);
    const res = await api('/api/users/conflicts');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { groups: { group: string; result: string; conflicts: unknown[] }[] };
    expect(body.groups).toHaveLength(1);
    expect(body.groups[0]).toMatchObject({ group: 'gedung-a', devices: ['gate-a', 'gate-b'], result: 'ok' });
    expect(body.groups[0]!.conflicts).toEqual([
      { pin: '1', fields: ['name'], devices: [{ deviceId: 'gate-a', name: 'Pegawai 1', card: '' }, { deviceId: 'gate-b', name: 'Budi Santoso', card: '' }] },
      { pin: '9', fields: ['card'], devices: [{ deviceId: 'gate-a', name: 'Citra', card: '111' }, { deviceId: 'gate-b', name: 'Citra', card: '222' }] },
    ]);
    expect(JSON.stringify(body)).not.toMatch(/template|password|LSSS/i);

    // user 2 went to B; the conflicting users 1 and 9 stayed as each terminal holds them
    expect(shape(a.table())).toEqual(before.a);
    expect(shape(b.table().filter((u) => u.pin !== '2'))).toEqual(before.b);
    expect(b.table().map((u) => u.pin)).toContain('2');
    // logged when first seen, not again every round
    expect(captured.withCode('GW_ERR_USERS_CONFLICT').map((l) => l.pin)).toEqual(['1', '9']);
    expect(JSON.stringify(captured.lines)).not.toMatch(/LSSS|4242/);
  });

  it('a member that cannot be reached does not stop the others', async () => {
    const a = await bridge(2);
    const b = await bridge(0);
    const gone = await bridge(0);
    const gonePort = gone.sim.address.port;
    await gone.sim.stop();
    sims.splice(sims.indexOf(gone.sim), 1);
    const { sync, api, captured } = await daemon([
      { id: 'gate-a', port: a.sim.address.port, sn: a.sn },
      { id: 'gate-gone', port: gonePort, sn: gone.sn },
      { id: 'gate-b', port: b.sim.address.port, sn: b.sn },
    ]);
    await sync.settled();
    const round = sync.rounds()[0]!.last!;
    expect(round.result).toBe('partial');
    expect(round.members.find((m) => m.deviceId === 'gate-gone')).toMatchObject({ ok: false, written: 0 });
    expect(round.members.find((m) => m.deviceId === 'gate-gone')!.error!.code).toMatch(/^GW_ERR_/);
    expect(shape(b.table())).toEqual(shape(a.table()));
    const warned = captured.withCode(round.members.find((m) => m.deviceId === 'gate-gone')!.error!.code).filter((l) => l.device === 'gate-gone' && l.group === 'gedung-a');
    expect(warned.length).toBeGreaterThan(0);
    const body = (await (await api('/api/users/conflicts')).json()) as { groups: { members: { deviceId: string; ok: boolean; code: string | null }[] }[] };
    expect(body.groups[0]!.members.find((m) => m.deviceId === 'gate-gone')).toMatchObject({ ok: false, code: expect.stringMatching(/^GW_ERR_/) });
    expect(await (await api('/metrics')).text()).toMatch(/gateway_user_sync_total\{group="gedung-a",result="partial"\} 1/);
  });

  it('copies between families: a zk-soap terminal\'s users and fingers reach an EasyLink terminal byte for byte', async () => {
    const soap = new ZkSoapSimulator({ users: 3, templatesPerUser: 1, serial: 'SIMSOAP00042' });
    await soap.start();
    sims.push(soap);
    const b = await bridge(0);
    const { sync } = await daemon([{ id: 'aula', port: soap.address.port, sn: 'SIMSOAP00042', driver: 'zk-soap' }, { id: 'gate-b', port: b.sim.address.port, sn: b.sn }]);
    await sync.settled();
    expect(sync.rounds()[0]!.last).toMatchObject({ result: 'ok', conflicts: [] });
    const held = b.table();
    expect(held.map((u) => [u.pin, u.name])).toEqual(soap.table.users.map((u) => [u.pin, u.name]));
    expect(soap.table.templates).toHaveLength(3);
    for (const t of soap.table.templates) {
      const copied = held.find((u) => u.pin === t.pin)!.templates.find((x) => x.idx === t.fingerId)!;
      expect(copied.data.equals(t.data)).toBe(true);
    }
  });
});
