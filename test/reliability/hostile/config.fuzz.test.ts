// Hostile config files for src/config/load.ts `parseConfigText`: random YAML text (anchors, tags,
// flow and block syntax, ${ENV}), random structures under the real keys, and config/example.yaml
// and config/demo.yaml with byte edits.
// Properties:
// - it returns a config or throws ConfigError, nothing else (alias bombs, deep nesting, odd tags);
// - a ConfigError has at least one problem, each with a YAML path, a message and, if any, a line ≥ 1;
// - secret values (passwords, tokens, comm keys) never appear in the error text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, parseConfigText } from '../../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import { fcOptions } from './fuzzScale.js';
import { mutatedText } from './mutate.js';

const CONFIG_DIR = join(import.meta.dirname, '../../../config');
const SHIPPED = ['example.yaml', 'demo.yaml'].map((name) => readFileSync(join(CONFIG_DIR, name), 'utf8'));
const SECRET = 'Sekret-9f3a-jangan-bocor';
const ENV = { API_TOKEN: SECRET, PORT: '8081', EMPTY: '' };

/** Secret files hold SECRET; any other path does not exist. */
function readFile(path: string): string {
  if (path.includes('secret')) return SECRET;
  throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
}

function checkOutcome(text: string): void {
  let config: unknown;
  try {
    config = parseConfigText(text, 'hostile.yaml', { env: ENV, readFile, drivers: BUILTIN_DRIVERS });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) {
      expect(problem.path.length).toBeGreaterThan(0);
      expect(problem.message.length).toBeGreaterThan(0);
      expect(problem.line === undefined || (Number.isInteger(problem.line) && problem.line >= 1)).toBe(true);
    }
    // a complex key (`? password: …`) makes the secret part of a key name, which errors do name
    if (!text.includes('? ')) expect(error.message).not.toContain(SECRET);
    return;
  }
  expect(typeof config).toBe('object');
}

const KEYS = [
  'gateway', 'id', 'site', 'timezone', 'dataDir', 'api', 'listen', 'token', 'tokenFile', 'pushListener', 'maxBodyBytes',
  'devices', 'driver', 'zk-tcp', 'zk-push', 'serial-line', 'host', 'port', 'commKey', 'commKeyFile', 'serial', 'format',
  'publish', 'mqtt', 'https', 'url', 'password', 'passwordFile', 'buffer', 'retention', 'supervisor', '__proto__', 'constructor', '<<',
];
const SCALARS = [
  'gw-1', 'BKPP', 'Asia/Jakarta', 'Mars/Olympus', '127.0.0.1:8080', '0.0.0.0:99999', '30s', '-5m', '1e999', '0x1f', '.inf', '~', 'null',
  'true', 'no', '4370', '-1', '99999999999999999999', "'quoted'", '"\\u0000"', '${MISSING}', '${PORT}', '${EMPTY:-x}',
  '$${LITERAL}', '/run/secret/token', 'mqtt://127.0.0.1:1883', 'wiegand-decimal', '(?<pin>',
];
/** Secret values only where secrets go: the oracle is that none of them reaches an error message. */
const SECRET_ENTRIES = ['token: ${API_TOKEN}', `password: ${SECRET}`, `commKey: ${SECRET}`, 'tokenFile: /run/secret/api', 'passwordFile: /run/secret/mqtt', 'commKeyFile: /run/secret/key'];
const TOKENS = [
  ...KEYS, ...SCALARS, ...SECRET_ENTRIES, ':', ': ', '\n', '\n  ', '\n    ', '- ', '{', '}', '[', ']', ', ', '&a ', '*a', '!!binary ', '!!set ', '!!map ',
  '!!str ', '!custom ', '? ', '|\n  ', '>\n  ', '"', "'", '# c\n', '%YAML 1.2\n---\n', '---\n', '...\n', '\t', '\r\n', '\u0000', '\ufeff',
];

const randomYaml = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((parts) => parts.join(''));

/** An alias bomb: each anchor a list of the previous one, `depth` levels deep. */
const aliasBomb = fc.integer({ min: 2, max: 9 }).map((depth) => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < depth; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
});

const scalar = fc.oneof(fc.constantFrom(...SCALARS), fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('tree'), { maxKeys: 5 }),
  ),
}));

/** The real top-level shape with random subtrees: errors deep inside sections, not only at the root. */
const structure = fc
  .record({
    gateway: fc.oneof(fc.constant({ id: 'gw-1', site: 'BKPP' }), tree),
    api: fc.oneof(fc.constant({ listen: '127.0.0.1:0', token: SECRET }), fc.constant({ listen: '0.0.0.0:8080', tokenFile: '/run/secret/api' }), tree),
    devices: fc.array(
      fc.oneof(
        fc.record({ id: fc.constantFrom('lobby-1', 'a b', ''), driver: fc.constantFrom('zk-tcp', 'zk-push', 'serial-line', 'hikvision'), host: scalar, commKey: scalar, serial: scalar, format: scalar }, { requiredKeys: ['id', 'driver'] }),
        fc.constant({ id: 'loket-2', driver: 'zk-push', serial: 'BOCK200961014', commKeyFile: '/run/secret/key' }),
        tree,
      ),
      { maxLength: 4 },
    ),
    publish: fc.oneof(fc.constant({ mqtt: { url: 'mqtt://127.0.0.1:1883', password: SECRET } }), fc.constant({ mqtt: { url: 'x', passwordFile: '/run/secret/mqtt' } }), tree),
    extra: tree,
  }, { requiredKeys: [] })
  .map((value) => stringify(value));

describe('config loader on hostile files', () => {
  it('refuses an alias bomb, deep nesting and __proto__ keys with a ConfigError', () => {
    expect(() => parseConfigText(`${Array.from({ length: 6 }, (_, i) => (i === 0 ? 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]' : `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`)).join('\n')}\n`, 'bomb.yaml', { env: {}, drivers: BUILTIN_DRIVERS })).toThrow(ConfigError);
    // deep nesting is slow to refuse (the yaml library recurses), so a few fixed cases rather than a property
    for (const deep of ['['.repeat(20_000), '{a: '.repeat(1_000), Array.from({ length: 300 }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n')]) {
      expect(() => parseConfigText(deep, 'deep.yaml', { env: {}, drivers: BUILTIN_DRIVERS })).toThrow(ConfigError);
    }
    try {
      parseConfigText('gateway: {id: gw-1, site: BKPP}\n__proto__: {id: 1}\n', 'proto.yaml', { env: {}, drivers: BUILTIN_DRIVERS });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([expect.objectContaining({ path: '__proto__', line: 2, message: expect.stringMatching(/^unknown key "__proto__"; \(root\) takes: gateway, /) })]);
    }
  });

  it('random YAML text gives a config or a ConfigError with paths', () => {
    fc.assert(fc.property(fc.oneof({ arbitrary: randomYaml, weight: 9 }, { arbitrary: aliasBomb, weight: 1 }), checkOutcome), fcOptions('config random YAML'));
  });

  it('random structures under the real keys give a config or a ConfigError with paths, never a secret', () => {
    fc.assert(fc.property(structure, checkOutcome), fcOptions('config random structures'));
  });

  it('the shipped example and demo configs with byte edits give a config or a ConfigError', () => {
    fc.assert(fc.property(mutatedText(SHIPPED, 6), checkOutcome), fcOptions('config mutated example'));
  });
});
