// The status page in real headless Chromium shows each kiosk as DESIGN.md "Kiosks and apps" and
// issue #23 ask: its last punch, its clock skew (highlighted when large), and its certificate —
// valid until a date, revoked, expired, or none issued yet — in Bahasa Indonesia and English.
// A real Gateway with four kiosk entries; punches posted over real mutual TLS.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { caOf, kioskRequest, startKioskGateway, witaTime, type ClientIdentity } from '../kiosk/harness.js';
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

function enroll(g: Gateway, deviceId: string, days?: number): ClientIdentity {
  const out = join(tmp.dir, `${deviceId}.p12`);
  caOf(g).enroll(deviceId, { out, password: 'pw', ...(days !== undefined ? { days } : {}) });
  return { pfx: readFileSync(out), passphrase: 'pw' };
}

it('shows each kiosk: last punch, clock skew, certificate valid / revoked / expired / none', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (Debian package "chromium"); the status page was not tested in a browser`);
  gateway = await startKioskGateway(tmp.dir, ['kiosk-valid', 'kiosk-revoked', 'kiosk-expired', 'kiosk-new'], { api: true });
  const g = gateway;
  const valid = enroll(g, 'kiosk-valid');
  const revoked = enroll(g, 'kiosk-revoked');
  enroll(g, 'kiosk-expired', -1);
  // kiosk-valid's clock runs 90 s ahead: taken (kiosk.maxSkew is 2m) and highlighted (≥ 60 s)
  expect((await kioskRequest(g, { path: '/kiosk/v1/punch', identity: valid, body: { pin: '701', time: witaTime(Date.now() + 90_000) } })).status).toBe(200);
  expect((await kioskRequest(g, { path: '/kiosk/v1/punch', identity: revoked, body: { pin: '702', time: witaTime(Date.now()) } })).status).toBe(200);
  caOf(g).revoke('kiosk-revoked');

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${g.api!.url}/`);
  const rowOf = (id: string) => page.locator(`#devices tr[data-device="${id}"]`);
  const certificate = (id: string) => rowOf(id).locator('[data-kiosk-certificate]');

  await expect.poll(() => certificate('kiosk-valid').getAttribute('data-kiosk-certificate')).toBe('valid');
  const notAfter = new Date(Date.now() + 730 * 86_400_000).toISOString().slice(0, 10);
  expect((await certificate('kiosk-valid').textContent())?.slice(0, 'sertifikat s.d.'.length)).toBe('sertifikat s.d.');
  // two years from today (a day either way when the run straddles midnight UTC)
  expect(Math.abs(Date.parse((await certificate('kiosk-valid').textContent())!.slice(-10)) - Date.parse(notAfter))).toBeLessThanOrEqual(86_400_000);
  expect(await certificate('kiosk-revoked').getAttribute('data-kiosk-certificate')).toBe('revoked');
  expect(await certificate('kiosk-revoked').textContent()).toBe('sertifikat dicabut');
  expect(await certificate('kiosk-expired').getAttribute('data-kiosk-certificate')).toBe('expired');
  expect(await certificate('kiosk-expired').textContent()).toBe('sertifikat kedaluwarsa');
  expect(await certificate('kiosk-new').getAttribute('data-kiosk-certificate')).toBe('none');
  expect(await certificate('kiosk-new').textContent()).toBe('belum ada sertifikat');

  // columns: device, status, last seen, last punch, complete through, clock skew, …
  const cell = (id: string, column: number) => rowOf(id).locator('td').nth(column);
  expect(await cell('kiosk-valid', 3).textContent()).not.toBe(await cell('kiosk-new', 3).textContent()); // a last punch vs never
  const skew = rowOf('kiosk-valid').locator('[data-skew="high"]');
  expect(await skew.textContent()).toMatch(/^\+(89|90|91) /);
  expect(await rowOf('kiosk-revoked').locator('[data-skew]').count()).toBe(0);

  await page.click('#lang');
  await expect.poll(() => certificate('kiosk-revoked').textContent()).toBe('certificate revoked');
  expect(await certificate('kiosk-expired').textContent()).toBe('certificate expired');
  expect(await certificate('kiosk-new').textContent()).toBe('no certificate yet');
  expect((await certificate('kiosk-valid').textContent())?.startsWith('certificate until ')).toBe(true);
  expect(problems).toEqual([]);
});
