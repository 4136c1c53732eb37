// The status page in real headless Chromium against a real gateway (test-feed → SQLite → Aedes)
// serving its API on 127.0.0.1 with a token: it loads with ?token= once, shows the device with its
// completeness watermark ("lengkap sampai"), a punch pushed through the pipeline and the punch
// log's latest checkpoint, searches by PIN, and switches language. A screenshot goes to
// test-artifacts/ (git-ignored).
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { startAedes, until, type TestBroker } from '../helpers/broker.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { drained, feed, startTestGateway, TEST_TOKEN } from './fixture.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';


let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let gateway: Gateway | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  tmp = tempDir();
  broker = await startAedes();
});
afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await broker.close();
  tmp.cleanup();
});

it('shows devices, sinks and punches; searches by PIN; switches language', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (Debian package "chromium"); the status page was not tested in a browser`);
  gateway = await startTestGateway({ dir: tmp.dir, mqttUrl: broker.url, token: TEST_TOKEN, listen: true });
  await feed('dev-a').push([rawPunch(1, { pin: '00123', localTime: '2026-01-19T07:31:05' }), rawPunch(2, { pin: '777', localTime: '2026-01-19T07:40:00' })]);
  await until(() => drained(gateway!), 10_000, 'punches delivered');
  await feed('dev-a').ctx.watermark.advance({ completeThroughLocal: '2026-01-19T16:30:00', basis: 'download' });

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  await page.goto(`${gateway.api!.url}/?token=${TEST_TOKEN}`);
  expect(page.url()).toBe(`${gateway.api!.url}/`);
  const device = page.locator('#devices tr[data-device="dev-a"]');
  await expect.poll(() => device.textContent()).toContain('daring');
  expect(await page.locator('h2[data-i18n="devices"]').textContent()).toBe('Perangkat');
  expect(await page.locator('#devices th[data-i18n="completeThrough"]').textContent()).toBe('Lengkap sampai');
  await expect.poll(() => device.locator('[data-complete-through]').textContent()).toBe('2026-01-19 16:30:00 WIBunduh log');
  expect(await device.locator('[data-complete-through]').getAttribute('data-complete-through')).toBe('2026-01-19T16:30:00+07:00');
  expect(await page.locator('#devices tr[data-device="dev-b"] td').nth(4).textContent()).toBe('—');
  expect(await page.locator('#gw-id').textContent()).toBe('gw-api');
  await expect.poll(() => page.locator('#ready').textContent()).toBe('Siap');
  await expect.poll(() => page.locator('#sinks tr[data-sink="mqtt"]').textContent()).toContain('tersambung');
  const punch = page.locator('#punches tr[data-pin="00123"]');
  await expect.poll(() => punch.textContent()).toContain('2026-01-19 07:31:05');
  expect(await punch.locator('[data-sink-state]').getAttribute('data-sink-state')).toBe('mqtt:acked');
  expect(await punch.textContent()).toContain('mqtt: terkirim');
  expect(await page.locator('#punches tbody tr').count()).toBe(2);
  await expect.poll(() => page.locator('#checkpoint').textContent()).toMatch(/^\d+ absen · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · /);
  expect(await page.locator('#checkpoint').getAttribute('title')).toBe(gateway.logKey?.vkey);

  await page.fill('#pin', '777');
  await page.click('#search button[type=submit]');
  await expect.poll(() => page.locator('#punches tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pin')))).toEqual(['777']);
  await page.fill('#pin', '999');
  await page.click('#search button[type=submit]');
  await expect.poll(() => page.locator('#punches tbody td.empty').textContent()).toBe('Tidak ada absensi.');
  await page.click('#show-all');
  await expect.poll(() => page.locator('#punches tbody tr').count()).toBe(2);

  await page.click('#lang');
  expect(await page.locator('h2[data-i18n="devices"]').textContent()).toBe('Devices');
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  expect(await device.textContent()).toContain('online');
  expect(await page.locator('#devices th[data-i18n="completeThrough"]').textContent()).toBe('Complete through');
  expect(await device.locator('[data-complete-through]').textContent()).toBe('2026-01-19 16:30:00 WIBlog download');
  await page.reload();
  await expect.poll(() => page.locator('#punches tr[data-pin="00123"]').textContent()).toContain('mqtt: delivered');
  expect(await page.locator('h2[data-i18n="punches"]').textContent()).toBe('Recent punches');

  mkdirSync('test-artifacts', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/status-page.png', fullPage: true });
  expect(problems).toEqual([]);
});

it('asks for the token when the page is opened without it', async (ctx) => {
  if (!existsSync(CHROMIUM) || !gateway || !browser) ctx.skip(`needs ${CHROMIUM} and the first test's gateway`);
  const page = await browser!.newPage();
  await page.goto(`${gateway!.api!.url}/`);
  await expect.poll(() => page.locator('#token-box').isVisible()).toBe(true);
  await page.fill('#token-input', TEST_TOKEN);
  await page.click('#token-form button');
  await expect.poll(() => page.locator('#token-box').isVisible()).toBe(false);
  await expect.poll(() => page.locator('#devices tr[data-device="dev-a"]').count()).toBe(1);
});
