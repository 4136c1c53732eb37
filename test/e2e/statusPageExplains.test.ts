// The status page explains what is wrong, in real headless Chromium against a real gateway: a
// zk-tcp terminal (the shipped simulator) with another comm key, a zk-tcp terminal whose port
// refuses the connection, and an MQTT broker address nobody listens on. The page shows each error
// with its catalogue code and the Bahasa sentence of src/util/explanations.ts (English after the
// switch), why the gateway is not ready (also for a broker refusing the credentials), a clock skew past CLOCK_SKEW_WARN_SEC highlighted, and
// each device's zone (WIB, WITA, WIT, else the UTC offset) on the device and on its punches, and
// the gateway PC's clock when NTP says it is not synchronized.
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { CLOCK_SKEW_WARN_SEC } from '../../src/punch/time.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { explainError } from '../../src/util/explanations.js';
import { freePort } from '../../src/util/net.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { feed, startTestGateway, TEST_TOKEN } from './fixture.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';


let tmp: ReturnType<typeof tempDir>;
let sim: ZkTcpSimulator;
let gateway: Gateway | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  tmp = tempDir();
  sim = new ZkTcpSimulator({ udp: false, commKey: 1234, records: 1 });
  await sim.start();
});
afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await sim.stop();
  tmp.cleanup();
});

/** The explanation shown in `scope` for `code`. */
const explanation = (page: Page, scope: string, code: string) => page.locator(`${scope} [data-explain="${code}"]`).first();

it('explains a wrong comm key, a refused terminal and broker, why it is not ready, the skew and the zones', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (Debian package "chromium"); the status page was not tested in a browser`);
  const closedPort = await freePort();
  const brokerPort = await freePort();
  gateway = await startTestGateway({
    dir: tmp.dir,
    mqttUrl: `mqtt://127.0.0.1:${brokerPort}`,
    token: TEST_TOKEN,
    listen: true,
    builtinDrivers: true,
    hostClock: { ntpSynchronized: () => Promise.resolve('no') },
    devices: [
      '  - {id: dev-a, driver: test-feed}',
      '  - {id: dev-wita, driver: test-feed, timezone: Asia/Makassar}',
      '  - {id: dev-wit, driver: test-feed, timezone: Asia/Jayapura}',
      '  - {id: dev-sg, driver: test-feed, timezone: Asia/Singapore}',
      `  - {id: lobby-key, driver: zk-tcp, host: 127.0.0.1, port: ${sim.address.port}, commKey: 4321, realtime: false}`,
      `  - {id: lobby-off, driver: zk-tcp, host: 127.0.0.1, port: ${closedPort}, timeout: 5s}`,
    ].join('\n'),
  });
  await until(() => ['dev-wita', 'dev-wit', 'dev-sg'].every((id) => feedReady(id)), 'feeds started');
  feed('dev-a').ctx.status.update({ clockSkewSec: 400 });
  feed('dev-wita').ctx.status.update({ clockSkewSec: -(CLOCK_SKEW_WARN_SEC - 1) });
  await feed('dev-a').push([rawPunch(1, { pin: '501', localTime: '2026-01-19T07:30:00' })]);
  await feed('dev-wita').push([rawPunch(2, { pin: '502', localTime: '2026-01-19T08:30:00' })]);
  await feed('dev-wit').push([rawPunch(3, { pin: '503', localTime: '2026-01-19T09:30:00' })]);
  await feed('dev-sg').push([rawPunch(4, { pin: '504', localTime: '2026-01-19T08:30:00' })]);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    // /readyz answers 503 while not ready (what this test sets up); Chromium logs every such answer
    if (m.type() === 'error' && !m.text().includes('status of 503')) problems.push(m.text());
  });
  await page.goto(`${gateway.api!.url}/?token=${TEST_TOKEN}`);

  // the wrong comm key: its code and the sentence of the catalogue's explanation
  const key = '#devices tr[data-device="lobby-key"]';
  await expect.poll(() => page.locator(`${key} [data-code]`).first().getAttribute('data-code'), { timeout: 15_000 }).toBe('GW_ERR_DEVICE_AUTH');
  expect(await explanation(page, key, 'GW_ERR_DEVICE_AUTH').textContent()).toBe(explainError('GW_ERR_DEVICE_AUTH', 'the terminal refused the comm key')?.id);
  expect(await explanation(page, key, 'GW_ERR_DEVICE_AUTH').textContent()).toMatch(/^Comm key di terminal dan di konfigurasi berbeda/);
  expect(await page.locator(key).textContent()).toContain('the terminal refused the comm key');

  // the terminal whose port refuses
  const off = '#devices tr[data-device="lobby-off"]';
  await expect.poll(() => explanation(page, off, 'GW_ERR_DEVICE_UNREACHABLE').count(), { timeout: 15_000 }).toBe(1);
  expect(await explanation(page, off, 'GW_ERR_DEVICE_UNREACHABLE').textContent()).toBe(explainError('GW_ERR_DEVICE_UNREACHABLE', 'ECONNREFUSED')?.id);
  expect(await explanation(page, off, 'GW_ERR_DEVICE_UNREACHABLE').textContent()).toContain('IP terminal');

  // not ready, and why: the broker refuses, in the header's section and on the sink's row
  await expect.poll(() => page.locator('#ready').textContent()).toBe('Tidak siap');
  expect(await page.locator('#not-ready').isVisible()).toBe(true);
  expect(await page.locator('#not-ready h2').textContent()).toBe('Mengapa gateway tidak siap');
  await expect.poll(() => page.locator('#ready-reasons [data-code]').first().getAttribute('data-code')).toBe('GW_ERR_SINK_UNREACHABLE');
  await expect.poll(() => explanation(page, '#sinks tr[data-sink="mqtt"]', 'GW_ERR_SINK_UNREACHABLE').textContent(), { timeout: 15_000 }).toMatch(/^Broker menolak sambungan/);

  // the gateway PC's own clock, unsynchronized (timedatectl says no)
  await expect.poll(() => explanation(page, '#host-clock', 'GW_ERR_CLOCK_UNSYNCHRONIZED').textContent()).toBe(explainError('GW_ERR_CLOCK_UNSYNCHRONIZED')?.id);
  expect(await page.locator('#host-clock').textContent()).toContain('ntp-unsynchronized');

  // the skew: 400 s is highlighted with the threshold, 59 s is not
  const skewed = page.locator('#devices tr[data-device="dev-a"] [data-skew="high"]');
  await expect.poll(() => skewed.textContent()).toBe('+400 dtk');
  expect(await page.locator('#devices tr[data-device="dev-a"]').textContent()).toContain(`selisih ${CLOCK_SKEW_WARN_SEC} dtk atau lebih`);
  expect(await page.locator('#devices tr[data-device="dev-wita"] [data-skew]').count()).toBe(0);
  expect(await page.locator('#devices tr[data-device="dev-wita"] td').nth(5).textContent()).toBe(`-${CLOCK_SKEW_WARN_SEC - 1} dtk`);

  // the zones: on each device, and on its punches
  const zones = await page.locator('#devices [data-zone]').evaluateAll((nodes) => nodes.map((n) => [n.closest('tr')?.getAttribute('data-device'), n.getAttribute('data-zone')]));
  expect(Object.fromEntries(zones)).toMatchObject({ 'dev-a': 'WIB', 'dev-wita': 'WITA', 'dev-wit': 'WIT', 'dev-sg': 'Asia/Singapore' });
  const timeOf = (pin: string) => page.locator(`#punches tr[data-pin="${pin}"] td`).first().textContent();
  await expect.poll(() => timeOf('501')).toBe('2026-01-19 07:30:00 WIB');
  expect(await timeOf('502')).toBe('2026-01-19 08:30:00 WITA');
  expect(await timeOf('503')).toBe('2026-01-19 09:30:00 WIT');
  expect(await timeOf('504')).toBe('2026-01-19 08:30:00 UTC+08:00');

  // the same in English
  await page.click('#lang');
  expect(await explanation(page, key, 'GW_ERR_DEVICE_AUTH').textContent()).toBe(explainError('GW_ERR_DEVICE_AUTH')?.en);
  expect(await page.locator('#not-ready h2').textContent()).toBe('Why the gateway is not ready');
  expect(await page.locator('#devices tr[data-device="dev-a"]').textContent()).toContain(`${CLOCK_SKEW_WARN_SEC} s or more off`);
  expect(problems).toEqual([]);
});

it('explains a broker that refuses the credentials (not authorized), on the sink and in why it is not ready', async (ctx) => {
  if (!existsSync(CHROMIUM) || !browser) ctx.skip(`needs ${CHROMIUM} and the first test's browser`);
  await gateway?.stop();
  gateway = undefined;
  const aedes = await Aedes.createBroker({
    authenticate: (_client, _username, _password, done) => done(Object.assign(new Error('not authorized'), { returnCode: 5 as const }), false),
  });
  const server: Server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const mqttUrl = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    gateway = await startTestGateway({ dir: join(tmp.dir, 'refused-credentials'), mqttUrl, token: TEST_TOKEN, listen: true });
    const page = await browser!.newPage();
    await page.goto(`${gateway.api!.url}/?token=${TEST_TOKEN}`);
    const sinkRow = '#sinks tr[data-sink="mqtt"]';
    await expect.poll(() => page.locator(`${sinkRow} [data-code]`).first().getAttribute('data-code'), { timeout: 15_000 }).toBe('GW_ERR_SINK_AUTH');
    expect(await explanation(page, sinkRow, 'GW_ERR_SINK_AUTH').textContent()).toMatch(/^Broker MQTT menolak nama pengguna atau kata sandi \(not authorized\)/);
    await expect.poll(() => page.locator('#ready-reasons [data-code]').first().getAttribute('data-code')).toBe('GW_ERR_SINK_AUTH');
    expect(await page.locator('#ready-reasons').textContent()).toContain('every sink refused the credentials: mqtt');
  } finally {
    await gateway?.stop();
    gateway = undefined;
    server.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }
});

function feedReady(id: string): boolean {
  try {
    return feed(id) !== undefined;
  } catch {
    return false;
  }
}
