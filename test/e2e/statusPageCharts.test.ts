// The status page's charts in real headless Chromium against a real gateway (test-feed → SQLite →
// Aedes, and an HTTPS sink nobody answers, so a backlog builds): punches per hour today per
// device, and the backlog and oldest-unsent age, drawn on the gateway as SVG and shown inline
// under the page's unchanged CSP. The bars and lines have a size on screen, and a PNG screenshot of
// the charts is decoded by the browser and holds the bars' colour. A PIN search shows the punch's
// path: terminal → stored on the gateway → mqtt delivered (with its time) → https still waiting. Screenshots go to
// test-artifacts/ (git-ignored).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATUS_PAGE_CSP } from '../../src/api/statusPage/page.js';
import type { Gateway } from '../../src/gateway.js';
import { formatWallTime, wallTimeIn } from '../../src/punch/time.js';
import { freePort } from '../../src/util/net.js';
import { startAedes, until, type TestBroker } from '../helpers/broker.js';
import { feeds } from '../helpers/feedDriver.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { feed, startTestGateway, TEST_TOKEN } from './fixture.js';
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

/** Box sizes of the elements `selector` finds. */
const boxes = (page: import('playwright-core').Page, selector: string) =>
  page.locator(selector).evaluateAll((nodes) => nodes.map((n) => { const b = n.getBoundingClientRect(); return { width: b.width, height: b.height }; }));

it('draws punches per hour today and the backlog over time, inline under the same CSP', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (Debian package "chromium"); the charts were not tested in a browser`);
  const deadHttps = `http://127.0.0.1:${await freePort()}/punches`;
  const devices = ['  - {id: dev-a, driver: test-feed}', '  - {id: dev-in, driver: test-feed, timezone: Asia/Kolkata}', '  - {id: dev-off, driver: test-feed, enabled: false}'].join('\n');
  gateway = await startTestGateway({ dir: tmp.dir, mqttUrl: broker.url, httpsUrl: deadHttps, token: TEST_TOKEN, listen: true, devices });
  await until(() => feeds.has('dev-in'), 10_000, 'dev-in started');
  const now = formatWallTime(wallTimeIn('Asia/Jakarta', Date.now()));
  const today = now.slice(0, 10);
  const hour = Number(now.slice(11, 13));
  const at = (h: number, m: number): string => `${today}T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
  await feed('dev-a').push([1, 2, 3].map((i) => rawPunch(i, { pin: `10${i}`, localTime: at(0, i) })));
  await feed('dev-a').push([4, 5, 6, 7, 8, 9].map((i) => rawPunch(i, { pin: `10${i}`, localTime: at(hour, 0) })));
  // a zone half an hour off UTC (India): the first and the last minutes of its own today
  const todayIn = formatWallTime(wallTimeIn('Asia/Kolkata', Date.now())).slice(0, 10);
  await feed('dev-in').push([rawPunch(20, { pin: '201', localTime: `${todayIn}T00:10:00` }), rawPunch(21, { pin: '202', localTime: `${todayIn}T23:50:00` })]);
  await until(() => gateway!.buffer.stats().sinks.some((s) => s.sink === 'mqtt' && s.pending === 0), 10_000, 'mqtt delivered');

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  const response = await page.goto(`${gateway.api!.url}/?token=${TEST_TOKEN}`);
  expect(response?.headers()['content-security-policy']).toBe(STATUS_PAGE_CSP);
  expect(STATUS_PAGE_CSP).toMatch(/^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/);

  // punches per hour: dev-a's bars at 00:00 and at this hour, sized on screen; dev-b has a row, no bar
  const bars = '#chart-punches-today svg rect[data-device="dev-a"]';
  await expect.poll(() => page.locator(bars).count()).toBeGreaterThan(0);
  const counts = await page.locator(bars).evaluateAll((nodes) => nodes.map((n) => [Number(n.getAttribute('data-hour')), Number(n.getAttribute('data-count'))]));
  expect(Object.fromEntries(counts)).toEqual(hour === 0 ? { 0: 9 } : { 0: 3, [hour]: 6 });
  expect((await boxes(page, bars)).every((b) => b.width > 0 && b.height > 0)).toBe(true);
  expect(await page.locator('#chart-punches-today svg [data-total]').evaluateAll((n) => n.map((x) => x.getAttribute('data-total')))).toEqual(['9', '2']);
  const india = await page.locator('#chart-punches-today svg rect[data-device="dev-in"]').evaluateAll((nodes) => nodes.map((n) => [Number(n.getAttribute('data-hour')), Number(n.getAttribute('data-count'))]));
  expect(india).toEqual([[0, 1], [23, 1]]);

  // the backlog: https holds all 11, mqtt none; the line rises from the first sample to now
  const httpsLine = '#chart-backlog svg path[data-series="https"]';
  await expect.poll(() => page.locator(httpsLine).count()).toBe(1);
  expect((await boxes(page, httpsLine))[0]!.height).toBeGreaterThan(0);
  expect(await page.locator('#chart-backlog svg circle title').allTextContents()).toEqual(expect.arrayContaining(['https: 11']));
  await expect.poll(() => page.locator('#chart-oldest-unsent svg path[data-series="https"]').count()).toBe(1);
  expect((await boxes(page, '#chart-oldest-unsent svg path[data-series="https"]'))[0]!.width).toBeGreaterThan(0);

  // the screenshot: a non-empty PNG that the browser decodes to more than one colour, the bars' among them
  mkdirSync('test-artifacts', { recursive: true });
  const png = await page.locator('#charts').screenshot();
  writeFileSync('test-artifacts/status-page-charts.png', png);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  const decoder = await browser.newPage();
  // runs in the browser (a page of its own, no CSP): the browser's PNG decoder, read back through a canvas
  const colours = (await decoder.evaluate(`(async () => {
    const img = new Image();
    img.src = 'data:image/png;base64,${png.toString('base64')}';
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, img.width, img.height).data;
    const seen = new Set();
    let barPixels = 0;
    for (let i = 0; i < px.length; i += 4) {
      seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
      if (Math.abs(px[i] - 0x1a) < 8 && Math.abs(px[i + 1] - 0x7f) < 8 && Math.abs(px[i + 2] - 0x37) < 8) barPixels += 1;
    }
    return { width: img.width, height: img.height, distinct: seen.size, barPixels };
  })()`)) as { width: number; height: number; distinct: number; barPixels: number };
  expect(colours.width).toBeGreaterThan(0);
  expect(colours.distinct).toBeGreaterThan(2);
  expect(colours.barPixels).toBeGreaterThan(0);
  await page.screenshot({ path: 'test-artifacts/status-page-with-charts.png', fullPage: true });

  // English words in the charts after the switch
  await page.click('#lang');
  await expect.poll(() => page.locator('#chart-punches-today svg').getAttribute('aria-label')).toBe('Punches per hour today, per device (device clock)');
  expect(problems.filter((p) => !p.includes('status of 503'))).toEqual([]);
});

it('answers the charts as SVG behind the token, with a CSP of their own', async (ctx) => {
  if (!gateway) ctx.skip('needs the first test\'s gateway');
  const url = `${gateway!.api!.url}/api/charts/backlog.svg`;
  expect((await fetch(url)).status).toBe(401);
  const res = await fetch(`${url}?lang=en`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toBe("default-src 'none'");
  expect(await res.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* data-chart="backlog"/);
  const bad = await fetch(`${url}?lang=fr`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { code: string }).code).toBe('GW_ERR_API_BAD_REQUEST');
});

it('shows a searched punch\'s path: terminal, the gateway, each sink', async (ctx) => {
  if (!gateway || !browser) ctx.skip('needs the first test\'s gateway and browser');
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${gateway!.api!.url}/?token=${TEST_TOKEN}`);
  await page.fill('#pin', '104');
  await page.click('#search button[type=submit]');
  const path = '#punch-path svg[data-chart="punch-path"]';
  await expect.poll(() => page.locator(path).count()).toBe(1);
  expect(await page.locator('#path-section').isVisible()).toBe(true);
  const id = await page.locator('#punches tr[data-pin="104"]').getAttribute('data-punch');
  expect(await page.locator('#punch-path').getAttribute('data-punch')).toBe(id);
  const steps = await page.locator(`${path} g[data-step]`).evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-step'), n.getAttribute('data-state')]));
  expect(steps).toEqual([['Terminal dev-a', 'done'], ['Tersimpan di gateway', 'done'], ['mqtt', 'done'], ['https', 'waiting']]);
  const texts = await page.locator(`${path} g[data-step="Terminal dev-a"] text`).allTextContents();
  expect(texts[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:00:00 WIB$/);
  expect(await page.locator(`${path} g[data-step="mqtt"] text`).allTextContents()).toEqual(['mqtt', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WIB$/), 'terkirim']);
  expect(await page.locator(`${path} g[data-step="https"] text`).allTextContents()).toEqual(['https', 'menunggu']);
  expect(await page.locator(`${path} [data-delay]`).count()).toBeGreaterThanOrEqual(2);
  expect((await boxes(page, `${path} circle`)).every((b) => b.width > 0 && b.height > 0)).toBe(true);
  await page.locator('#path-section').screenshot({ path: 'test-artifacts/status-page-punch-path.png' });

  // another row's button picks its punch; "Semua" clears the path
  await page.click('#show-all');
  await expect.poll(() => page.locator('#path-section').isVisible()).toBe(false);
  await page.locator('#punches tr[data-pin="101"] button[data-path]').click();
  await expect.poll(() => page.locator('#punch-path').getAttribute('data-punch')).toBe(await page.locator('#punches tr[data-pin="101"]').getAttribute('data-punch'));
  expect(problems).toEqual([]);

  const headers = { authorization: `Bearer ${TEST_TOKEN}` };
  expect((await fetch(`${gateway!.api!.url}/api/punches/${'0'.repeat(32)}/path.svg`, { headers })).status).toBe(404);
  expect((await fetch(`${gateway!.api!.url}/api/punches/not-an-id/path.svg`, { headers })).status).toBe(400);
});
