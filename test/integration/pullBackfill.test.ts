// `pull` through the real wiring (config file, SQLite buffer) for the kinds beside zk-tcp: a SOAP
// terminal, a Fingerspot bridge and a Hikvision terminal on their simulators, each pulled twice
// (the second adds nothing), no checkpoint row written; a serial-line entry is refused by name.
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { registerPullCommand } from '../../src/cli/pull.js';
import { pullWiring } from '../../src/cli/pullWiring.js';
import { FingerspotSimulator } from '../../src/sim/fingerspot/index.js';
import { HikvisionSimulator } from '../../src/sim/hikvision/index.js';
import { ZkSoapSimulator } from '../../src/sim/zkSoap/index.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const soap = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, records: 300, commKey: '55' });
const bridge = new FingerspotSimulator({ serials: ['FIO66208021230737'] });
const hik = new HikvisionSimulator({ records: 80, password: 'Admin12345', firstPunchMs: Date.UTC(2025, 0, 19) });
let config: string;

beforeAll(async () => {
  await Promise.all([soap.start(), bridge.start(), hik.start()]);
  bridge.fill(150);
  config = join(tmp.dir, 'config.yaml');
  writeFileSync(config, [
    'gateway:', '  id: gw-pull', '  site: PULL', `  dataDir: ${tmp.dir}/data`,
    'devices:',
    `  - { id: soap-1, driver: zk-soap, host: 127.0.0.1, port: ${soap.address.port}, commKey: 55, serial: X100C0001 }`,
    `  - { id: revo-1, driver: fingerspot-easylink, host: 127.0.0.1, port: ${bridge.address.port}, serial: FIO66208021230737 }`,
    `  - { id: face-1, driver: hikvision-isapi, host: 127.0.0.1, port: ${hik.address.port}, password: Admin12345 }`,
    '  - { id: arsip-1, driver: serial-line, format: zk-attlog, serial: ARSIP0001 }',
    'publish:', '  https:', '    url: https://127.0.0.1:9/never', '',
  ].join('\n'));
});
afterAll(async () => {
  await Promise.all([soap.stop(), bridge.stop(), hik.stop()]);
  tmp.cleanup();
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function pull(deviceId: string): Promise<{ out: string; err: string; exitCode: typeof process.exitCode }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  const program = new Command().exitOverride();
  registerPullCommand(program, pullWiring);
  await program.parseAsync(['node', 'absensi-gateway', 'pull', deviceId, '--config', config]);
  vi.restoreAllMocks();
  return { out, err, exitCode: process.exitCode };
}

function rows(sql: string): unknown[] {
  const db = new Database(join(tmp.dir, 'data', 'buffer.db'), { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

it.each([
  ['soap-1', 'X100C0001', 300, 300, ''],
  ['revo-1', 'FIO66208021230737', 150, 150, ''],
  ['face-1', 'DS-K1T341AM20220101V030230ENG12345678', 96, 80, ', 16 not punches'],
])('pulls %s into the buffer once; a second pull adds nothing', async (id, serial, records, punches, tail) => {
  const first = await pull(id);
  expect(first.exitCode).toBeUndefined();
  expect(first.out).toBe(`${id} (${serial}): ${records} records read, ${punches} new, 0 already buffered, 0 before --since, 0 rejected${tail}\n`);
  const second = await pull(id);
  expect(second.out).toBe(`${id} (${serial}): ${records} records read, 0 new, ${punches} already buffered, 0 before --since, 0 rejected${tail}\n`);
  expect(rows(`SELECT count(*) AS n FROM punches WHERE device_id = '${id}'`)).toEqual([{ n: punches }]);
  expect(rows(`SELECT key FROM checkpoints WHERE device_id = '${id}'`)).toEqual([]);
});

it('refuses a kind without backfill, naming the kinds that have one', async () => {
  const refused = await pull('arsip-1');
  expect(refused.err).toMatch(/pull arsip-1: GW_ERR_CONFIG_INVALID: pull reads zk-tcp, zk-soap, hikvision-isapi and fingerspot-easylink devices \(zk-push: through the running daemon\); "arsip-1" uses serial-line/);
  expect(refused.exitCode).toBe(1);
});

it('the fingerspot bridge was paged, and never asked for /scanlog/new', () => {
  expect(bridge.stats.requests['/scanlog/all/paging']).toBe(4); // two pulls of two pages of 100
  expect(bridge.stats.requests['/scanlog/new']).toBeUndefined();
  expect(bridge.terminal().newCursor).toBe(0);
});
