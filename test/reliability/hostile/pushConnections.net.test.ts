// Connection limits of the real push listener per source address (issue #15 finding 7): idle
// sockets from the forger's address(es) on 127.0.0.2… and the real terminal on 127.0.0.1, over
// real sockets, with a real SQLite buffer. Outcomes only (committed punches, counters), no timings.
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../src/gateway.js';
import { attlogLine, FORGER_ADDRESS, TERMINAL_ADDRESS, zkPushCaller } from '../../helpers/pushClient.js';
import { tempDir } from '../../helpers/tmp.js';
import { startPushGateway } from '../../drivers/zk-push/gatewayHarness.js';
import { punchesOf } from '../../drivers/zk-push/punchesOf.js';

const SN = 'SNCONN000001';
const IDLE_SOCKETS = 200;
const KEY = '31337';

let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway;
let port: number;
const sockets: Socket[] = [];

beforeEach(async () => {
  tmp = tempDir();
  // maxConnections 100: on a listener with one global limit, 200 idle sockets of one host fill it
  gateway = await startPushGateway({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: SN, extra: `commKey: "${KEY}"` }], pushListener: ['maxConnections: 100'] });
  port = (gateway.push!.app.server.address() as { port: number }).port;
  // the terminal's good handshake pins it to 127.0.0.1: a configured terminal's address from then on
  expect(await zkPushCaller(port, SN, TERMINAL_ADDRESS).handshake(KEY)).toMatchObject({ status: 200 });
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await gateway?.stop();
  tmp.cleanup();
});

/** Opens `count` sockets from `from` that never send a byte; resolves once the server has taken or closed each. */
async function idleSockets(count: number, from: (i: number) => string): Promise<void> {
  const open = new Set<Socket>();
  await Promise.all(
    Array.from({ length: count }, (_, i) => new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: from(i) }, () => resolve());
      sockets.push(socket);
      open.add(socket);
      socket.on('error', () => resolve());
      socket.on('close', () => open.delete(socket));
    })),
  );
  // settled when every socket the server still holds is one the client still sees open
  const serverHeld = (): Promise<number> => new Promise((resolve, reject) => gateway.push!.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
  let stableRounds = 0;
  while (stableRounds < 3) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    stableRounds = (await serverHeld()) === open.size ? stableRounds + 1 : 0;
  }
}

async function refused(reason: string): Promise<number> {
  const metric = await gateway.metrics.pushRefused.get();
  return metric.values.find((v) => v.labels.device === '(push)' && v.labels.reason === reason)?.value ?? 0;
}

describe('push listener connection limits', () => {
  it(`${IDLE_SOCKETS} idle sockets from one host do not shut the real terminal out`, async () => {
    await idleSockets(IDLE_SOCKETS, () => FORGER_ADDRESS);
    const terminal = zkPushCaller(port, SN, TERMINAL_ADDRESS);
    expect(await terminal.upload(attlogLine('1001', '2026-01-19T07:31:05'))).toMatchObject({ status: 200, body: 'OK: 1' });
    expect(await terminal.upload(attlogLine('1002', '2026-01-19T07:32:05'))).toMatchObject({ status: 200, body: 'OK: 1' });
    expect(punchesOf(gateway.bufferFile).map((p) => p.pin)).toEqual(['1001', '1002']);
    expect(await refused('connections-per-address')).toBe(IDLE_SOCKETS - 16);
  });

  it('strangers on many addresses fill maxConnections, and the configured terminal still finds room', async () => {
    // 13 addresses × 16 sockets: more than maxConnections (100) in all
    await idleSockets(13 * 16, (i) => `127.0.0.${2 + Math.floor(i / 16)}`);
    const terminal = zkPushCaller(port, SN, TERMINAL_ADDRESS);
    expect(await terminal.upload(attlogLine('1001', '2026-01-19T07:31:05'))).toMatchObject({ status: 200, body: 'OK: 1' });
    expect(punchesOf(gateway.bufferFile).map((p) => p.pin)).toEqual(['1001']);
    expect(await refused('connections')).toBe(13 * 16 - 100);
  });
});
