// userSync between two zk-tcp terminals in the running daemon (simulators over loopback TCP): each
// terminal serves one client, so the group goes through each running driver's own connection (its
// loan): the users and fingers enrolled at gate A reach gate B byte for byte, gate B backed up first,
// with no second connection to either terminal; a conflict is reported and neither side changes;
// the punches go on being read.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { captureLog } from '../helpers/logLines.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const sims: ZkTcpSimulator[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
  for (const s of sims.splice(0)) await s.stop();
});

let n = 0;
async function terminal(options: ConstructorParameters<typeof ZkTcpSimulator>[0]): Promise<ZkTcpSimulator> {
  const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, serial: `SIMSYNC${++n}`, ...options });
  await sim.start();
  sims.push(sim);
  return sim;
}

async function daemon(a: ZkTcpSimulator, b: ZkTcpSimulator): Promise<{ gateway: Gateway; dataDir: string }> {
  const dataDir = join(tmp.dir, `gw${++n}`);
  const entry = (id: string, sim: ZkTcpSimulator): string => `  - {id: ${id}, driver: zk-tcp, host: 127.0.0.1, port: ${sim.address.port}, timeout: 5s, pollInterval: 1h}\n`;
  const text = `gateway: {id: gw-zk-sync, site: SYN, dataDir: ${dataDir}}\napi: {listen: 127.0.0.1:0}\ndevices:\n${entry('gate-a', a)}${entry('gate-b', b)}userSync:\n  - {name: gerbang, devices: [gate-a, gate-b], interval: 1h}\n`;
  const gateway = new Gateway(parseConfigText(text, 'userSync.yaml', { drivers: BUILTIN_DRIVERS }), { log: captureLog('info').log, drivers: BUILTIN_DRIVERS });
  gateways.push(gateway);
  await gateway.start();
  await until(() => gateway.states.get('gate-a')?.online === true && gateway.states.get('gate-b')?.online === true, 'both terminals online');
  await gateway.userSync!.settled(); // the round start() ran, maybe before the drivers were connected
  return { gateway, dataDir };
}

const usersOf = (sim: ZkTcpSimulator): unknown[] => sim.enrolment.userList().map(({ uid: _uid, ...u }) => u).sort((x, y) => x.pin.localeCompare(y.pin));
function fingersOf(sim: ZkTcpSimulator): string[] {
  const pinOf = new Map(sim.enrolment.userList().map((u) => [u.uid, u.pin]));
  return sim.enrolment.templateList().map((t) => `${pinOf.get(t.uid)}/${t.finger}/${t.data.toString('hex')}`).sort();
}

describe('userSync between zk-tcp terminals, through the running drivers', () => {
  it('copies users and fingers enrolled at gate A to gate B on the drivers own connections', async () => {
    const a = await terminal({ records: 10, users: 4, fingersPerUser: [1, 2], seed: 11 });
    const b = await terminal({ records: 0, users: 0, seed: 12 });
    const { gateway, dataDir } = await daemon(a, b);
    const connections = [a.stats.connections, b.stats.connections];

    const first = await gateway.userSync!.round('gerbang');
    expect(first.result).toBe('ok');
    expect(usersOf(b)).toEqual(usersOf(a));
    expect(fingersOf(b)).toEqual(fingersOf(a));
    expect(readdirSync(join(dataDir, 'backups'))).toEqual([expect.stringMatching(/^gate-b-\d{8}T\d{6}Z\.jsonl$/)]);

    // a new employee enrolled at gate A's keypad, with two fingers
    expect(a.enrolment.enrolAtKeypad({ pin: '7001', name: 'Pegawai Baru', privilege: 0, card: '', password: '', group: 1 }, [Buffer.from('finger zero of 7001'), Buffer.from('finger one of 7001')])).toBe(true);
    const second = await gateway.userSync!.round('gerbang');
    expect(second.members.map((m) => [m.deviceId, m.written])).toEqual([['gate-a', 0], ['gate-b', 1]]);
    expect(b.enrolment.byPin('7001')?.name).toBe('Pegawai Baru');
    expect(fingersOf(b)).toEqual(fingersOf(a));
    expect([a.stats.connections, b.stats.connections]).toEqual(connections);

    // the driver of gate B reads punches again after the loans: one made there now is committed
    b.addPunch({ pin: '7001', localTime: '2026-03-02T07:30:00' });
    await until(() => gateway.states.get('gate-b')?.lastPunchAt != null, 'the punch at gate B committed');
  });

  it('reports a conflict (one PIN, two names) and writes neither terminal', async () => {
    const a = await terminal({ records: 0, users: 0, seed: 13 });
    const b = await terminal({ records: 0, users: 0, seed: 14 });
    a.enrolment.enrolAtKeypad({ pin: '55', name: 'Budi', privilege: 0, card: '', password: '', group: 1 });
    b.enrolment.enrolAtKeypad({ pin: '55', name: 'Budi Santoso', privilege: 0, card: '', password: '', group: 1 });
    const before = [usersOf(a), usersOf(b)];
    const { gateway } = await daemon(a, b);
    const round = await gateway.userSync!.round('gerbang');
    expect(round.conflicts.map((c) => [c.pin, c.fields])).toEqual([['55', ['name']]]);
    expect([usersOf(a), usersOf(b)]).toEqual(before);
  });
});
