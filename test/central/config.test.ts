// central.yaml goes through the gateway's config pipeline: `*File` secrets read, `${ENV}`
// substituted, problems with their codes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseCentralConfig } from '../../src/central/config.js';
import type { ConfigError } from '../../src/config/load.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('reads tokenFile and passwordFile, substitutes ${ENV}, parses the listen address', () => {
  writeFileSync(join(tmp.dir, 'gw.token'), 'a-token-of-twenty-chars\n');
  writeFileSync(join(tmp.dir, 'mqtt.pass'), 'secret\n');
  const config = parseCentralConfig(
    [
      'central: {id: pusat}',
      `mqtt: {url: "\${BROKER}", passwordFile: ${join(tmp.dir, 'mqtt.pass')}}`,
      `https: {listen: "127.0.0.1:8443", tokens: {gw-1: {tokenFile: ${join(tmp.dir, 'gw.token')}}}}`,
      '',
    ].join('\n'),
    'central.yaml',
    { BROKER: 'mqtt://127.0.0.1:1883' },
  );
  expect(config.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', password: 'secret' });
  expect(config.https).toMatchObject({ listen: { host: '127.0.0.1', port: 8443 }, tokens: { 'gw-1': { token: 'a-token-of-twenty-chars' } } });
});

it('a missing secret file is GW_ERR_CONFIG_UNREADABLE; a short token and a config with no receiver are invalid', () => {
  let missing: unknown;
  try {
    parseCentralConfig(`central: {id: pusat}\nhttps: {listen: "127.0.0.1:0", tokens: {gw-1: {tokenFile: ${join(tmp.dir, 'absent')}}}}\n`, 'central.yaml', {});
  } catch (error) {
    missing = error;
  }
  expect((missing as ConfigError).problems).toContainEqual(expect.objectContaining({ path: 'https.tokens.gw-1.tokenFile', code: 'GW_ERR_CONFIG_UNREADABLE', message: expect.stringMatching(/does not exist/) }));
  expect(() => parseCentralConfig('central: {id: pusat}\nhttps: {listen: "127.0.0.1:0", tokens: {gw-1: {token: short}}}\n', 'central.yaml', {})).toThrow(/at least 16 characters/);
  expect(() => parseCentralConfig('central: {id: pusat}\n', 'central.yaml', {})).toThrow(/expected mqtt, https or both/);
});
