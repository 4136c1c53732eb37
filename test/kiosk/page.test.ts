// The built-in kiosk page (GET /kiosk/) in real headless Chromium with the kiosk's client
// certificate (Playwright's clientCertificates) and Chromium's fake camera: a PIN typed on the
// pad and "Masuk" commits a punch and shows its id; with the camera on, the punch carries the
// photo's hash; with the gateway down the punch waits in the page's queue and, once the gateway is
// back on the same port, is sent and committed once.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { punchesOf } from '../drivers/zk-push/punchesOf.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { caOf, kioskPort, startKioskGateway } from './harness.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const ARGS = [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
const PASSWORD = 'page-test-pass';
/** evaluated in the page: how many punches wait in its queue */
const QUEUE_LENGTH = "JSON.parse(localStorage.getItem('absensi.kiosk.queue') || '[]').length";

let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;

beforeAll(() => {
  tmp = tempDir();
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gateway?.stop();
  tmp.cleanup();
});

it('punches from the PIN pad, with a snapshot, and through a gateway restart from its queue', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed; the kiosk page was not tested in a browser`);
  gateway = await startKioskGateway(tmp.dir, ['lobby-kiosk']);
  const port = kioskPort(gateway);
  const pfxPath = join(tmp.dir, 'lobby-kiosk.p12');
  caOf(gateway).enroll('lobby-kiosk', { out: pfxPath, password: PASSWORD });
  const origin = `https://127.0.0.1:${port}`;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  context = await browser.newContext({ ignoreHTTPSErrors: true, clientCertificates: [{ origin, pfx: readFileSync(pfxPath), passphrase: PASSWORD }] });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('Failed to load resource')) problems.push(m.text());
  });
  const response = await page.goto(`${origin}/kiosk/`);
  expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
  expect(await page.locator('[data-state="check-in"]').textContent()).toBe('Masuk');

  const type = async (digits: string): Promise<void> => {
    for (const d of digits) await page.locator(`#pad [data-key="${d}"]`).click();
  };
  await type('00123');
  await page.locator('[data-state="check-in"]').click();
  await expect.poll(() => page.locator('#message').getAttribute('data-punch-id')).toMatch(/^[0-9a-f]{32}$/);
  const first = await page.locator('#message').getAttribute('data-punch-id');
  expect(punchesOf(gateway.bufferFile, 'lobby-kiosk')).toEqual([expect.objectContaining({ id: first, pin: '00123', state: 'check-in' })]);

  await page.locator('#use-photo').check();
  await expect.poll(() => page.locator('#video').evaluate((v) => (v as unknown as { videoWidth: number }).videoWidth)).toBeGreaterThan(0);
  await type('4711');
  await page.locator('[data-state="check-out"]').click();
  await expect.poll(() => page.locator('#message').getAttribute('data-punch-id')).not.toBe(first);
  const withPhoto = punchesOf(gateway.bufferFile, 'lobby-kiosk').find((p) => p.pin === '4711');
  expect(withPhoto?.raw.photoSha256).toMatch(/^[0-9a-f]{64}$/);
  await page.locator('#use-photo').uncheck();

  // the gateway goes away: the punch waits in the page's storage
  await gateway.stop();
  gateway = undefined;
  await type('777');
  await page.locator('[data-state="break-out"]').click();
  await expect.poll(() => page.evaluate(QUEUE_LENGTH)).toBe(1);
  await expect.poll(() => page.locator('#message').getAttribute('class')).toBe('warn');

  // back on the same port and buffer: the queued punch is sent, committed once, the queue empties
  gateway = await startKioskGateway(tmp.dir, ['lobby-kiosk'], { port });
  const restarted = gateway;
  await until(() => punchesOf(restarted.bufferFile, 'lobby-kiosk').some((p) => p.pin === '777'), 'the queued punch committed', 30_000);
  await expect.poll(() => page.evaluate(QUEUE_LENGTH)).toBe(0);
  expect(punchesOf(restarted.bufferFile, 'lobby-kiosk').filter((p) => p.pin === '777')).toEqual([expect.objectContaining({ state: 'break-out' })]);
  expect(problems).toEqual([]);
}, 90_000);
