// The real CLI: `simulate zk-push` calling a running gateway, and `pull <id>` for a push terminal
// queueing the backfill through the daemon's local API (the terminal runs it on its next poll).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { queuePushPull } from '../../src/cli/pullViaDaemon.js';
import { until } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';
import { pushConfigYaml, pushUrl, startPushGateway } from '../drivers/zk-push/gatewayHarness.js';
import { punchesOf } from '../drivers/zk-push/punchesOf.js';

const run = promisify(execFile);
const SN = 'CLIPUSH00001';
let tmp: ReturnType<typeof tempDir>;
let gateway: Gateway | undefined;
let child: ChildProcess | undefined;

beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }
  child = undefined;
  await gateway?.stop();
  gateway = undefined;
  tmp.cleanup();
});

describe('zk-push from the command line', () => {
  it('simulate zk-push uploads to the gateway; pull <id> queues a backfill the simulated terminal runs', async () => {
    gateway = await startPushGateway({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: SN }], api: true });
    // the CLI reads the same config, with the ports the gateway actually got
    const cliConfig = join(tmp.dir, 'cli.yaml');
    writeFileSync(cliConfig, pushConfigYaml({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: SN }], apiPort: gateway.api!.address.port }));
    let out = '';
    child = spawn('node', ['--import', 'tsx', 'src/main.ts', 'simulate', 'zk-push', '--target', pushUrl(gateway), '--serial', SN, '--punch-every', '50ms', '--poll-every', '100ms', '--retry-every', '100ms', '--gzip'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    await until(() => punchesOf(gateway!.bufferFile).length >= 3, 20_000, 'three punches from the simulator');
    const pulled = await run('node', ['--import', 'tsx', 'src/main.ts', 'pull', 'loket-1', '--since', '2000-01-01', '--config', cliConfig]);
    expect(pulled.stdout).toMatch(/backfill 2000-01-01T00:00:00 … .* queued as command \d+/);
    await until(() => /command \d+: DATA QUERY ATTLOG StartTime=2000-01-01 00:00:00\tEndTime=\S+ \S+ → 0/.test(out), 20_000, 'the terminal to run the query');
    const punches = punchesOf(gateway.bufferFile);
    expect(new Set(punches.map((p) => p.id)).size).toBe(punches.length);
    expect(punches.every((p) => p.device.serial === SN)).toBe(true);
  });

  it('pull <id> for a push terminal says so when the daemon is not running; other devices fall through', async () => {
    const config = join(tmp.dir, 'down.yaml');
    // port 9 (discard) on loopback: nothing listens there in a test environment
    writeFileSync(config, pushConfigYaml({ dir: tmp.dir, devices: [{ id: 'loket-1', serial: SN }], apiPort: 9 }));
    expect(await queuePushPull('loket-1', config)).toMatchObject({ ok: false, message: expect.stringMatching(/cannot reach the running daemon's local API/) });
    expect(await queuePushPull('no-such-device', config)).toBeUndefined();
    expect(await queuePushPull('loket-1', join(tmp.dir, 'missing.yaml'))).toBeUndefined();
  });
});
