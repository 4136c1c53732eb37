// Disk suite (issue 8): the buffer's file system fills up for real (a small tmpfs, so SQLite meets
// ENOSPC / SQLITE_FULL, not a simulated error) while a push terminal uploads and a pulled terminal
// keeps recording. The gateway must say so (log, metric, /readyz, device status), answer the push
// terminal "send again" instead of OK, leave the pulled terminal's checkpoint where it was, and
// take everything once space returns: every punch of both terminals in the buffer, none twice.
// Mounting needs root (CAP_SYS_ADMIN); elsewhere the test is skipped with a message, and the
// max_page_count variant in test/contract/buffer.test.ts still runs.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { ZkPushSimulator } from '../../src/sim/zkPush/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { until } from '../helpers/broker.js';
import { pushUrl } from '../drivers/zk-push/gatewayHarness.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const mountPoint = join(tmp.dir, 'disk');
let mounted = false;
let mountError = '';

function mount(options: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint], { stdio: 'pipe' });
}

beforeAll(() => {
  mkdirSync(mountPoint, { recursive: true });
  try {
    mount('size=1536k,mode=0700');
    mounted = true;
  } catch (error) {
    mountError = (error as Error).message.split('\n')[0] ?? 'mount failed';
  }
});
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  tmp.cleanup();
});

it('disk full: reported, push terminal told to retry, pull checkpoint kept, everything taken once space returns', async (ctx) => {
  if (!mounted) {
    process.stdout.write(`disk suite skipped: cannot mount a tmpfs here (${mountError})\n`);
    return ctx.skip();
  }
  const logLines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  const zk = new ZkTcpSimulator({ serial: 'DISKZK000001', records: 20, users: 30, seed: 8 });
  const { port: zkPort } = await zk.start();
  const yaml = [
    `gateway: {id: gw-disk, site: DISK, dataDir: ${join(mountPoint, 'data')}, logLevel: info}`,
    'api: {listen: "127.0.0.1:0"}',
    'pushListener: {listen: "127.0.0.1:0"}',
    'devices:',
    '  - {id: loket, driver: zk-push, serial: DISKPUSH0001}',
    `  - {id: lobby, driver: zk-tcp, host: 127.0.0.1, port: ${zkPort}, realtime: true, pollInterval: 500ms, heartbeatInterval: 1s, timeout: 2s}`,
    'supervisor: {restartMin: 50ms, restartMax: 300ms, shutdownTimeout: 2s}',
  ].join('\n');
  const gateway = new Gateway(parseConfigText(`${yaml}\n`, 'disk.yaml', { drivers: BUILTIN_DRIVERS }), { log, drivers: BUILTIN_DRIVERS, api: startApiServer });
  await gateway.start();
  const terminal = new ZkPushSimulator({ target: pushUrl(gateway), serial: 'DISKPUSH0001', batchSize: 200, retryMs: 200, pollMs: 200 });
  const api = (path: string): Promise<Response> => fetch(`${gateway.api!.url}${path}`);
  const checkpointRows = (device: string): unknown[] => gateway.buffer.database.prepare('SELECT key, value FROM checkpoints WHERE device_id = ? ORDER BY key').all(device);
  const countOf = (device: string): number => (gateway.buffer.database.prepare('SELECT count(*) AS n FROM punches WHERE device_id = ?').get(device) as { n: number }).n;
  try {
    await until(() => countOf('lobby') === 20, 20_000, 'the pulled terminal downloaded');
    terminal.start();

    // staff keep punching at the push terminal until the disk is full
    for (let i = 0; (await api('/readyz')).status === 200; i += 1) {
      for (let k = 0; k < 200; k += 1) terminal.addPunch({ pin: String(1000 + ((i * 200 + k) % 700)), localTime: `2026-03-${String(1 + (i % 28)).padStart(2, '0')}T07:${String(Math.floor(k / 60)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}` });
      await until(() => terminal.pendingUploads === 0 || logLines.some((l) => l.includes('GW_ERR_BUFFER_UNAVAILABLE')), 20_000, 'upload or failure');
      expect(i, 'the disk filled up').toBeLessThan(500);
    }
    // and whatever else wants the disk takes the last free blocks
    const filler = openSync(join(mountPoint, 'filler'), 'w');
    try {
      for (;;) writeSync(filler, Buffer.alloc(16_384));
    } catch {
      // ENOSPC: full
    } finally {
      closeSync(filler);
    }
    for (let k = 0; k < 15; k += 1) zk.addPunch({ pin: zk.log.users[k]!.pin }, { realtime: true });

    // reported: /readyz, metric, log, device status; the push terminal keeps what was not OK'ed
    // (a small commit can still fit into the WAL the file already has, and makes it ready again until
    // the next one fails: wait for a failure to be the latest, as an operator's probe would see it)
    type Ready = { ready: boolean; reasons: { code: string; message: string }[] };
    let ready = (await (await api('/readyz')).json()) as Ready;
    for (let tries = 0; ready.ready && tries < 200; tries += 1) {
      await new Promise((r) => setTimeout(r, 50)); // the push terminal keeps retrying its upload meanwhile
      ready = (await (await api('/readyz')).json()) as Ready;
    }
    expect(ready.ready).toBe(false);
    expect(ready.reasons.map((r) => r.code)).toContain('GW_ERR_BUFFER_UNAVAILABLE');
    const metrics = await (await api('/metrics')).text();
    expect(Number(/^gateway_buffer_commit_errors_total (\d+)/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
    expect(logLines.some((l) => l.includes('GW_ERR_BUFFER_UNAVAILABLE'))).toBe(true);
    await until(() => terminal.pendingUploads > 0, 10_000, 'an upload refused');
    const devices = (await (await api('/api/devices')).json()) as { devices: { id: string; lastError: string | null }[] };
    expect(devices.devices.find((d) => d.id === 'loket')?.lastError).toMatch(/GW_ERR_BUFFER_UNAVAILABLE/);
    // the pulled terminal's checkpoint never runs ahead of what is committed: what a failed
    // commit did not store is downloaded again later (SQLite may still fit a lone punch into WAL
    // pages it already owns, so some commits can succeed while the disk is full)
    const checkpointCount = (): number => {
      const row = (checkpointRows('lobby') as { key: string; value: string }[]).find((r) => r.key === 'attlog');
      return row ? (JSON.parse(row.value) as { count: number }).count : 0;
    };
    for (let t = 0; t < 15; t += 1) {
      expect(checkpointCount()).toBeLessThanOrEqual(countOf('lobby'));
      await new Promise((r) => setTimeout(r, 100));
    }
    const refusedWhileFull = terminal.pendingUploads;

    // space returns
    rmSync(join(mountPoint, 'filler'));
    mount('remount,size=64m');
    await until(() => terminal.pendingUploads === 0, 30_000, 'the push terminal delivered its backlog');
    await until(() => countOf('lobby') === zk.log.count, 30_000, 'the pulled terminal caught up');
    for (let t = 0; t < 100 && (await api('/readyz')).status !== 200; t += 1) await new Promise((r) => setTimeout(r, 100));
    expect((await api('/readyz')).status).toBe(200);

    // everything once: every record of each terminal is one row
    expect(countOf('loket')).toBe(new Set(terminal.records.map((r) => `${r.pin}|${r.localTime}|${r.state}|${r.verify}`)).size);
    expect(countOf('lobby')).toBe(zk.log.count);
    process.stdout.write(
      `disk full: push terminal refused ${refusedWhileFull} punches while full, then delivered all ${terminal.records.length}; pulled terminal kept its checkpoint and caught up to ${zk.log.count}\n`,
    );
  } finally {
    await terminal.stop();
    await gateway.stop();
    await zk.stop();
  }
}, 120_000);
