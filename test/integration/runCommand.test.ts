// `absensi-gateway run` as a real child process: starts, says online on MQTT, logs JSON, and stops
// cleanly on SIGTERM (offline status, SQLite closed).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { collect, startAedes, until, type TestBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let broker: TestBroker;
beforeEach(async () => {
  tmp = tempDir();
  broker = await startAedes();
});
afterEach(async () => {
  await broker.close();
  tmp.cleanup();
});

it('runs until SIGTERM, then goes offline and closes the buffer cleanly', async () => {
  const site = `R${randomUUID().slice(0, 6)}`;
  const config = join(tmp.dir, 'config.yaml');
  writeFileSync(config, `gateway:\n  id: gw-run\n  site: ${site}\n  dataDir: ${tmp.dir}/data\napi:\n  listen: 127.0.0.1:0\npublish:\n  mqtt:\n    url: ${broker.url}\n`);
  const sub = await collect(broker.url, `absensi/${site}/gateway/gw-run/status`);
  const child = spawn('node', ['--import', 'tsx', 'src/main.ts', 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await until(() => sub.messages.some((m) => JSON.parse(m.payload).online === true), 20_000, 'online status');
  // the retained status also carries the host clock check once it has run
  await until(() => sub.messages.some((m) => JSON.parse(m.payload).hostClock?.reason !== undefined), 20_000, 'host clock in status');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  await until(() => JSON.parse(sub.messages.at(-1)!.payload).online === false, 5000, 'offline status');
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: number });
  expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['gateway started', 'stopping', 'gateway stopped']));
  const wal = join(tmp.dir, 'data', 'buffer.db-wal');
  expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
  const db = new Database(join(tmp.dir, 'data', 'buffer.db'), { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
  await sub.close();
});

it('refuses a bad config with exit code 78 and the problems on stderr', async () => {
  const config = join(tmp.dir, 'bad.yaml');
  writeFileSync(config, 'gateway:\n  site: X\n');
  const child = spawn('node', ['--import', 'tsx', 'src/main.ts', 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(78);
  expect(stderr).toMatch(/gateway\.id \(line 2\): required \(expected string\)/);
});

// The unit has no ExecStartPre (RestartPreventExitStatus= covers only the main process): `run`
// itself must refuse what `check` refuses, the files devices name included, and say so in the journal.
it('refuses what check refuses, a missing card map included, with exit 78 and a coded fatal line', async () => {
  const config = join(tmp.dir, 'cardmap.yaml');
  writeFileSync(config, `gateway:\n  id: gw-run\n  site: X\n  dataDir: ${tmp.dir}/data\napi:\n  listen: 127.0.0.1:0\ndevices:\n  - {id: kiosk-3, driver: serial-line, path: /dev/ttyUSB0, format: wiegand-decimal, cardMapFile: ${tmp.dir}/missing.csv}\n`);
  const child = spawn('node', ['--import', 'tsx', 'src/main.ts', 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const timer = setTimeout(() => child.kill('SIGTERM'), 15_000); // the old `run` started instead
  const code = await exit;
  clearTimeout(timer);
  expect(code).toBe(78);
  expect(stderr).toMatch(/GW_ERR_CONFIG_INVALID devices\[0\]\.cardMapFile: /);
  const fatal = stdout.trim().split('\n').map((line) => JSON.parse(line) as { level: number; code?: string; msg: string });
  expect(fatal).toEqual([expect.objectContaining({ level: 60, code: 'GW_ERR_CONFIG_INVALID', msg: 'config invalid; not starting (exit 78)' })]);
});
