// One punch made at a simulated ZK terminal (real protocol over TCP) travels through the real
// gateway (zk-tcp driver → SQLite → Aedes) and IT staff find it everywhere they look: the local
// API, /metrics, `queue list`, and the status page in headless Chromium.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { loadConfigFile } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { collect, startAedes, until, type TestBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const run = promisify(execFile);
const tmp = tempDir();
const sim = new ZkTcpSimulator({ serial: 'OPS0000000001', records: 0, users: 5 });
let broker: TestBroker;
let gateway: Gateway;
let configFile: string;

beforeAll(async () => {
  broker = await startAedes();
  const { port } = await sim.start();
  configFile = join(tmp.dir, 'config.yaml');
  writeFileSync(
    configFile,
    [
      'gateway: {id: gw-ops, site: OPS, dataDir: ' + join(tmp.dir, 'data') + ', logLevel: silent}',
      'api: {listen: "127.0.0.1:0"}',
      'devices:',
      `  - {id: lobby, driver: zk-tcp, host: 127.0.0.1, port: ${port}, realtime: true, pollInterval: 1m}`,
      `publish: {mqtt: {url: "${broker.url}", reconnectMin: 100ms, reconnectMax: 500ms}}`,
      '',
    ].join('\n'),
  );
  gateway = new Gateway(loadConfigFile(configFile, { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), drivers: BUILTIN_DRIVERS, api: startApiServer });
  await gateway.start();
});
afterAll(async () => {
  await gateway.stop();
  await sim.stop();
  await broker.close();
  tmp.cleanup();
});

it('a realtime punch shows up in the API, the metrics, queue list and the status page', async (ctx) => {
  const sub = await collect(broker.url, 'absensi/OPS/+/punch');
  await until(() => gateway.states.get('lobby')?.online === true, 20_000, 'terminal online');
  sim.addPunch({ pin: '1003', localTime: '2026-01-19T07:31:05', verify: 1, state: 0 });
  await sub.waitFor((n) => n >= 1, 20_000);
  expect(JSON.parse(sub.messages[0]!.payload)).toMatchObject({ pin: '1003', time: '2026-01-19T07:31:05+07:00', device: { id: 'lobby', serial: 'OPS0000000001', protocol: 'zk-tcp' } });
  await until(() => gateway.buffer.stats().sinks[0]?.pending === 0, 10_000, 'acked');

  const api = gateway.api!.url;
  const found = (await (await fetch(`${api}/api/punches?pin=1003`)).json()) as { punches: { pin: string; sinks: Record<string, { state: string }> }[] };
  expect(found.punches).toHaveLength(1);
  expect(found.punches[0]?.sinks.mqtt?.state).toBe('acked');

  const metrics = await (await fetch(`${api}/metrics`)).text();
  expect(metrics).toMatch(/gateway_punches_committed_total\{device="lobby"\} 1/);
  expect(metrics).toMatch(/gateway_punches_published_total\{sink="mqtt"\} 1/);

  const listed = await run('node', ['--import', 'tsx', 'src/main.ts', 'queue', 'list', '--config', configFile, '--pin', '1003', '--json']);
  expect(JSON.parse(listed.stdout)).toMatchObject([{ pin: '1003', device: { id: 'lobby' } }]);

  if (!existsSync(CHROMIUM)) return ctx.skip(`${CHROMIUM} is not installed; the status page part was not run`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${api}/`);
    await expect.poll(() => page.locator('#punches tr[data-pin="1003"]').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.locator('#devices tr[data-device="lobby"]').textContent()).toContain('OPS0000000001');
  } finally {
    await browser.close();
  }
  await sub.close();
});
