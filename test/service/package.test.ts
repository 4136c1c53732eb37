// `npm run package`: the .deb is built from this repo and inspected with dpkg-deb -I / -c, then
// unpacked and run: the packaged CLI validates its default config with production deps only.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIR, buildDeb, UNIT_DIR, type PackageResult } from '../../src/service/package.js';
import { tempDir } from '../helpers/tmp.js';

const DPKG_DEB = '/usr/bin/dpkg-deb';
const available = existsSync(DPKG_DEB);
let tmp: ReturnType<typeof tempDir>;
let result: PackageResult;

describe.skipIf(!available)('the .deb (skipped: dpkg-deb not installed; Debian: apt-get install dpkg)', () => {
  beforeAll(async () => {
    tmp = tempDir('absensi-package-');
    result = await buildDeb({ repoDir: process.cwd(), outDir: tmp.dir });
  }, 60_000);
  afterAll(() => tmp?.cleanup());

  it('declares the package, its Node pin and the config as a conffile', () => {
    const info = execFileSync(DPKG_DEB, ['-I', result.file], { encoding: 'utf8' });
    const major = process.versions.node.split('.')[0];
    expect(info).toMatch(/^ Package: absensi-gateway$/m);
    expect(info).toContain(`Version: ${result.version}`);
    expect(info).toContain(`Depends: nodejs (>= ${major}), nodejs (<< ${Number(major) + 1}), systemd, init-system-helpers`);
    for (const script of ['postinst', 'prerm', 'postrm']) expect(info).toMatch(new RegExp(`\\d+ lines\\s+\\*\\s+${script}`));
    expect(execFileSync(DPKG_DEB, ['--ctrl-tarfile', result.file]).includes('/etc/absensi-gateway/config.yaml')).toBe(true);
  });

  it('holds the app, production dependencies only, the wrapper, the unit and the snippets', () => {
    const listing = execFileSync(DPKG_DEB, ['-c', result.file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const entries = new Map(listing.split('\n').filter(Boolean).map((line) => {
      const fields = line.split(/\s+/);
      return [fields.at(-1)!.replace(/^\.\//, '/'), { mode: fields[0]!, owner: fields[1]! }];
    }));
    for (const path of [
      '/usr/bin/absensi-gateway',
      `/${UNIT_DIR}/absensi-gateway.service`,
      '/usr/lib/sysusers.d/absensi-gateway.conf',
      '/usr/lib/tmpfiles.d/absensi-gateway.conf',
      '/etc/absensi-gateway/config.yaml',
      `/${APP_DIR}/dist/src/main.js`,
      `/${APP_DIR}/dist/drivers/zk-tcp/index.js`,
      `/${APP_DIR}/node_modules/better-sqlite3/build/Release/better_sqlite3.node`,
      `/${APP_DIR}/node_modules/commander/package.json`,
    ]) {
      expect(entries.has(path), path).toBe(true);
    }
    expect(entries.get('/usr/bin/absensi-gateway')).toEqual({ mode: '-rwxr-xr-x', owner: 'root/root' });
    expect(entries.get(`/${APP_DIR}/dist/src/main.js`)?.mode, 'the wrapper runs main.js through its shebang').toBe('-rwxr-xr-x');
    expect(entries.get('/etc/absensi-gateway/config.yaml')?.mode).toBe('-rw-r-----');
    const paths = [...entries.keys()];
    // /usr/lib/systemd/system is read by Debian 12 and 13; on 13, /lib/... makes purge warn (issue 22)
    expect(UNIT_DIR).toBe('usr/lib/systemd/system');
    expect(paths.filter((p) => p.startsWith('/lib/'))).toEqual([]);
    for (const dev of ['vitest', 'typescript', 'tsx', 'fast-check', 'playwright-core']) {
      expect(paths.some((p) => p.startsWith(`/${APP_DIR}/node_modules/${dev}/`)), dev).toBe(false);
    }
    expect(paths.some((p) => p.includes('/better-sqlite3/deps/'))).toBe(false);
    expect(paths.some((p) => p.startsWith(`/${APP_DIR}/dist/test/`))).toBe(false);
  });

  it('has maintainer scripts and a wrapper that parse as POSIX sh', () => {
    const control = join(tmp.dir, 'control');
    execFileSync(DPKG_DEB, ['-e', result.file, control]);
    const root = join(tmp.dir, 'root');
    execFileSync(DPKG_DEB, ['-x', result.file, root]);
    for (const script of [join(control, 'postinst'), join(control, 'prerm'), join(control, 'postrm'), join(root, 'usr/bin/absensi-gateway')]) {
      const check = spawnSync('sh', ['-n', script], { encoding: 'utf8' });
      expect(check.stderr, script).toBe('');
      expect(check.status, script).toBe(0);
    }
    expect(readFileSync(join(control, 'postinst'), 'utf8')).toMatch(/systemd-sysusers absensi-gateway\.conf\n[\s\S]*systemd-tmpfiles --create absensi-gateway\.conf/);
  });

  it('runs from the unpacked tree: check passes on the shipped default config', () => {
    const root = join(tmp.dir, 'root');
    if (!existsSync(root)) execFileSync(DPKG_DEB, ['-x', result.file, root]);
    const main = join(root, APP_DIR, 'dist/src/main.js');
    expect(readFileSync(main, 'utf8').split('\n', 1)[0]).toBe(readFileSync('src/main.ts', 'utf8').split('\n', 1)[0]);
    // as the wrapper does: exec main.js itself, so node starts with the shebang's flags
    const run = spawnSync(main, ['check', '--config', join(root, 'etc/absensi-gateway/config.yaml')], { encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
    expect(run.stderr + run.stdout).toMatch(/OK \(0 device\(s\)/);
    expect(run.status).toBe(0);
  });
});
