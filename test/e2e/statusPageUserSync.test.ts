// The status page's userSync part in real headless Chromium against a real gateway whose userSync
// group holds two simulated EasyLink terminals with one PIN under two names: the conflict is shown
// (group, PIN, each terminal's name and card) in Bahasa Indonesia and English, never a template.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { FingerspotSimulator } from '../../src/sim/fingerspot/index.js';
import { createLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/tmp.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const TOKEN = 'status-page-user-sync-token-01';

const tmp = tempDir();
const sims: FingerspotSimulator[] = [];
let gateway: Gateway | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  for (const s of sims) await s.stop();
  tmp.cleanup();
});

it('lists a userSync conflict with each terminal\'s name and card, in both languages', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (Debian package "chromium"); the status page was not tested in a browser`);
  const entries: string[] = [];
  for (const [i, name] of ['Ani', 'Budi'].entries()) {
    const sn = `FIO66208021239${i}`;
    const sim = new FingerspotSimulator({ serials: [sn], userTable: { users: 0 }, statesAlgorithm: true });
    await sim.start();
    sims.push(sim);
    sim.terminal(sn).users.users.push({ pin: '00123', name, password: '', rfid: String(4455 + i), privilege: 0, templates: [{ idx: 0, algVer: '10', data: Buffer.from('LSSS21 template bytes') }] });
    entries.push(`  - {id: gate-${i}, driver: fingerspot-easylink, host: 127.0.0.1, port: ${sim.address.port}, serial: ${sn}, pollInterval: 1h}`);
  }
  const text = `gateway: {id: gw-page, site: PG, dataDir: ${join(tmp.dir, 'data')}}\napi: {listen: 127.0.0.1:0, token: ${TOKEN}}\ndevices:\n${entries.join('\n')}\nuserSync:\n  - {name: gedung-a, devices: [gate-0, gate-1], interval: 1h}\n`;
  gateway = new Gateway(parseConfigText(text, 'page.yaml', { drivers: BUILTIN_DRIVERS }), { log: createLogger({ level: 'silent' }), drivers: BUILTIN_DRIVERS, api: startApiServer });
  await gateway.start();
  await gateway.userSync!.settled();

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${gateway.api!.url}/?token=${TOKEN}`);
  const conflict = page.locator('#user-conflicts tr[data-conflict="gedung-a/00123"]');
  await expect.poll(() => conflict.textContent()).toBe('gedung-a00123gate-0: Ani · kartu 4455; gate-1: Budi · kartu 4456');
  expect(await page.locator('#user-sync-box').isVisible()).toBe(true);
  expect(await page.locator('h2[data-i18n="userSync"]').textContent()).toBe('Sinkronisasi pengguna: konflik');
  await page.click('#lang');
  await expect.poll(() => conflict.textContent()).toBe('gedung-a00123gate-0: Ani · card 4455; gate-1: Budi · card 4456');
  expect(await page.locator('h2[data-i18n="userSync"]').textContent()).toBe('User sync: conflicts');
  expect(await page.content()).not.toContain('LSSS21');
  expect(problems).toEqual([]);
});
