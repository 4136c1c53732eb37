// 20,000 requests with unknown serials (issue #15 finding 10) from the forger's address 127.0.0.2
// against the real push listener of a whole Gateway (real SQLite buffer): counted one by one, the
// unknown-terminal list stays bounded, and the journal gets a few warning lines and a count, not
// 20,000 lines. A real terminal on 127.0.0.1 is served meanwhile.
import { Agent, request } from 'node:http';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Gateway } from '../../../src/gateway.js';
import { startPushGateway } from '../../drivers/zk-push/gatewayHarness.js';
import { punchesOf } from '../../drivers/zk-push/punchesOf.js';
import { captureLog, type CapturedLog } from '../../helpers/logLines.js';
import { attlogLine, FORGER_ADDRESS, TERMINAL_ADDRESS, zkPushCaller } from '../../helpers/pushClient.js';
import { tempDir } from '../../helpers/tmp.js';

const REQUESTS = 20_000;
const CONCURRENCY = 8;

let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway | undefined;
let logs: CapturedLog;

beforeEach(async () => {
  tmp = tempDir();
  logs = captureLog();
  gateway = await startPushGateway({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: 'SNREAL000001' }], log: logs.log });
});
afterEach(async () => {
  await gateway?.stop();
  tmp.cleanup();
});

function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

it(`${REQUESTS} requests with unknown serials: all counted, the list bounded, a few warning lines and a count`, async () => {
  const port = (gateway!.push!.app.server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, localAddress: FORGER_ADDRESS });
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const status = await get(agent, port, `/iclock/getrequest?SN=FORGED${String(next++).padStart(6, '0')}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  agent.destroy();
  expect(Object.fromEntries(statuses)).toEqual({ 503: REQUESTS });
  const metric = (await gateway!.metrics.rejected.get()).values.find((v) => v.labels.reason === 'unknown-serial');
  expect(metric?.value).toBe(REQUESTS);
  expect(gateway!.push!.unknown()).toHaveLength(100);
  expect(await zkPushCaller(port, 'SNREAL000001', TERMINAL_ADDRESS).upload(attlogLine('1001', '2026-01-19T07:31:05'))).toMatchObject({ status: 200 });
  expect(punchesOf(gateway!.bufferFile).map((p) => p.pin)).toEqual(['1001']);

  const lines = logs.withCode('GW_ERR_PUSH_UNKNOWN_DEVICE');
  expect(lines.length).toBeLessThanOrEqual(5);
  await gateway!.stop();
  gateway = undefined;
  // at stop the held-back lines are summed up in one line: nothing goes unsaid
  const summary = logs.withCode('GW_ERR_PUSH_UNKNOWN_DEVICE').find((l) => typeof l.suppressed === 'number');
  expect(summary?.suppressed).toBe(REQUESTS - lines.length);
});
