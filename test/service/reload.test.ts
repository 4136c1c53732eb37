// SIGHUP reload (issue 7): devices added, removed and changed while punches stream in, with a real
// Gateway, the in-test feed driver, a real broker and a real SQLite file; every punch arrives once.
// An invalid new file is refused and the old config keeps running. Then the same through the real
// `run` child process and a real SIGHUP.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import type { RawPunch } from '../../src/punch/punch.js';
import { createLogger } from '../../src/util/logger.js';
import { collect, startAedes, until, type TestBroker } from '../helpers/broker.js';
import { feedDriver, feeds, startAttempts } from '../helpers/feedDriver.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
let gateway: Gateway | undefined;
beforeEach(async () => {
  tmp = tempDir();
  broker = await startAedes();
  startAttempts.clear();
});
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
  await broker.close();
  tmp.cleanup();
});

function configYaml(site: string, devices: string): string {
  return [
    'gateway:', '  id: gw-reload', `  site: ${site}`, `  dataDir: ${join(tmp.dir, 'data')}`,
    'api:', '  listen: 127.0.0.1:0',
    'devices:', devices,
    'publish:', '  mqtt:', `    url: ${broker.url}`, `    clientId: gw-${site}`,
    'supervisor:', '  restartMin: 50ms', '  shutdownTimeout: 2s', '',
  ].join('\n');
}

/** Pushes like a terminal that resends until the gateway has committed: whichever instance is current. */
async function pushUntilCommitted(deviceId: string, raw: RawPunch): Promise<void> {
  for (;;) {
    const feed = feeds.get(deviceId);
    if (feed) {
      try {
        await feed.push([raw]);
        return;
      } catch {
        // the instance was stopping; push again to the next one
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function bufferedIds(): string[] {
  const db = new Database(join(tmp.dir, 'data', 'buffer.db'), { readonly: true });
  const rows = db.prepare('SELECT id FROM punches').all() as { id: string }[];
  db.close();
  return rows.map((r) => r.id);
}

it('applies added, removed and changed devices live, loses and doubles nothing, and refuses an invalid file', async () => {
  const site = `RL${randomUUID().slice(0, 6)}`;
  const file = join(tmp.dir, 'config.yaml');
  writeFileSync(file, configYaml(site, '  - {id: dev-a, driver: test-feed}\n  - {id: dev-b, driver: test-feed}'));
  const logLines: { level: number; msg: string; code?: string }[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(JSON.parse(chunk.toString())), done()) });
  gateway = new Gateway(loadConfigFile(file, { drivers: [feedDriver] }), { log: createLogger({ destination }), drivers: [feedDriver], api: false });
  const sub = await collect(broker.url, `absensi/${site}/+/punch`);
  const removedStatus = await collect(broker.url, `absensi/${site}/dev-b/status`);
  await gateway.start();
  await until(() => feeds.has('dev-a') && feeds.has('dev-b') && gateway!.mqtt!.health().connected, 10_000, 'drivers started, broker connected');
  const untouched = feeds.get('dev-b')!.ctx;

  // dev-a streams 300 punches while the reload changes its zone, removes dev-b and adds dev-c
  const stream = (async () => {
    for (let i = 0; i < 300; i += 1) await pushUntilCommitted('dev-a', rawPunch(i));
  })();
  writeFileSync(file, configYaml(site, '  - {id: dev-a, driver: test-feed, timezone: Asia/Makassar}\n  - {id: dev-c, driver: test-feed}'));
  const outcome = await gateway.reloadFromFile(file, { drivers: [feedDriver] });
  expect(outcome).toMatchObject({ applied: true, added: ['dev-c'], removed: ['dev-b'], changed: ['dev-a'], needsRestart: [] });
  await stream;
  expect(feeds.has('dev-b')).toBe(false);
  expect(untouched.signal.aborted).toBe(true);
  expect(gateway.states.list().map((d) => d.id).sort()).toEqual(['dev-a', 'dev-c']);
  await until(() => removedStatus.messages.some((m) => JSON.parse(m.payload).lastError === 'removed from the gateway config'), 5000, 'dev-b status offline');
  expect(JSON.parse(removedStatus.messages.at(-1)!.payload)).toMatchObject({ online: false, serial: 'SN-dev-b' });
  await removedStatus.close();
  await until(() => feeds.has('dev-c'), 10_000, 'dev-c started');
  for (let i = 0; i < 20; i += 1) await pushUntilCommitted('dev-c', rawPunch(i));
  const zoneAfter = await feeds.get('dev-a')!.push([rawPunch(1000)]);
  expect(zoneAfter).toMatchObject({ inserted: 1 });

  // an invalid file changes nothing
  const running = feeds.get('dev-c')!.ctx;
  writeFileSync(file, configYaml(site, '  - {id: dev-a, driver: test-feed, port: nope}\n  - {id: dev-c, driver: test-feed}'));
  expect(await gateway.reloadFromFile(file, { drivers: [feedDriver] })).toMatchObject({ applied: false });
  expect(feeds.get('dev-c')!.ctx).toBe(running);
  expect(running.signal.aborted).toBe(false);
  expect(logLines.find((l) => l.code === 'GW_ERR_CONFIG_INVALID')?.msg).toMatch(/reload refused/);
  const reloads = (await gateway.metrics.configReloads.get()).values.map((v) => [v.labels.result, v.value]);
  expect(Object.fromEntries(reloads)).toEqual({ applied: 1, refused: 1 });

  // every punch once in the buffer and once at the broker
  const ids = bufferedIds();
  expect(ids).toHaveLength(300 + 20 + 1);
  await until(() => sub.messages.length >= ids.length, 15_000, 'all punches published');
  const published = sub.messages.map((m) => JSON.parse(m.payload) as { id: string; device: { id: string }; time: string });
  expect(published.map((p) => p.id).sort()).toEqual([...ids].sort());
  expect(published.find((p) => p.device.id === 'dev-a' && p.time.startsWith('2026-01-01T06:16:40'))?.time).toMatch(/\+08:00$/);
  await sub.close();
});

it('`run` re-reads its config on SIGHUP and keeps running on an invalid one', async () => {
  const site = `RS${randomUUID().slice(0, 6)}`;
  const file = join(tmp.dir, 'config.yaml');
  const zk = (id: string) => `  - {id: ${id}, driver: zk-tcp, host: 127.0.0.1, port: 9, realtime: false}`;
  writeFileSync(file, configYaml(site, zk('lobby-1')));
  const sub = await collect(broker.url, `absensi/${site}/gateway/gw-reload/status`);
  const child = spawn('node', ['--import', 'tsx', 'src/main.ts', 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const lines = (): { msg: string; code?: string; added?: string[]; removed?: string[]; sections?: string[] }[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  await until(() => sub.messages.some((m) => JSON.parse(m.payload).online === true), 20_000, 'online status');

  // the first push terminal needs the push listener, which only a restart starts
  writeFileSync(file, configYaml(site, `${zk('lobby-2')}\n  - {id: hall-face, driver: zk-push, serial: CQZ7232260123}`));
  child.kill('SIGHUP');
  await until(() => lines().some((l) => l.msg === 'config reloaded'), 10_000, 'reload logged');
  expect(lines().find((l) => l.msg === 'config reloaded')).toMatchObject({ added: ['lobby-2', 'hall-face'], removed: ['lobby-1'] });
  expect(lines().find((l) => l.sections)).toMatchObject({ sections: ['pushListener'] });

  writeFileSync(file, 'gateway:\n  site: X\n');
  child.kill('SIGHUP');
  await until(() => lines().some((l) => l.code === 'GW_ERR_CONFIG_INVALID'), 10_000, 'refusal logged');
  expect(child.exitCode).toBeNull();

  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(lines().filter((l) => l.msg === 'gateway started')).toHaveLength(1);
  await sub.close();
});
