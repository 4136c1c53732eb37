import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderSchemaFiles } from '../../src/config/jsonSchema.js';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { baseDeviceSchema } from '../../src/config/primitives.js';
import type { AnyDriverDefinition } from '../../src/devices/definition.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

const fakeDriver: AnyDriverDefinition = {
  protocol: 'fake',
  configSchema: baseDeviceSchema.extend({ driver: z.literal('fake'), rate: z.number().default(1) }).strict(),
  create: () => {
    throw new Error('not used');
  },
};

function problems(yaml: string, options: Partial<Parameters<typeof parseConfigText>[2]> = {}): string[] {
  try {
    parseConfigText(yaml, 'test.yaml', { drivers: [fakeDriver], env: {}, ...options });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}${p.line ? `@${p.line}` : ''}: ${p.message}`);
    throw error;
  }
  return [];
}

const MINIMAL = 'gateway:\n  id: gw-1\n  site: BKPP\n';

describe('config loading', () => {
  it('fills defaults from a minimal file', () => {
    const config = parseConfigText(MINIMAL, 'x', { drivers: [fakeDriver] });
    expect(config.gateway.timezone).toBe('Asia/Jakarta');
    expect(config.api.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.pushListener.listen).toEqual({ host: '0.0.0.0', port: 8081 });
    expect(config.buffer).toMatchObject({ retention: 90 * 86_400_000, synchronous: 'full' });
    expect(config.devices).toEqual([]);
  });

  it.each([
    ['gateway: [', /^\(yaml\)@1: /],
    ['gateway:\n  id: gw-1\n', /^gateway\.site@2: required/],
    [`${MINIMAL}  colour: blue\n`, /^gateway@2: unknown key\(s\): colour/],
    [`${MINIMAL}  timezone: Asia/Jakrta\n`, /^gateway\.timezone@4: expected an IANA time zone/],
    [`${MINIMAL}buffer:\n  retention: 9 days\n`, /^buffer\.retention@5: expected a duration/],
    [`${MINIMAL}api:\n  listen: 0.0.0.0:8080\n`, /^api\.token@5: required when api\.listen is not a loopback address/],
    [`${MINIMAL}api:\n  listen: localhost\n`, /^api\.listen@5: expected host:port/],
    [`${MINIMAL}devices:\n  - id: a\n    driver: fake\n    rate: fast\n`, /^devices\[0\]\.rate@7: .*expected number/],
    [`${MINIMAL}devices:\n  - id: a\n    driver: zk-nope\n`, /^devices\[0\]\.driver@6: unknown driver "zk-nope"; this build has: fake/],
    [`${MINIMAL}devices:\n  - {id: a, driver: fake}\n  - {id: a, driver: fake}\n`, /^devices\[1\]\.id@6: duplicate device id "a"/],
    [`${MINIMAL}devices:\n  - {id: "a/b", driver: fake}\n`, /^devices\[0\]\.id@5: expected 1-64 letters/],
    [`${MINIMAL}publish:\n  mqtt:\n    url: mqtt://x\n    password: \${MQTT_PASS}\n`, /^publish\.mqtt\.password@7: environment variable MQTT_PASS is not set/],
    [`${MINIMAL}publish:\n  mqtt:\n    url: mqtt://x\n    passwordFile: /nonexistent/pass\n`, /^publish\.mqtt\.passwordFile@7: cannot read \/nonexistent\/pass: ENOENT/],
    [`${MINIMAL}publish:\n  https:\n    url: ftp://x\n`, /^publish\.https\.url@6: expected an https:\/\/ URL/],
  ])('reports %j', (yaml, expected) => {
    const found = problems(yaml);
    expect(found.some((p) => expected.test(p)), found.join('\n')).toBe(true);
  });

  it('reports every problem at once', () => {
    expect(problems(`gateway:\n  id: "bad id"\n  site: ""\n  colour: x\nbuffer:\n  retention: x\n`).length).toBeGreaterThanOrEqual(4);
  });

  it('substitutes ${ENV} inside values only, with defaults and escapes', () => {
    const yaml = `gateway:\n  id: \${GW_ID}\n  site: "\${SITE:-BKPP}"\n  dataDir: "/x/$\${HOME}"\n`;
    const config = parseConfigText(yaml, 'x', { env: { GW_ID: 'gw-env' }, drivers: [] });
    expect(config.gateway).toMatchObject({ id: 'gw-env', site: 'BKPP', dataDir: '/x/${HOME}' });
    // a variable holding YAML syntax stays a plain string
    const injected = parseConfigText(`${MINIMAL}  dataDir: \${DIR}\n`, 'x', { env: { DIR: '/d\n  site: EVIL' }, drivers: [] }).gateway;
    expect(injected).toMatchObject({ site: 'BKPP', dataDir: '/d\n  site: EVIL' });
  });

  it('gives a value that is one ${VAR} alone the number or boolean type it expands to', () => {
    const yaml = `${MINIMAL}devices:\n  - id: a\n    driver: fake\n    rate: \${RATE}\n    enabled: \${ON:-false}\n`;
    const config = parseConfigText(yaml, 'x', { env: { RATE: '12' }, drivers: [fakeDriver] });
    expect(config.devices[0]).toMatchObject({ rate: 12, enabled: false });
    expect(parseConfigText(`${MINIMAL}  dataDir: "\${D}"\n`, 'x', { env: { D: '42' }, drivers: [] }).gateway.dataDir).toBe('42');
  });

  it('reads *File secrets and refuses both forms at once', () => {
    const files: Record<string, string> = { '/etc/t': 'secret-token-123456\n' };
    const readFile = (p: string): string => {
      if (p in files) return files[p] as string;
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    };
    const yaml = `${MINIMAL}publish:\n  https:\n    url: https://x\n    tokenFile: /etc/t\n`;
    expect(parseConfigText(yaml, 'x', { readFile, drivers: [] }).publish.https?.token).toBe('secret-token-123456');
    const both = problems(`${yaml}    token: also\n`, { readFile });
    expect(both.join()).toMatch(/give either token or tokenFile, not both/);
    expect(both.join()).not.toMatch(/secret-token/);
  });
});

describe('shipped config files', () => {
  it('config/*.schema.json are up to date with the zod schemas (run `npm run schema`)', () => {
    for (const [file, content] of Object.entries(renderSchemaFiles(BUILTIN_DRIVERS))) expect(readFileSync(file, 'utf8'), file).toBe(content);
  });

  it('config/example.yaml validates and mentions every key of the schema', () => {
    const text = readFileSync('config/example.yaml', 'utf8');
    const readFile = (p: string): string => (p.endsWith('.token') ? 'x'.repeat(32) : p.includes('commKey') ? '0' : 'pem-or-password');
    expect(() => parseConfigText(text, 'config/example.yaml', { readFile, env: {}, drivers: BUILTIN_DRIVERS })).not.toThrow();
    const keys = new Set<string>();
    const walk = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      if (props) for (const key of Object.keys(props)) keys.add(key);
      for (const value of Object.values(node)) walk(value);
    };
    walk(JSON.parse(renderSchemaFiles(BUILTIN_DRIVERS)['config/config.schema.json'] as string));
    const missing = [...keys].filter((key) => !new RegExp(`(^|[\\s#,{])${key}:`, 'm').test(text));
    expect(missing).toEqual([]);
  });
});

describe('absensi-gateway check (the real CLI)', () => {
  it('exits 78 and lists every problem for a broken file; exits 0 for a good one', async () => {
    const tmp = tempDir();
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'gateway:\n  id: gw 1\nbuffer:\n  retention: forever\n');
    const failure = await run('node', ['--import', 'tsx', 'src/main.ts', 'check', '--config', bad]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(failure).toMatchObject({ code: 78 });
    expect((failure as { stderr: string }).stderr).toMatch(/gateway\.id \(line 2\)/);
    expect((failure as { stderr: string }).stderr).toMatch(/buffer\.retention \(line 4\)/);
    const good = join(tmp.dir, 'good.yaml');
    writeFileSync(good, MINIMAL);
    const ok = await run('node', ['--import', 'tsx', 'src/main.ts', 'check', '--config', good, '--json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, warnings: expect.arrayContaining([expect.stringMatching(/no sink/)]) });
    tmp.cleanup();
  });
});

describe('check: files a device entry names', () => {
  it('reports a malformed or missing serial-line cardMapFile with its path, before a driver restart would', async () => {
    const { fileProblems } = await import('../../src/cli/check.js');
    const tmp = tempDir();
    const map = join(tmp.dir, 'cards.csv');
    writeFileSync(map, 'card,pin\n0012345678,1001\n12345678,1002\n');
    const yaml = (file: string): string =>
      `${MINIMAL}devices:\n  - {id: kiosk-3, driver: serial-line, path: /dev/ttyUSB0, format: wiegand-decimal, cardMapFile: ${file}}\n`;
    expect(fileProblems(parseConfigText(yaml(map), 'c.yaml', { drivers: BUILTIN_DRIVERS })).map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^devices\[0\]\.cardMapFile: .*line 3: card 0012345678 is listed twice/),
    ]);
    expect(fileProblems(parseConfigText(yaml(join(tmp.dir, 'missing.csv')), 'c.yaml', { drivers: BUILTIN_DRIVERS }))[0]?.message).toMatch(/ENOENT/);
    writeFileSync(map, 'card,pin\n0012345678,1001\n');
    expect(fileProblems(parseConfigText(yaml(map), 'c.yaml', { drivers: BUILTIN_DRIVERS }))).toEqual([]);
    tmp.cleanup();
  });
});

describe('secrets from the environment stay out of error messages', () => {
  it('names the variable where a message would quote its value (found by the long-form config fuzz)', () => {
    const yaml = `${MINIMAL}api:\n  listen: 127.0.0.1:8080\n  tokenFile: /etc/absensi-gateway/\${API_TOKEN}.token\n`;
    const env = { API_TOKEN: 'Sekret-9f3a-jangan-bocor' };
    let message = '';
    try {
      parseConfigText(yaml, 'c.yaml', { drivers: BUILTIN_DRIVERS, env, readFile: (p) => { throw Object.assign(new Error(`ENOENT: no such file, open '${p}'`), { code: 'ENOENT' }); } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/api\.tokenFile/);
    expect(message).toContain('${API_TOKEN}');
    expect(message).not.toContain('Sekret');
  });
});
