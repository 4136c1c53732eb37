// `absensi-gateway pull` as a real child process against the ZK simulator: backfills every record
// into the configured buffer, and a second pull adds nothing; while the daemon holds the terminal
// it says so.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../../src/util/net.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const tmp = tempDir();
const sim = new ZkTcpSimulator({ serial: 'PULL0000000001', records: 3000, users: 30 });
let config: string;

beforeAll(async () => {
  const { port } = await sim.start();
  config = join(tmp.dir, 'config.yaml');
  writeFileSync(
    config,
    `gateway:\n  id: gw-pull\n  site: PULL\n  dataDir: ${tmp.dir}/data\ndevices:\n  - id: lobby\n    driver: zk-tcp\n    host: 127.0.0.1\n    port: ${port}\npublish:\n  https:\n    url: https://127.0.0.1:9/never\n`,
  );
});
afterAll(async () => {
  await sim.stop();
  tmp.cleanup();
});

it('backfills every record, and a second pull finds them all already buffered', async () => {
  const first = await run('node', ['--import', 'tsx', 'src/main.ts', 'pull', 'lobby', '--config', config]);
  expect(first.stdout).toMatch(/lobby \(PULL0000000001\): 3000 records read, 3000 new, 0 already buffered/);
  const second = await run('node', ['--import', 'tsx', 'src/main.ts', 'pull', 'lobby', '--config', config]);
  expect(second.stdout).toMatch(/3000 records read, 0 new, 3000 already buffered/);
  const db = new Database(join(tmp.dir, 'data', 'buffer.db'), { readonly: true });
  expect(db.prepare('SELECT count(*) AS n, max(seq) AS head FROM punches').get()).toEqual({ n: 3000, head: 3000 });
  expect(db.prepare("SELECT acked_seq FROM sink_cursors WHERE sink = 'https'").get()).toEqual({ acked_seq: 0 });
  db.close();
});

it('names the devices it knows when asked for one it does not', async () => {
  const failure = await run('node', ['--import', 'tsx', 'src/main.ts', 'pull', 'nope', '--config', config]).catch((e: unknown) => e as { code: number; stderr: string });
  expect(failure).toMatchObject({ code: 1 });
  expect((failure as { stderr: string }).stderr).toMatch(/no device "nope".*it has: lobby/);
});

it('while the running gateway holds the terminal, says so and how to pull anyway (issue 19, finding 4)', async () => {
  const held = new ZkTcpSimulator({ serial: 'HELD0000000001', records: 5, udp: false });
  const { port } = await held.start();
  const apiPort = await freePort();
  const yaml = `gateway:\n  id: gw-held\n  site: HELD\n  dataDir: ${tmp.dir}/held\napi:\n  listen: 127.0.0.1:${apiPort}\ndevices:\n  - {id: lobby, driver: zk-tcp, host: 127.0.0.1, port: ${port}, realtime: false}\npublish: {}\n`;
  const heldConfig = join(tmp.dir, 'held.yaml');
  writeFileSync(heldConfig, yaml);
  const daemon = new Gateway(parseConfigText(yaml, heldConfig, { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), drivers: BUILTIN_DRIVERS, api: startApiServer });
  try {
    await daemon.start();
    await until(() => daemon.states.get('lobby')?.online === true, 'the daemon connected to the terminal');
    const failure = await run('node', ['--import', 'tsx', 'src/main.ts', 'pull', 'lobby', '--config', heldConfig]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(failure).toMatchObject({ code: 1 });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toMatch(/^pull lobby: GW_ERR_DEVICE_UNREACHABLE: /);
    expect(stderr).toMatch(/the running gateway is connected to this terminal/);
    expect(stderr).toMatch(/sudo systemctl stop absensi-gateway && sudo absensi-gateway pull lobby; sudo systemctl start absensi-gateway/);
  } finally {
    await daemon.stop();
    await held.stop();
  }
});
