// The users-import remote command's action against real terminals: the employee list reaches a
// zk-soap simulator through the users engine (backup first, conflicts reported, nothing deleted);
// a zk-tcp entry, whose one session the running driver holds, is answered unsupported and left
// alone; a list with a bad row writes nothing. The signed transport is remote.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { importUsersRemotely } from '../../src/commands/usersImport.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { ZkSoapSimulator } from '../../src/sim/zkSoap/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/tmp.js';

const sims: ZkSoapSimulator[] = [];
const dirs: ReturnType<typeof tempDir>[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) d.cleanup();
});

async function setup(): Promise<{ sim: ZkSoapSimulator; parts: Parameters<typeof importUsersRemotely>[0]; dataDir: string }> {
  const sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, records: 0, users: 2, templatesPerUser: 1 });
  await sim.start();
  sims.push(sim);
  const dir = tempDir();
  dirs.push(dir);
  const yaml = [
    `gateway: {id: gw-users, site: BKPP, timezone: Asia/Jakarta, dataDir: ${dir.dir}}`,
    'devices:',
    `  - {id: soap-1, driver: zk-soap, host: 127.0.0.1, port: ${sim.address.port}, commKey: "0", timeout: 5s}`,
    '  - {id: zk-1, driver: zk-tcp, host: 127.0.0.1, port: 4370}',
    '',
  ].join('\n');
  const config = parseConfigText(yaml, 'config.yaml', { drivers: BUILTIN_DRIVERS });
  return { sim, parts: { config, drivers: BUILTIN_DRIVERS, log: silentLogger(), supervisor: { driverOf: () => undefined } }, dataDir: dir.dir };
}

describe('users-import on the gateway', () => {
  it('writes the list to a SOAP terminal after a backup, reports a conflict, leaves others alone and the zk-tcp terminal untouched', async () => {
    const { sim, parts } = await setup();
    // user 1 on the terminal is "Pegawai 1 José": the list naming PIN 1 otherwise is a conflict
    const csv = 'pin,name,card,privilege\n1,Someone Else,,user\n00123,Budi Santoso,4000123,user\n00124,Ani,,admin\n';
    const answer = await importUsersRemotely(parts, { csv }, new AbortController().signal);
    expect(answer.users).toBe(3);
    const [soap, zk] = answer.targets;
    expect(soap).toMatchObject({ device: 'soap-1', ok: true, written: 2, conflicts: ['1'], failures: [] });
    expect(soap!.counts).toMatchObject({ added: 2, conflicting: 1, deleted: 0 });
    expect(existsSync(soap!.backup!)).toBe(true);
    expect(readFileSync(soap!.backup!, 'utf8')).toContain('"pin":"2"'); // what the terminal held before
    expect(zk).toMatchObject({ device: 'zk-1', ok: false, code: 'GW_ERR_COMMAND_UNSUPPORTED' });
    const held = sim.table.users.map((u) => [u.pin, u.name]);
    expect(held).toEqual(expect.arrayContaining([['1', 'Pegawai 1 Jos\u00e9'], ['2', 'Pegawai 2'], ['00123', 'Budi Santoso'], ['00124', 'Ani']]));
    expect(sim.table.users.find((u) => u.pin === '00123')?.card).toBe('4000123');
    expect(sim.table.templates.length).toBe(2); // templates on the terminal are kept
  });

  it('writes nothing anywhere when a row is bad, and refuses a device not configured', async () => {
    const { sim, parts } = await setup();
    const before = JSON.stringify(sim.table.users);
    await expect(importUsersRemotely(parts, { csv: 'pin,name,card,privilege\n00123,Budi,,user\n12 3,Spasi,,user\n' }, new AbortController().signal)).rejects.toMatchObject({
      code: 'GW_ERR_COMMAND_FAILED',
      message: expect.stringMatching(/1 bad row\(s\); nothing was written: line 3: pin/),
    });
    await expect(importUsersRemotely(parts, { csv: 'pin,name\n7,Tujuh\n', devices: ['nope'] }, new AbortController().signal)).rejects.toMatchObject({ code: 'GW_ERR_COMMAND_FAILED' });
    expect(JSON.stringify(sim.table.users)).toBe(before);
  });
});
