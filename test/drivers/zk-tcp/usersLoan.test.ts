// The running zk-tcp driver lends its own connection to users work in the daemon (UsersLender):
// on the simulator over loopback TCP, the borrower reads and writes users on the driver's one
// session, punches made meanwhile still reach the buffer, and the poll goes on after the loan.
import { afterEach, describe, expect, it } from 'vitest';
import type { ZkTcpDriver } from '../../../drivers/zk-tcp/driver.js';
import { daemonUsersSession, isUsersLender } from '../../../src/devices/usersLender.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import type { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import type { UserWithTemplates } from '../../../src/users/user.js';
import { silentLogger } from '../../../src/util/logger.js';
import { committedKeys } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { startDriver, startSim, synced, type Running } from './harness.js';
import { expectedKeys } from './keys.js';

let sim: ZkTcpSimulator | undefined;
let running: Running | undefined;
afterEach(async () => {
  await running?.driver.stop();
  await sim?.stop();
  running = undefined;
  sim = undefined;
});

async function setup(): Promise<Running & { sim: ZkTcpSimulator }> {
  sim = await startSim({ records: 30, users: 5, fingersPerUser: [1, 1], seed: 7 });
  running = await startDriver(sim, { pollInterval: '50ms', heartbeatInterval: '20ms', timeout: '5s' });
  await synced(running.ctx, sim);
  return { ...running, sim };
}

const signal = (): AbortSignal => AbortSignal.timeout(30_000);

function newcomer(pin: string, name: string): UserWithTemplates {
  return { user: { pin, name, card: '', privilege: 0, password: '', group: 1 }, templates: [] };
}

describe('zk-tcp lends its session to users work in the daemon', () => {
  it('reads and writes users on the driver connection; no second connection; punches and polls go on', async () => {
    const { driver, ctx, sim: terminal } = await setup();
    expect(isUsersLender(driver)).toBe(true);
    const connectionsBefore = terminal.stats.connections;
    const session = await daemonUsersSession({ drivers: BUILTIN_DRIVERS, supervisor: { driverOf: () => driver } }, { id: 'zk-1', driver: 'zk-tcp', enabled: true }, { logger: silentLogger(), signal: signal() });
    expect(await session.algorithms()).toEqual({ finger: 'finger:10' });
    const before = await session.listUsers();
    expect(before).toHaveLength(5);
    // a punch at the keypad while the loan is out: its realtime event still reaches the buffer
    terminal.addPunch({ pin: before[0]!.pin, localTime: '2026-03-02T07:45:00' });
    const outcomes = await session.writeUsers([newcomer('90001', 'Pegawai Baru')]);
    expect(outcomes).toEqual([{ pin: '90001', ok: true }]);
    expect((await session.listUsers()).map((u) => u.pin)).toContain('90001');
    await session.close();
    await expect(session.listUsers()).rejects.toMatchObject({ code: 'GW_ERR_USERS_WRITE_FAILED' });
    expect(terminal.stats.connections).toBe(connectionsBefore);
    // after the loan the poll resumes: a punch whose realtime event was lost is found by it
    terminal.addPunch({ pin: before[1]!.pin, localTime: '2026-03-02T08:10:00' }, { realtime: false });
    await synced(ctx, terminal);
    expect(committedKeys(ctx)).toEqual(expectedKeys(terminal.log));
  });

  it('refuses a loan when the terminal is not connected, and rejects a pending one when the driver stops', async () => {
    const { driver } = await setup();
    const lent = await (driver as ZkTcpDriver).borrowUsersSession(signal());
    const waiting = expect(driver.borrowUsersSession(signal())).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_UNREACHABLE' });
    await driver.stop();
    await waiting;
    await lent.close();
    await expect(driver.borrowUsersSession(signal())).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_UNREACHABLE' });
  });
});
