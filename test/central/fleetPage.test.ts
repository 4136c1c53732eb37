// The centre's fleet page in real headless Chromium against a real centre on PGlite, fed over a real
// broker (in-process Aedes: MQTT 3.1.1, so `mqtt.protocolVersion: 4, shared: false`, as the demo
// runs it) by FakeGateways: one healthy with a backlog, one offline whose log has a gap. The page
// opens with ?token= once, shows every gateway (online, last seen, version, backlog, oldest unsent,
// log verification), every device (online, last punch, completeThrough, clock skew) and the log
// problems, and switches language; the JSON API answers 401 without the token and 421 for a
// foreign Host. A screenshot goes to test-artifacts/ (git-ignored).
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Central } from '../../src/central/central.js';
import { parseCentralConfig } from '../../src/central/config.js';
import type { Fleet } from '../../src/central/fleet.js';
import { FLEET_PAGE_TEXTS } from '../../src/central/fleetPage/i18n.js';
import { openEmbedded, type CentralStore } from '../../src/central/store.js';
import { migrateCentral } from '../../src/central/migrations.js';
import { silentLogger } from '../../src/util/logger.js';
import { startAedes, until, type TestBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';
import { FakeGateway } from './fakeGateway.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const TOKEN = 'fleet-page-test-token-0123';

const tmp = tempDir();
let broker: TestBroker;
let store: CentralStore;
let central: Central;
let browser: Browser | undefined;
const gateways = [new FakeGateway('BKPP', 'gw-ok'), new FakeGateway('DISDIK', 'gw-gap')];
const [ok, gap] = gateways as [FakeGateway, FakeGateway];
const oldestPendingAt = new Date(Date.now() - 5 * 60_000).toISOString();

beforeAll(async () => {
  broker = await startAedes();
  store = await openEmbedded(undefined);
  await migrateCentral(store);
  const yaml = [
    'central: {id: pusat-uji, dataDir: /nonexistent, logLevel: silent}',
    `mqtt: {url: "${broker.url}", protocolVersion: 4, shared: false}`,
    `http: {listen: "127.0.0.1:0", token: ${TOKEN}}`,
    'verify: {missingAfter: 0s, sweepInterval: 1h}',
    '',
  ].join('\n');
  central = new Central({ config: parseCentralConfig(yaml, 'central.yaml'), log: silentLogger(), store });
  await central.start();
  await Promise.all(gateways.map((g) => g.connect(broker.url)));
  await ok.publishStatus({ startedAt: '2026-01-19T00:00:00.000Z', queue: { mqtt: { pending: 3, deadLetters: 1, oldestPendingAt } } });
  await ok.publishDeviceStatus({ online: true, lastSeen: new Date().toISOString(), clockSkewSec: 2 });
  await ok.publishPunches(ok.make(10));
  await ok.publishWatermark('2026-01-19T16:30:00+07:00');
  await gap.publishStatus({ online: false, queue: null });
  await gap.publishDeviceStatus({ online: false, lastError: 'ETIMEDOUT 192.168.1.201:4370' });
  const made = gap.make(10);
  await gap.publishPunches(made.filter((p) => p.seq !== 7));
  const counts = (): NonNullable<Central['receiver']>['counts'] => central.receiver!.counts;
  await until(() => counts().punchesStored >= 19 && counts().deviceStatuses >= 2 && counts().statuses >= 2 && counts().watermarks >= 1, 20_000, 'the fleet at the centre');
  // checkpoints after their punches are stored: each is checked as it arrives
  await ok.publishCheckpoint();
  await gap.publishCheckpoint();
  await until(() => counts().checkpoints >= 2, 20_000, 'the checkpoints');
  for (let i = 0; i < 100 && (await store.query("SELECT 1 FROM log_problems WHERE gateway = 'gw-gap'")).rows.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    await central.checker?.sweep();
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(gateways.map((g) => g.close()));
  await central?.stop();
  await store?.close();
  await broker?.close();
  tmp.cleanup();
});

it('the fleet API: every gateway and device with its state; 401 without the token, 421 for a foreign Host', async () => {
  const url = central.fleetUrl!;
  expect((await fetch(`${url}/api/fleet`)).status).toBe(401);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  // (fetch will not send another Host: a raw request, as a rebinding page's browser would send it)
  const foreign = await new Promise<number>((resolve, reject) => {
    request(`${url}/api/fleet`, { headers: { authorization: `Bearer ${TOKEN}`, host: 'evil.example' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject).end();
  });
  expect(foreign).toBe(421);
  const fleet = (await (await fetch(`${url}/api/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Fleet;
  expect(fleet.centre).toEqual({ id: 'pusat-uji', engine: 'pglite' });
  expect(fleet.gateways.map((g) => g.id)).toEqual(['gw-gap', 'gw-ok']);
  const [gapView, okView] = fleet.gateways;
  expect(okView).toMatchObject({ site: 'BKPP', online: true, version: 'test', backlog: 3, oldestUnsentAt: oldestPendingAt, highestSeq: 10, log: { state: 'verified', verifiedSize: 10, problems: 0, keySource: 'status, trusted on first use' } });
  expect(okView?.devices).toEqual([expect.objectContaining({ id: 'lobby-gw-ok', online: true, clockSkewSec: 2, completeThrough: '2026-01-19T16:30:00+07:00', seqThrough: 10, lastPunch: ok.punches[9]?.time })]);
  expect(gapView).toMatchObject({ site: 'DISDIK', online: false, backlog: null, oldestUnsentAt: null, highestSeq: 10, log: { state: 'problem', verifiedSize: 0, problems: 1 } });
  expect(gapView?.devices).toEqual([expect.objectContaining({ id: 'lobby-gw-gap', online: false, lastError: 'ETIMEDOUT 192.168.1.201:4370', completeThrough: null })]);
  expect(fleet.problems).toEqual([expect.objectContaining({ gateway: 'gw-gap', kind: 'missing' })]);
  expect(fleet.unassigned).toEqual([]);
});

it('every text of the fleet page is in both languages', () => {
  expect(Object.keys(FLEET_PAGE_TEXTS.en).sort()).toEqual(Object.keys(FLEET_PAGE_TEXTS.id).sort());
});

it('shows gateways, devices and log problems in Chromium, in Bahasa Indonesia and English', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (Debian package "chromium"); the fleet page was not tested in a browser`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  await page.goto(`${central.fleetUrl}/?token=${TOKEN}`);
  expect(page.url()).toBe(`${central.fleetUrl}/`);
  const okRow = page.locator('#gateways tr[data-gateway="gw-ok"]');
  await expect.poll(() => okRow.textContent()).toContain('daring');
  expect(await page.locator('h2[data-i18n="gateways"]').textContent()).toBe('Gateway');
  expect(await page.locator('#centre-id').textContent()).toBe('pusat-uji');
  const okCells = await okRow.locator('td').allTextContents();
  expect(okCells[0]).toBe('gw-okOPD BKPP');
  expect(okCells[2]).toMatch(/lalu/);
  expect(okCells[3]).toBe('test');
  expect(okCells[4]).toBe('3mqtt 3');
  expect(okCells[5]).toMatch(/^[56] mnt lalu$/);
  expect(okCells[6]).toBe('1');
  expect(await okRow.locator('[data-log]').getAttribute('data-log')).toBe('verified');
  expect(okCells[7]).toContain('terverifikasi sampai seq 10');
  const gapRow = page.locator('#gateways tr[data-gateway="gw-gap"]');
  expect(await gapRow.textContent()).toContain('luring');
  expect(await gapRow.locator('[data-log]').textContent()).toBe('bermasalah');

  const okDevice = page.locator('#devices tr[data-device="gw-ok/lobby-gw-ok"]');
  const deviceCells = await okDevice.locator('td').allTextContents();
  expect(deviceCells.slice(0, 3)).toEqual(['gw-ok', 'lobby-gw-okSIM-F22 · SN-lobby-gw-ok', 'daring']);
  expect(deviceCells[4]).toBe(ok.punches[9]?.time.slice(0, 19).replace('T', ' '));
  expect(deviceCells[5]).toBe('2026-01-19 16:30:00');
  expect(await okDevice.locator('[data-complete-through]').getAttribute('data-complete-through')).toBe('2026-01-19T16:30:00+07:00');
  expect(deviceCells[6]).toBe('+2 dtk');
  const gapDevice = page.locator('#devices tr[data-device="gw-gap/lobby-gw-gap"]');
  expect(await gapDevice.textContent()).toContain('ETIMEDOUT 192.168.1.201:4370');
  expect(await page.locator('#problems tr[data-problem="gw-gap:missing"]').textContent()).toContain('seqs 7');

  await page.click('#lang');
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  expect(await page.locator('h2[data-i18n="devices"]').textContent()).toBe('Devices');
  expect(await page.locator('#gateways th[data-i18n="oldestUnsent"]').textContent()).toBe('Oldest unsent');
  await expect.poll(() => okRow.locator('[data-log]').textContent()).toBe('verified');
  expect(await gapRow.locator('[data-log]').textContent()).toBe('problem');
  expect(await okDevice.textContent()).toContain('online');
  await page.reload();
  await expect.poll(() => page.locator('h2[data-i18n="problems"]').textContent()).toBe('Log problems');
  await expect.poll(() => gapDevice.textContent()).toContain('offline');

  mkdirSync('test-artifacts', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/fleet-page.png', fullPage: true });
  expect(problems).toEqual([]);
});

it('asks for the token when the page is opened without it', async (ctx) => {
  if (!existsSync(CHROMIUM) || !browser) ctx.skip(`needs ${CHROMIUM} and the browser of the test before`);
  const page = await browser!.newPage();
  await page.goto(`${central.fleetUrl}/`);
  await expect.poll(() => page.locator('#token-box').isVisible()).toBe(true);
  await page.fill('#token-input', TOKEN);
  await page.click('#token-form button');
  await expect.poll(() => page.locator('#token-box').isVisible()).toBe(false);
  await expect.poll(() => page.locator('#gateways tr[data-gateway="gw-ok"]').count()).toBe(1);
});
