// Issue 15 finding 8 in a real browser: headless Chromium resolves evil.example to 127.0.0.1
// (--host-resolver-rules), which is where a DNS-rebinding page ends up: its own origin
// (http://evil.example:PORT), talking to the gateway's loopback API without a token. The page must
// read no punch and purge no dead letter; the status page under 127.0.0.1 keeps working.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import type { Punch } from '../../src/punch/punch.js';
import { until } from '../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { feed, startTestGateway } from './fixture.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';

const ARGS = [...CHROMIUM_ARGS, '--host-resolver-rules=MAP evil.example 127.0.0.1'];

let tmp: ReturnType<typeof tempDir>;
let receiver: HttpsReceiver;
let gateway: Gateway | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  tmp = tempDir();
  receiver = await startHttpsReceiver({
    tls: false,
    respond: (_req, body) => ({ status: 200, body: { rejected: (body as { punches: Punch[] }).punches.filter((p) => p.pin === '666').map((p) => ({ id: p.id, reason: 'unknown employee' })) } }),
  });
});
afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await receiver.close();
  tmp.cleanup();
});

const deadLetters = (): number => gateway!.buffer.stats().sinks[0]!.deadLetters;

it('a page under a rebound name reads no punch and purges no dead letter', async (ctx) => {
  if (!existsSync(CHROMIUM)) ctx.skip(`${CHROMIUM} is not installed (Debian package "chromium"); the API was not tested in a browser`);
  gateway = await startTestGateway({ dir: tmp.dir, httpsUrl: receiver.url, listen: true });
  await feed('dev-a').push([rawPunch(1, { pin: '666' }), rawPunch(2, { pin: '100' })]);
  await until(() => deadLetters() === 1 && gateway!.buffer.stats().sinks[0]!.pending === 0, 10_000, 'one dead letter');
  const port = gateway.api!.address.port;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const page = await browser.newPage();
  const read = await page.goto(`http://evil.example:${port}/api/punches?pin=666`);
  expect(read?.status()).toBe(421);
  expect(await read?.json()).toMatchObject({ code: 'GW_ERR_API_FORBIDDEN' });
  // the page's own origin now: what its script can do with the API
  const purge = await page.evaluate(async () => {
    const res = await fetch('/api/dead-letters/purge', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"all":true}' });
    return { status: res.status, body: await res.text() };
  });
  expect(purge.status).toBe(421);
  expect(deadLetters()).toBe(1);

  const own = await browser.newPage();
  const status = await own.goto(`http://127.0.0.1:${port}/`);
  expect(status?.status()).toBe(200);
  await expect.poll(() => own.locator('#devices tr[data-device="dev-a"]').count()).toBe(1);
});
