// userSync groups in the config: defaults (templates true, interval 5m), and every reason a group
// cannot run refused with its path, line and code — an unknown or disabled device, a family without
// a users side, one device, a name twice — while zk-tcp and zk-push members are taken (their running
// drivers lend their session) —
// as `check` prints them (the real CLI).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const DEVICES = `gateway: {id: gw, site: S, dataDir: /tmp/x}
devices:
  - {id: soap-1, driver: zk-soap, host: 127.0.0.1}
  - {id: revo-1, driver: fingerspot-easylink, host: 127.0.0.1, serial: FIO1}
  - {id: revo-off, driver: fingerspot-easylink, host: 127.0.0.1, serial: FIO2, enabled: false}
  - {id: lobby-1, driver: zk-tcp, host: 127.0.0.1}
  - {id: kiosk-3, driver: serial-line, path: /dev/ttyUSB0, format: '(?<pin>\d+)'}
`;

function problems(yaml: string): { path: string; line?: number; code: string; message: string }[] {
  try {
    parseConfigText(yaml, 'test.yaml', { drivers: BUILTIN_DRIVERS, env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => ({ path: p.path, ...(p.line ? { line: p.line } : {}), code: p.code, message: p.message }));
    throw error;
  }
  return [];
}

describe('userSync config', () => {
  it('takes a group of families beside the daemon, with templates true and interval 5m by default', () => {
    const config = parseConfigText(`${DEVICES}userSync:\n  - {name: gedung-a, devices: [soap-1, revo-1]}\n`, 'test.yaml', { drivers: BUILTIN_DRIVERS, env: {} });
    expect(config.userSync).toEqual([{ name: 'gedung-a', devices: ['soap-1', 'revo-1'], templates: true, interval: 300_000 }]);
    expect(parseConfigText(DEVICES, 'test.yaml', { drivers: BUILTIN_DRIVERS, env: {} }).userSync).toEqual([]);
    // a zk-tcp terminal serves one client, but its running driver lends its session to the group
    expect(parseConfigText(`${DEVICES}userSync:\n  - {name: gerbang, devices: [lobby-1, soap-1]}\n`, 'test.yaml', { drivers: BUILTIN_DRIVERS, env: {} }).userSync[0]!.devices).toEqual(['lobby-1', 'soap-1']);
  });

  it('refuses what cannot run, each with its path, line and code', () => {
    const found = problems(`${DEVICES}userSync:
  - name: g1
    devices: [soap-1, nope, revo-off, kiosk-3, lobby-1, soap-1]
  - {name: g1, devices: [revo-1, soap-1]}
`);
    expect(found.map((p) => p.code)).toEqual(Array(found.length).fill('GW_ERR_CONFIG_INVALID'));
    const text = found.map((p) => `${p.path}@${p.line}: ${p.message}`);
    expect(text).toEqual([
      'userSync[0].devices[1]@10: no device "nope"; devices are: soap-1, revo-1, revo-off, lobby-1, kiosk-3',
      'userSync[0].devices[2]@10: "revo-off" is disabled (enabled: false); enable it or leave it out of the group',
      expect.stringMatching(/^userSync\[0\]\.devices\[3\]@10: "kiosk-3" is a serial-line device: a serial-line reader sends the card or PIN/),
      'userSync[0].devices[5]@10: "soap-1" is named twice in this group',
      'userSync[1].name@11: duplicate userSync group "g1"',
    ]);
    expect(problems(`${DEVICES}userSync:\n  - {name: g, devices: [revo-1]}\n`)).toEqual([{ path: 'userSync[0].devices', line: 9, code: 'GW_ERR_CONFIG_INVALID', message: 'a group needs at least two devices' }]);
  });

  it('`check` prints each problem with its code and exits 78', async () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, `${DEVICES}userSync:\n  - {name: g, devices: [soap-1, kiosk-3]}\n`);
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', 'check', '--config', file]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('GW_ERR_CONFIG_INVALID userSync[0].devices[1] (line 9): "kiosk-3" is a serial-line device');
  });
});
