// `absensi-gateway import` as a real child process: a generated 100,000-line attlog export goes into
// the configured buffer, a second import adds nothing ("0 new, N already known"), bad lines are
// listed with their line numbers, --dry-run commits nothing, a directory imports its *attlog*.dat.
// The attlog lines here are SYNTHETIC (generated below in the layout of zk-push.md "ATTLOG record").
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const tmp = tempDir('import-cli-');
const LINES = 100_000;
const BAD_LINES = [1234, 77_777]; // 1-based line numbers that get garbage
let config: string;
let bigFile: string;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Line i of a synthetic USB export: space-padded PIN, one punch per second from 2026-01-05 06:00. */
function attlogLine(i: number): string {
  const t = Date.UTC(2026, 0, 5, 6, 0, 0) + i * 1000;
  const d = new Date(t);
  const time = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${String(1 + (i % 700)).padStart(9, ' ')}\t${time}\t${i % 2}\t${i % 3 === 0 ? 15 : 1}\t0\t0\t0\r\n`;
}

function db(): Database.Database {
  return new Database(join(tmp.dir, 'data', 'buffer.db'), { readonly: true });
}

function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('node', ['--import', 'tsx', 'src/main.ts', 'import', ...args, '--config', config], { maxBuffer: 16 * 1024 * 1024 });
}

beforeAll(() => {
  config = join(tmp.dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'gateway:\n  id: gw-import\n  site: IMP\n  timezone: Asia/Jakarta',
      `  dataDir: ${tmp.dir}/data`,
      'devices:',
      '  - id: arsip-1\n    driver: serial-line\n    format: zk-attlog\n    serial: OFFLINE0000001\n    timezone: Asia/Makassar',
      '  - id: kiosk-3\n    driver: serial-line\n    path: /dev/null-not-opened-by-import\n    format: wiegand-decimal',
      'publish:\n  https:\n    url: https://127.0.0.1:9/never\n',
    ].join('\n'),
  );
  const parts: string[] = [];
  for (let i = 0; i < LINES; i += 1) parts.push(BAD_LINES.includes(i + 1) ? 'this is not an attlog line\r\n' : attlogLine(i));
  bigFile = join(tmp.dir, 'BOCK0001_attlog.dat');
  writeFileSync(bigFile, parts.join(''));
});
afterAll(() => tmp.cleanup());

it('imports a 100,000-line export once; the second import adds nothing', async () => {
  const good = LINES - BAD_LINES.length;
  const first = await cli(bigFile, '--device', 'arsip-1');
  expect(first.stdout).toContain(`${LINES} lines, ${good} new, 0 already known, 0 quarantined, 2 rejected`);
  expect(first.stdout).toContain(`rejected ${bigFile}:1234 line-no-match`);
  expect(first.stdout).toContain(`rejected ${bigFile}:77777 line-no-match`);

  const second = await cli(bigFile, '--device', 'arsip-1');
  expect(second.stdout).toContain(`${LINES} lines, 0 new, ${good} already known`);

  const conn = db();
  expect(conn.prepare('SELECT count(*) AS n FROM punches').get()).toEqual({ n: good });
  const firstPunch = JSON.parse((conn.prepare('SELECT body FROM punches ORDER BY seq LIMIT 1').get() as { body: string }).body);
  conn.close();
  expect(firstPunch).toMatchObject({
    device: { id: 'arsip-1', serial: 'OFFLINE0000001', protocol: 'serial-line' },
    pin: '1',
    time: '2026-01-05T06:00:00+08:00',
    utc: '2026-01-04T22:00:00Z',
    state: 'check-in',
    verify: 'face',
    workCode: 0,
    raw: { source: 'import', file: 'BOCK0001_attlog.dat', lineNo: 1 },
  });
});

it('--dry-run decodes and counts, and commits nothing', async () => {
  const file = join(tmp.dir, 'dry.dat');
  writeFileSync(file, `${attlogLine(9_000_000)}garbage\n`);
  const out = await cli(file, '--device', 'arsip-1', '--dry-run');
  expect(out.stdout).toMatch(/2 lines, 1 punches would be imported, 1 rejected \(dry run: nothing committed\)/);
  expect(out.stdout).toMatch(/rejected .*dry\.dat:2 line-no-match/);
  const conn = db();
  expect(conn.prepare("SELECT count(*) AS n FROM punches WHERE utc >= '2026-04-01'").get()).toEqual({ n: 0 });
  conn.close();
});

it('a directory imports its *attlog*.dat files only; a format without times is refused', async () => {
  const dir = join(tmp.dir, 'flashdisk');
  mkdirSync(dir);
  writeFileSync(join(dir, '1_attlog.dat'), attlogLine(200_000));
  writeFileSync(join(dir, '2_attlog.dat'), attlogLine(200_001) + attlogLine(200_000));
  writeFileSync(join(dir, 'user.dat'), Buffer.from([0, 1, 2, 3, 255]));
  const out = await cli(dir, '--device', 'arsip-1', '--json');
  expect(JSON.parse(out.stdout)).toMatchObject({ lines: 3, inserted: 2, duplicates: 1, rejectedCount: 0, files: [join(dir, '1_attlog.dat'), join(dir, '2_attlog.dat')] });

  const refused = await cli(dir, '--device', 'kiosk-3', '--format', 'wiegand-decimal').catch((e: unknown) => e as { code: number; stderr: string });
  expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/carries no date\/time/) });
});
