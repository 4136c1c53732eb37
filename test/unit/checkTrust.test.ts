// Issue 15 finding 13: what `check` (and the daemon at start) must not let pass: a secret file others
// may read, a look-alike of loopback (`127.0.0.1.nip.io`), a malformed URL (exit 78 naming the
// YAML path, never a crash with exit 1). Each as a unit and through the real CLI.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { secretFileWarnings, type SecretFileRef } from '../../src/config/secretFiles.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { isLoopbackHost } from '../../src/util/loopback.js';
import { until } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';

const execFileAsync = promisify(execFile);
const MINIMAL = 'gateway:\n  id: gw-check\n  site: BKPP\n';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function check(yaml: string, ...args: string[]): Promise<CliResult> {
  const file = join(tmp.dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  try {
    const { stdout, stderr } = await execFileAsync('node', ['--import', 'tsx', 'src/main.ts', 'check', '--config', file, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function problemsOf(yaml: string): string[] {
  try {
    parseConfigText(yaml, 'c.yaml', { drivers: BUILTIN_DRIVERS });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('loopback means the loopback literals and localhost only', () => {
  it('parses addresses instead of matching a prefix', () => {
    for (const host of ['127.0.0.1', '127.9.9.9', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:1', 'localhost', 'LocalHost', 'localhost.']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['127.0.0.1.nip.io', '127.evil.example', '127.0.0.1.', '128.0.0.1', '::2', '::ffff:10.0.0.1', '0.0.0.0', '', 'localhost.evil.example', 'mylocalhost']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('a look-alike api.listen needs a token like any other address; an http:// sink there is warned about', async () => {
    expect(problemsOf(`${MINIMAL}api:\n  listen: 127.0.0.1.nip.io:8080\n`)).toEqual(['api.token: required when api.listen is not a loopback address']);
    const [listen, sink] = await Promise.all([
      check(`${MINIMAL}api:\n  listen: 127.0.0.1.nip.io:8080\n`),
      check(`${MINIMAL}publish:\n  https:\n    url: http://127.0.0.1.nip.io/punches\n`, '--json'),
    ]);
    expect(listen.code).toBe(78);
    expect(listen.stderr).toMatch(/api\.token \(line \d\): required when api\.listen is not a loopback address/);
    expect(sink.code, sink.stderr).toBe(0);
    expect(JSON.parse(sink.stdout).warnings).toContain('publish.https.url: plain http:// sends punches and the token unencrypted');
  });
});

describe('URLs are validated by parsing them', () => {
  const cases = [
    ['publish.https.url', 'https:\n    url: "https://exa mple/punches"'],
    ['publish.https.url', 'https:\n    url: "http://[::1"'],
    ['publish.https.url', 'https:\n    url: "https://central.example:99999/punches"'],
    ['publish.mqtt.url', 'mqtt:\n    url: "mqtts://broker example:8883"'],
  ] as const;

  it('refuses a malformed URL as a config problem naming its YAML path', () => {
    for (const [path, sink] of cases) {
      const problems = problemsOf(`${MINIMAL}publish:\n  ${sink}\n`);
      expect(problems, sink).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}: expected .*does not parse as a URL`))]);
    }
    expect(problemsOf(`${MINIMAL}publish:\n  https:\n    url: "https://user:p%40ss@central.example/punches"\n  mqtt:\n    url: "mqtts://[::1]:8883"\n`)).toEqual([]);
  });

  it('`check` exits 78 (not 1) and names the path, without quoting the URL', async () => {
    const results = await Promise.all(cases.map(([, sink]) => check(`${MINIMAL}publish:\n  ${sink}\n`)));
    results.forEach((result, i) => {
      const [path] = cases[i]!;
      expect(result.code, result.stderr).toBe(78);
      expect(result.stderr).toContain(`${path} (line 6): expected`);
      expect(result.stderr).not.toContain('exa mple');
    });
  });
});

describe('secret files others may read', () => {
  const secret = (name: string, mode: number): string => {
    const file = join(tmp.dir, name);
    writeFileSync(file, 'secret-token-0123456789\n');
    chmodSync(file, mode);
    return file;
  };

  it('warns for o+r, g+r of a foreign group and o+w, never for 600/640 of the gateway, never for a public certificate', () => {
    const refs = (file: string, key = 'tokenFile'): SecretFileRef[] => [{ path: `publish.https.${key}`, key, file }];
    const probe = (mode: number, gid = 0) => ({ stat: () => ({ mode: 0o100000 | mode, gid }), trustedGids: new Set([0, 999]) });
    expect(secretFileWarnings(refs('/etc/t'), probe(0o644))[0]?.message).toBe('publish.https.tokenFile: /etc/t has mode 0644: every local user can read this secret; run: chown root:absensi-gateway /etc/t && chmod 640 /etc/t (or chmod 600 if the absensi-gateway user owns it)');
    expect(secretFileWarnings(refs('/etc/t'), probe(0o640, 100))[0]?.message).toMatch(/mode 0640: members of group 100, not the gateway's, can read this secret/);
    expect(secretFileWarnings(refs('/etc/t'), probe(0o602))[0]?.message).toMatch(/mode 0602: any local user can replace it/);
    for (const [mode, gid] of [[0o600, 0], [0o640, 0], [0o640, 999], [0o400, 100]] as const) expect(secretFileWarnings(refs('/etc/t'), probe(mode, gid)), mode.toString(8)).toEqual([]);
    expect(secretFileWarnings(refs('/etc/ca.pem', 'caFile'), probe(0o644))).toEqual([]);
    expect(secretFileWarnings(refs('/etc/ca.pem', 'caFile'), probe(0o666))[0]?.message).toMatch(/mode 0666: any local user can replace what the gateway trusts; run: chmod o-w \/etc\/ca\.pem/);
    expect(secretFileWarnings(refs('/no/such/file'))).toEqual([]);
  });

  it('`check` names the path, the mode and the fix; passes a file kept to the gateway', async () => {
    const open = secret('https.token', 0o644);
    const foreignGroup = secret('mqtt.pass', 0o640);
    chownSync(foreignGroup, 0, 4242);
    const kept = secret('key.pem', 0o600);
    const ca = secret('ca.pem', 0o644);
    const yaml = `${MINIMAL}publish:\n  https:\n    url: https://central.example/punches\n    tokenFile: ${open}\n    keyFile: ${kept}\n    caFile: ${ca}\n  mqtt:\n    url: mqtts://broker.example:8883\n    username: gw\n    passwordFile: ${foreignGroup}\n`;
    const result = await check(yaml, '--json');
    expect(result.code, result.stderr).toBe(0);
    const warnings = (JSON.parse(result.stdout) as { warnings: string[] }).warnings.filter((w) => w.includes('File'));
    expect(warnings).toHaveLength(2);
    expect(warnings).toEqual(expect.arrayContaining([
      `publish.mqtt.passwordFile: ${foreignGroup} has mode 0640: members of group 4242, not the gateway's, can read this secret; run: chown root:absensi-gateway ${foreignGroup} && chmod 640 ${foreignGroup} (or chmod 600 if the absensi-gateway user owns it)`,
      `publish.https.tokenFile: ${open} has mode 0644: every local user can read this secret; run: chown root:absensi-gateway ${open} && chmod 640 ${open} (or chmod 600 if the absensi-gateway user owns it)`,
    ]));
    expect(result.stdout).not.toContain('secret-token');
    const text = await check(yaml);
    expect(text.stdout).toContain(`  warning: publish.https.tokenFile: ${open} has mode 0644`);
  });

  it('the daemon logs the same warning when it starts', async () => {
    const open = secret('api.token', 0o604);
    const config = join(tmp.dir, 'run.yaml');
    writeFileSync(config, `${MINIMAL}  dataDir: ${tmp.dir}/data\napi:\n  listen: 127.0.0.1:0\n  tokenFile: ${open}\n`);
    const child = spawn('node', ['--import', 'tsx', 'src/main.ts', 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await until(() => stdout.includes('"msg":"gateway started"'), 30_000, 'gateway started');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, path: 'api.tokenFile', file: open, mode: '0604', msg: expect.stringContaining('every local user can read this secret; run: chown root:absensi-gateway') }));
    expect(stdout).not.toContain('secret-token');
  });
});
