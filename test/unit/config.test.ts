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
    [`${MINIMAL}  colour: blue\n`, /^gateway\.colour@4: unknown key "colour"; gateway takes: id, site, /],
    [`${MINIMAL}  timezone: Asia/Jakrta\n`, /^gateway\.timezone@4: expected an IANA time zone/],
    [`${MINIMAL}buffer:\n  retention: 9 days\n`, /^buffer\.retention@5: expected a duration/],
    [`${MINIMAL}api:\n  listen: 0.0.0.0:8080\n`, /^api\.token@5: required when api\.listen is not a loopback address/],
    [`${MINIMAL}api:\n  listen: localhost\n`, /^api\.listen@5: expected host:port/],
    [`${MINIMAL}devices:\n  - id: a\n    driver: fake\n    rate: fast\n`, /^devices\[0\]\.rate@7: .*expected number/],
    [`${MINIMAL}devices:\n  - id: a\n    driver: zk-nope\n`, /^devices\[0\]\.driver@6: unknown driver "zk-nope"; this build has: fake/],
    [`${MINIMAL}devices:\n  - {id: a, driver: fake}\n  - {id: a, driver: fake}\n`, /^devices\[1\]\.id@6: duplicate device id "a"/],
    [`${MINIMAL}devices:\n  - {id: "a/b", driver: fake}\n`, /^devices\[0\]\.id@5: expected 1-64 letters/],
    [`${MINIMAL}publish:\n  mqtt:\n    url: mqtt://x\n    password: \${MQTT_PASS}\n`, /^publish\.mqtt\.password@7: environment variable MQTT_PASS is not set/],
    [`${MINIMAL}publish:\n  mqtt:\n    url: mqtt://x\n    passwordFile: /nonexistent/pass\n`, /^publish\.mqtt\.passwordFile@7: cannot read the password from this file: \/nonexistent\/pass does not exist$/],
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
    // text mode names each problem's code first, as journalctl | grep GW_ERR_CONFIG finds it
    expect((failure as { stderr: string }).stderr).toMatch(/^ {2}GW_ERR_CONFIG_INVALID gateway\.id \(line 2\): /m);
    expect((failure as { stderr: string }).stderr).toMatch(/^ {2}GW_ERR_CONFIG_INVALID buffer\.retention \(line 4\): /m);
    const secret = join(tmp.dir, 'secret.yaml');
    writeFileSync(secret, `${MINIMAL}publish:\n  mqtt:\n    url: mqtt://x\n    passwordFile: ${tmp.dir}/missing.pass\n`);
    const unreadable = await run('node', ['--import', 'tsx', 'src/main.ts', 'check', '--config', secret]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(unreadable).toMatchObject({ code: 78 });
    expect((unreadable as { stderr: string }).stderr).toMatch(/^ {2}GW_ERR_CONFIG_UNREADABLE publish\.mqtt\.passwordFile \(line 7\): cannot read the password from this file: .*missing\.pass does not exist$/m);
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

describe('check tells what is wrong and where (issue 19, finding 3)', () => {
  const errorOf = (yaml: string, options: Partial<Parameters<typeof parseConfigText>[2]> = {}): ConfigError => {
    try {
      parseConfigText(yaml, 'test.yaml', { drivers: [fakeDriver], env: {}, ...options });
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('the file validated');
  };

  it.each([
    ['pollIntervl', 'pollInterval'],
    ['pollinterval', 'pollInterval'],
    ['hots', 'host'],
    ['comKeyFile', 'commKeyFile'],
    ['clearAfterDownlod', 'clearAfterDownload'],
  ])('suggests the key a misspelt %s stands for, at its own line', (typo, meant) => {
    const yaml = `${MINIMAL}devices:\n  - id: lobby-1\n    driver: zk-tcp\n    host: 192.168.1.201\n    ${typo}: 1\n    port: 4370\n`;
    const found = problems(yaml, { drivers: BUILTIN_DRIVERS });
    expect(found).toEqual([`devices[0].${typo}@8: unknown key "${typo}"; did you mean "${meant}"?`]);
  });

  it('suggests core keys too, a *File key among them, and lists the keys when nothing is close', () => {
    expect(problems(`${MINIMAL}api:\n  tokenFlie: /etc/t\n`)).toEqual(['api.tokenFlie@5: unknown key "tokenFlie"; did you mean "tokenFile"?']);
    expect(problems(`${MINIMAL}  sitee: X\n`)).toEqual(['gateway.sitee@4: unknown key "sitee"; did you mean "site"?']);
    expect(problems(`${MINIMAL}devices:\n  - {id: a, driver: fake, colour: red}\n`)).toEqual([
      expect.stringMatching(/^devices\[0\]\.colour@5: unknown key "colour"; devices\[0\] takes: id, timezone, serial, enabled, driver, rate$/),
    ]);
  });

  it('says plainly that a secret file does not exist or cannot be read, coded GW_ERR_CONFIG_UNREADABLE', () => {
    const fail = (code: string) => (): string => {
      throw Object.assign(new Error(`${code}: raw errno text`), { code });
    };
    const yaml = `${MINIMAL}publish:\n  https:\n    url: https://x\n    tokenFile: /etc/absensi-gateway/https.token\n`;
    const missing = errorOf(yaml, { readFile: fail('ENOENT') });
    expect(missing.code).toBe('GW_ERR_CONFIG_UNREADABLE');
    expect(missing.problems).toEqual([
      { path: 'publish.https.tokenFile', line: 7, column: 5, code: 'GW_ERR_CONFIG_UNREADABLE', message: 'cannot read the token from this file: /etc/absensi-gateway/https.token does not exist' },
    ]);
    expect(missing.message).not.toMatch(/ENOENT|errno/);
    expect(errorOf(yaml, { readFile: fail('EACCES') }).problems[0]?.message).toMatch(/https\.token cannot be read: permission denied/);
    // beside a problem of another kind each keeps its code; the error as a whole is invalid
    const mixed = errorOf(`${yaml}  colour: x\n`, { readFile: fail('ENOENT') });
    expect(mixed.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(mixed.problems.map((p) => p.code)).toEqual(['GW_ERR_CONFIG_UNREADABLE', 'GW_ERR_CONFIG_INVALID']);
    expect(mixed.message).toMatch(/^ {2}GW_ERR_CONFIG_UNREADABLE publish\.https\.tokenFile \(line 7\): /m);
  });

  it('checks the rest of an entry whose driver is unknown: against the driver it likely means, else the common fields', () => {
    const yaml = `${MINIMAL}devices:\n  - id: "a/b"\n    driver: zk-tpc\n    host: 192.168.1.201\n    pollIntervl: 5m\n    port: abc\n`;
    expect(problems(yaml, { drivers: BUILTIN_DRIVERS })).toEqual([
      'devices[0].id@5: expected 1-64 letters, digits, dot, dash or underscore (it is part of MQTT topics)',
      expect.stringMatching(/^devices\[0\]\.driver@6: unknown driver "zk-tpc"; did you mean "zk-tcp"\? this build has: zk-tcp, /),
      'devices[0].pollIntervl@8: unknown key "pollIntervl"; did you mean "pollInterval"?',
      expect.stringMatching(/^devices\[0\]\.port@9: .*expected number/),
    ]);
    expect(problems(`${MINIMAL}devices:\n  - id: a\n    driver: nope\n    enabled: maybe\n    timezone: Mars/Olympus\n`)).toEqual([
      'devices[0].driver@6: unknown driver "nope"; this build has: fake',
      expect.stringMatching(/^devices\[0\]\.enabled@7: .*expected boolean/),
      expect.stringMatching(/^devices\[0\]\.timezone@8: expected an IANA time zone/),
    ]);
    expect(problems(`${MINIMAL}devices:\n  - port: 4370\n`)).toEqual([
      'devices[0].driver@5: required: the device protocol; this build has: fake',
      'devices[0].id@5: required (expected string)',
    ]);
  });

  // every line after the bad one used to add "Nested mappings are not allowed in compact
  // mappings" and "Implicit keys need to be on a single line": 11 errors for one space
  const ENTRY = ['  - id: lobby-1', '    driver: zk-tcp', '    host: 192.168.1.201', '    port: 4370', '    pollInterval: 5m', '    realtime: true', '    timeout: 10s', '    commKey: 0', '    syncClock: false'];
  it.each([
    ['one space too few', 3, '   port: 4370', /^\(yaml\)@8: Sequence item without - indicator: indent this line like the keys beside it/],
    ['two spaces too few', 3, '  port: 4370', /^\(yaml\)@8: All mapping items must start at the same column: indent this line like the keys beside it/],
    ['one space too many', 3, '     port: 4370', /^\(yaml\)@8: indented deeper than the line above it, so YAML reads it as part of the value on line 7/],
  ])('reports one mis-indented line (%s) once, at that line', (_name, index, line, expected) => {
    const lines = [...ENTRY];
    lines[index] = line;
    const error = errorOf(`${MINIMAL}devices:\n${lines.join('\n')}\n`, { drivers: BUILTIN_DRIVERS });
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems.map((p) => `${p.path}@${p.line}: ${p.message}`);
    expect(problem).toMatch(expected);
    expect(problem).toMatch(/\(\d+ later YAML error\(s\) not shown: they mostly follow from this one; fix it and run check again\)$/);
  });
});
