// The .deb's maintainer scripts run as in an image build (issue 22): in a private mount namespace
// whose /proc is an empty tmpfs (a chroot without /proc) and without /run/systemd/system (systemd
// not running), every command they call a stub that records its arguments, so nothing on this
// machine is touched. The real thing, a chroot install then a boot, is `npm run test:system`.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeb } from '../../src/service/package.js';
import { tempDir } from '../helpers/tmp.js';

const DPKG_DEB = '/usr/bin/dpkg-deb';
const UNSHARE = '/usr/bin/unshare';
const root = process.getuid?.() === 0;
const skip = !existsSync(DPKG_DEB) ? 'dpkg-deb not installed' : !existsSync(UNSHARE) ? 'unshare not installed' : !root ? 'needs root (unshare -m)' : existsSync('/run/systemd/system') ? 'systemd runs here: the scripts would talk to it' : undefined;
/** Everything the scripts may call; systemd-tmpfiles fails as it does without /proc. */
const STUBS = ['systemd-sysusers', 'systemd-tmpfiles', 'install', 'chown', 'chmod', 'deb-systemd-helper', 'deb-systemd-invoke', 'systemctl', 'absensi-gateway'];

let tmp: ReturnType<typeof tempDir>;
let control: string;

describe.skipIf(skip !== undefined)(`maintainer scripts in an image build (skipped: ${skip})`, () => {
  beforeAll(async () => {
    tmp = tempDir('absensi-postinst-');
    const { file } = await buildDeb({ repoDir: process.cwd(), outDir: tmp.dir });
    control = join(tmp.dir, 'control');
    execFileSync(DPKG_DEB, ['-e', file, control]);
    const bin = join(tmp.dir, 'bin');
    execFileSync('mkdir', [bin]);
    for (const name of STUBS) {
      const failWithoutProc = name === 'systemd-tmpfiles' ? '[ -e /proc/self/fd ] || { echo "Failed to open /proc/self/fd" >&2; exit 1; }\n' : '';
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${tmp.dir}/calls"\n${failWithoutProc}exit 0\n`);
      chmodSync(join(bin, name), 0o755);
    }
  }, 60_000);
  afterAll(() => tmp?.cleanup());

  /** Runs a maintainer script with /proc hidden and only the stubs (and sh's builtins) on PATH. */
  function runScript(script: string, ...args: string[]): { status: number | null; stderr: string; calls: string[] } {
    writeFileSync(join(tmp.dir, 'calls'), '');
    const shell = `/bin/mount -t tmpfs none /proc && exec /bin/sh "${join(control, script)}" "$@"`;
    const result = spawnSync(UNSHARE, ['--mount', '--propagation', 'private', '/bin/sh', '-c', shell, 'sh', ...args], {
      encoding: 'utf8',
      env: { PATH: join(tmp.dir, 'bin') },
    });
    return { status: result.status, stderr: result.stderr, calls: readFileSync(join(tmp.dir, 'calls'), 'utf8').split('\n').filter(Boolean) };
  }

  it('postinst configure succeeds without /proc: the directories are made by hand', () => {
    const run = runScript('postinst', 'configure', '');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls).toContain('systemd-sysusers absensi-gateway.conf');
    expect(run.calls).toContain('install -d -m 0750 -o root -g absensi-gateway /etc/absensi-gateway');
    expect(run.calls).toContain('install -d -m 0750 -o absensi-gateway -g absensi-gateway /var/lib/absensi-gateway');
  });

  it('postinst enables the unit for first boot although systemd does not run, and starts nothing', () => {
    const run = runScript('postinst', 'configure', '');
    expect(run.calls).toContain('deb-systemd-helper --quiet was-enabled absensi-gateway.service');
    expect(run.calls).toContain('deb-systemd-helper enable absensi-gateway.service');
    expect(run.calls.filter((call) => /^(systemctl|deb-systemd-invoke|absensi-gateway) /.test(call))).toEqual([]);
  });

  it('prerm and postrm remove/purge succeed without systemd; purge forgets the enable state', () => {
    expect(runScript('prerm', 'remove').status).toBe(0);
    const remove = runScript('postrm', 'remove');
    expect(remove.status).toBe(0);
    expect(remove.calls).toEqual(['deb-systemd-helper mask absensi-gateway.service']);
    const purge = runScript('postrm', 'purge');
    expect(purge.status).toBe(0);
    expect(purge.calls).toEqual(['deb-systemd-helper purge absensi-gateway.service', 'deb-systemd-helper unmask absensi-gateway.service']);
  });
});
