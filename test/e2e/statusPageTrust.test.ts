// The status page in real headless Chromium names a push device that nothing authenticates
// (issue #15): a real Gateway with two zk-push devices, one with allowFrom, one with neither
// allowFrom nor commKey; only the second carries the "unauthenticated" badge, in both languages.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { startPushGateway } from '../drivers/zk-push/gatewayHarness.js';
import { tempDir } from '../helpers/tmp.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';


let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway | undefined;
let browser: Browser | undefined;

beforeAll(() => {
  tmp = tempDir();
});
afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  tmp.cleanup();
});

it('marks the unauthenticated push device, and only that one', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (Debian package "chromium"); the status page was not tested in a browser`);
  gateway = await startPushGateway({ dir: tmp.dir, api: true, devices: [{ id: 'loket-aman', serial: 'SNSAFE000001', extra: 'allowFrom: ["192.0.2.10"]' }, { id: 'loket-terbuka', serial: 'SNOPEN000001' }] });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${gateway.api!.url}/`);
  const open = page.locator('#devices tr[data-device="loket-terbuka"] [data-trust="unauthenticated"]');
  await expect.poll(() => open.textContent()).toBe('tanpa autentikasi');
  expect(await open.getAttribute('title')).toMatch(/allowFrom/);
  expect(await page.locator('#devices tr[data-device="loket-aman"] [data-trust]').count()).toBe(0);
  await page.click('#lang');
  await expect.poll(() => open.textContent()).toBe('unauthenticated');
  expect(problems).toEqual([]);
});
