// userSync across families in the running daemon: a zk-tcp terminal (read and written through its
// running driver's own connection) and a zk-push terminal (commands queued on its driver and run on
// its polls), both simulators over loopback. Users and fingers enrolled at the zk-tcp gate reach the
// push gate byte for byte, and a new employee enrolled at the push gate's keypad reaches the zk-tcp
// gate; a gate whose finger algorithm differs gets the users, never the templates.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { ZkPushSimulator } from '../../src/sim/zkPush/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { pushUrl } from '../drivers/zk-push/gatewayHarness.js';
import { captureLog } from '../helpers/logLines.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let tcp: ZkTcpSimulator | undefined;
let push: ZkPushSimulator | undefined;
let gateway: Gateway | undefined;
afterEach(async () => {
  await push?.stop();
  await gateway?.stop();
  await tcp?.stop();
  tcp = push = gateway = undefined;
});

const PUSH_SERIAL = 'SIMMIXPUSH01';
let n = 0;

async function daemon(options: { pushFingerVersion?: string } = {}): Promise<{ gateway: Gateway; tcp: ZkTcpSimulator; push: ZkPushSimulator; captured: ReturnType<typeof captureLog> }> {
  tcp = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, serial: 'SIMMIXTCP001', records: 0, users: 6, fingersPerUser: [1, 2], seed: 21 });
  await tcp.start();
  const dataDir = join(tmp.dir, `gw${++n}`);
  const text = [
    `gateway: {id: gw-mixed, site: MIX, dataDir: ${dataDir}}`,
    'pushListener: {listen: 127.0.0.1:0}',
    'devices:',
    `  - {id: gate-tcp, driver: zk-tcp, host: 127.0.0.1, port: ${tcp.address.port}, timeout: 5s, pollInterval: 1h}`,
    `  - {id: gate-push, driver: zk-push, serial: ${PUSH_SERIAL}}`,
    'userSync:',
    '  - {name: gedung, devices: [gate-tcp, gate-push], interval: 1h}',
    '',
  ].join('\n');
  const captured = captureLog('info');
  gateway = new Gateway(parseConfigText(text, 'mixed.yaml', { drivers: BUILTIN_DRIVERS }), { log: captured.log, drivers: BUILTIN_DRIVERS });
  await gateway.start();
  push = new ZkPushSimulator({ target: pushUrl(gateway), serial: PUSH_SERIAL, retryMs: 20, pollMs: 5, ...(options.pushFingerVersion ? { fingerVersion: options.pushFingerVersion } : {}) });
  push.start();
  const g = gateway;
  await until(() => g.states.get('gate-tcp')?.online === true && g.states.get('gate-push')?.online === true, 'both terminals online');
  await g.userSync!.settled(); // the round start() ran, maybe before the terminals were there
  return { gateway: g, tcp, push, captured };
}

function tcpUsers(sim: ZkTcpSimulator): { pin: string; name: string; card: string; privilege: number }[] {
  return sim.enrolment.userList().map((u) => ({ pin: u.pin, name: u.name, card: u.card, privilege: u.privilege })).sort((a, b) => a.pin.localeCompare(b.pin));
}
function pushUsers(sim: ZkPushSimulator): { pin: string; name: string; card: string; privilege: number }[] {
  return [...sim.users.values()].map((u) => ({ pin: u.pin, name: u.name, card: u.card, privilege: u.privilege })).sort((a, b) => a.pin.localeCompare(b.pin));
}
function tcpFingers(sim: ZkTcpSimulator): string[] {
  const pinOf = new Map(sim.enrolment.userList().map((u) => [u.uid, u.pin]));
  return sim.enrolment.templateList().map((t) => `${pinOf.get(t.uid)}/${t.finger}/${t.data.toString('hex')}`).sort();
}
function pushFingers(sim: ZkPushSimulator): string[] {
  return [...sim.fingers.values()].map((f) => `${f.pin}/${f.fid}/${Buffer.from(f.tmp, 'base64').toString('hex')}`).sort();
}

describe('userSync between a zk-tcp and a zk-push terminal', () => {
  it('enrolled at the zk-tcp gate: reaches the push gate byte for byte; enrolled at the push gate: reaches the zk-tcp gate', async () => {
    const { gateway: g, tcp: a, push: b } = await daemon();
    const first = await g.userSync!.round('gedung');
    expect(first.result).toBe('ok');
    expect(pushUsers(b)).toEqual(tcpUsers(a));
    expect(pushFingers(b)).toEqual(tcpFingers(a));
    expect(tcpFingers(a)).toHaveLength(9); // six users with one or two fingers each

    b.enrol({ pin: '8001', name: 'Pegawai Lobi', privilege: 0, password: '', card: '5550001', group: 1 }, [{ fid: 3, valid: true, tmp: Buffer.from('finger three of 8001').toString('base64') }]);
    const second = await g.userSync!.round('gedung');
    expect(second.result).toBe('ok');
    expect(second.members.map((m) => [m.deviceId, m.written])).toEqual([['gate-tcp', 1], ['gate-push', 0]]);
    expect(a.enrolment.byPin('8001')).toMatchObject({ name: 'Pegawai Lobi', card: '5550001' });
    expect(tcpFingers(a)).toEqual(pushFingers(b));
  });

  it('a push gate on another finger algorithm gets the users, never the templates, and the round counts what it did not copy', async () => {
    const { gateway: g, tcp: a, push: b, captured } = await daemon({ pushFingerVersion: '12' });
    const mismatchLines = (): unknown[] => captured.withCode('GW_ERR_USERS_ALGORITHM_MISMATCH').filter((l) => l.device === 'gate-push');
    const round = await g.userSync!.round('gedung');
    expect(pushFingers(b)).toEqual([]);
    expect(tcpFingers(a)).toHaveLength(9);
    expect(pushUsers(b)).toEqual(tcpUsers(a));
    expect(round.members.find((m) => m.deviceId === 'gate-push')).toMatchObject({ ok: true, written: 6, skippedForAlgorithm: 9 });
    expect(mismatchLines()).toHaveLength(1);

    // reported when the users were added, not again every round while nothing changed
    const again = await g.userSync!.round('gedung');
    expect(again.members.find((m) => m.deviceId === 'gate-push')).toMatchObject({ ok: true, written: 0, skippedForAlgorithm: 0 });
    expect(mismatchLines()).toHaveLength(1);
  });
});
