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

it('the fleet page listens on 127.0.0.1:8090 by default; a listen beyond loopback needs http.token; MQTT 3.1.1 without $share for brokers that lack them', () => {
  const plain = parseCentralConfig('central: {id: pusat}\nmqtt: {url: "mqtt://127.0.0.1:1883"}\n', 'central.yaml', {});
  expect(plain.http).toEqual({ listen: { host: '127.0.0.1', port: 8090 }, allowedHosts: [], enabled: true });
  expect(plain.mqtt).toMatchObject({ protocolVersion: 5, shared: true, group: 'central' });
  expect(() => parseCentralConfig('central: {id: pusat}\nmqtt: {url: "mqtt://127.0.0.1:1883"}\nhttp: {listen: "0.0.0.0:8090"}\n', 'central.yaml', {})).toThrow(/set http.token/);
  writeFileSync(join(tmp.dir, 'fleet.token'), 'a-fleet-token-of-20-chars\n');
  const open = parseCentralConfig(`central: {id: pusat}\nmqtt: {url: "mqtt://127.0.0.1:1883", protocolVersion: 4, shared: false}\nhttp: {listen: "0.0.0.0:8090", tokenFile: ${join(tmp.dir, 'fleet.token')}}\n`, 'central.yaml', {});
  expect(open.http).toMatchObject({ listen: { host: '0.0.0.0', port: 8090 }, token: 'a-fleet-token-of-20-chars' });
  expect(open.mqtt).toMatchObject({ protocolVersion: 4, shared: false });
});
