// The shipped systemd files, checked with systemd's own tools where they are installed:
// `systemd-analyze verify` parses the unit, `systemd-analyze security --offline` rates its
// exposure (goal ≤ 2.0, issue 7), and systemd-sysusers / systemd-tmpfiles apply the snippets to a
// throw-away root. Each check says why it skipped when a tool is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

const UNIT = 'systemd/absensi-gateway.service';
const SYSUSERS = 'systemd/absensi-gateway.sysusers.conf';
const TMPFILES = 'systemd/absensi-gateway.tmpfiles.conf';
const MAX_EXPOSURE = 2.0;

function tool(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin']) {
    const path = join(dir, name);
    try {
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('absensi-systemd-');
});
afterEach(() => tmp.cleanup());

/** The unit with /usr/bin/absensi-gateway pointed at a stub, so `verify` can run before install. */
function unitWithStubBinary(): string {
  const stub = join(tmp.dir, 'absensi-gateway');
  writeFileSync(stub, '#!/bin/sh\n');
  chmodSync(stub, 0o755);
  const unit = join(tmp.dir, 'absensi-gateway.service');
  writeFileSync(unit, readFileSync(UNIT, 'utf8').replaceAll('/usr/bin/absensi-gateway', stub));
  return unit;
}

describe('systemd unit', () => {
  const analyze = tool('systemd-analyze');

  it('declares what issue 7 asks for', () => {
    const unit = readFileSync(UNIT, 'utf8');
    for (const line of [
      'ExecReload=/bin/kill -HUP $MAINPID',
      'Restart=always',
      'RestartPreventExitStatus=78',
      'SupplementaryGroups=dialout',
      'DeviceAllow=char-ttyUSB rw',
      'StateDirectory=absensi-gateway',
      'ConfigurationDirectory=absensi-gateway',
      'CapabilityBoundingSet=',
      'ProtectSystem=strict',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
  });

  it('has the config check in the main process, the only one RestartPreventExitStatus=78 covers (issue 22)', () => {
    const lines = readFileSync(UNIT, 'utf8').split('\n');
    // an ExecStartPre exiting 78 is restarted by Restart=always every RestartSec, forever
    expect(lines.filter((line) => /^ExecStart(Pre|Post)=/.test(line))).toEqual([]);
    expect(lines).toContain('ExecStart=/usr/bin/absensi-gateway run --config /etc/absensi-gateway/config.yaml');
    expect(lines).toContain('RestartPreventExitStatus=78');
  });

  it('passes systemd-analyze verify', (ctx) => {
    if (!analyze) return ctx.skip('systemd-analyze not installed (Debian: apt-get install systemd)');
    const result = spawnSync(analyze, ['verify', '--man=no', unitWithStubBinary()], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it(`has a systemd-analyze security exposure of at most ${MAX_EXPOSURE}`, (ctx) => {
    if (!analyze) return ctx.skip('systemd-analyze not installed (Debian: apt-get install systemd)');
    const result = spawnSync(analyze, ['security', '--offline=true', '--no-pager', UNIT], { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0' } });
    const match = /Overall exposure level for absensi-gateway\.service: ([\d.]+)/.exec(result.stdout);
    if (!match && /unrecognized option|offline/i.test(result.stderr)) return ctx.skip(`systemd-analyze security --offline not supported here (systemd < 250): ${result.stderr.trim()}`);
    expect(match, result.stdout + result.stderr).not.toBeNull();
    expect(Number(match![1])).toBeLessThanOrEqual(MAX_EXPOSURE);
  });
});

describe('sysusers and tmpfiles', () => {
  it('create the service user in dialout, the state directory and a group-only config directory', (ctx) => {
    const sysusers = tool('systemd-sysusers');
    const tmpfiles = tool('systemd-tmpfiles');
    if (!sysusers || !tmpfiles) return ctx.skip('systemd-sysusers / systemd-tmpfiles not installed');
    const root = tmp.dir;
    mkdirSync(join(root, 'etc'));
    mkdirSync(join(root, 'usr/lib/sysusers.d'), { recursive: true });
    mkdirSync(join(root, 'usr/lib/tmpfiles.d'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:\n');
    copyFileSync(SYSUSERS, join(root, 'usr/lib/sysusers.d/absensi-gateway.conf'));
    copyFileSync(TMPFILES, join(root, 'usr/lib/tmpfiles.d/absensi-gateway.conf'));
    execFileSync(sysusers, [`--root=${root}`], { stdio: 'pipe' });
    execFileSync(tmpfiles, [`--root=${root}`, '--create'], { stdio: 'pipe' });
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    const user = /^absensi-gateway:x:(\d+):(\d+):/m.exec(passwd);
    expect(user).not.toBeNull();
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(/^dialout:x:20:absensi-gateway$/m);
    const config = statSync(join(root, 'etc/absensi-gateway'));
    expect([config.uid, config.gid, config.mode & 0o777]).toEqual([0, Number(user![2]), 0o750]);
    const state = statSync(join(root, 'var/lib/absensi-gateway'));
    expect([state.uid, state.mode & 0o777]).toEqual([Number(user![1]), 0o750]);
  });
});

describe('README agrees with the unit and the package (issue 22)', () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = (heading: string): string => readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';

  it('names the unit where the .deb installs it', () => {
    expect(readme).toContain('`/usr/lib/systemd/system/absensi-gateway.service`');
    expect(readme).not.toMatch(/(^|[^r])\/lib\/systemd\/system/m);
  });

  it('says in Uninstall that purge keeps the buffer, what that does to a reinstall, and how to start clean', () => {
    const uninstall = section('Uninstall');
    expect(uninstall).toMatch(/purge[^\n]*keeps[^\n]*buffer|buffer[^\n]*kept[^\n]*purge/i);
    expect(uninstall).toMatch(/duplicate/);
    expect(uninstall).toContain('sudo apt purge absensi-gateway && sudo rm -r /var/lib/absensi-gateway');
  });
});
