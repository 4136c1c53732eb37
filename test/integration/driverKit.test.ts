// Adding a terminal family is one folder and one line in a list (src/drivers.ts): the fixture family
// "echo" (test/helpers/echoFamily/) added to a test list is known to config validation and `check`,
// push routing (the Gateway starts its push listener for an echo entry that calls it), `pull`,
// `probe --protocol echo` and `simulate echo` — and each of its modules loads only when used.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerCheckCommand } from '../../src/cli/check.js';
import { registerProbeCommand } from '../../src/cli/probe.js';
import { pullDevice } from '../../src/cli/pull.js';
import { registerSimulateCommand } from '../../src/cli/simulate.js';
import { ConfigError, parseConfigText } from '../../src/config/load.js';
import { needsPushListener, pushTrustOf } from '../../src/devices/definition.js';
import type { DriverContext } from '../../src/devices/driver.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/util/logger.js';
import { until } from '../helpers/broker.js';
import { echoDriver, type EchoConfig } from '../helpers/echoFamily/definition.js';
import { loadedModules } from '../helpers/echoFamily/loads.js';
import { tempDir } from '../helpers/tmp.js';

const DRIVERS = [...BUILTIN_DRIVERS, echoDriver];

const tmp = tempDir();
afterAll(() => tmp.cleanup());
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

interface CliRun {
  out: string;
  err: string;
  done: Promise<void>;
}

/** Runs one command of a fresh program on `DRIVERS`, capturing what is written from now on; `done` settles when the command returns. */
function cli(register: (program: Command, drivers: typeof DRIVERS) => void, args: string[]): CliRun {
  const run = { out: '', err: '' } as CliRun;
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((run.out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((run.err += String(chunk)), true));
  const program = new Command().exitOverride();
  register(program, DRIVERS);
  run.done = program.parseAsync(['node', 'absensi-gateway', ...args]).then(() => undefined);
  return run;
}

function configFile(name: string, devices: string): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, `gateway:\n  id: gw-kit\n  site: KIT\n  dataDir: ${tmp.dir}/${name}.data\npushListener:\n  listen: 127.0.0.1:0\ndevices:\n${devices}`);
  return file;
}

const echoEntry = (fields: Partial<EchoConfig>): EchoConfig => ({ id: 'e1', driver: 'echo', enabled: true, greeting: 'halo', push: false, ...fields });

describe('a family added to the list', () => {
  it('has its entries validated by the config schema and `check`, files included, loading none of its modules', async () => {
    const good = cli(registerCheckCommand, ['check', '--config', configFile('good.yaml', '  - {id: e1, driver: echo, greeting: selamat}\n  - {id: e2, driver: echo, push: true}\n  - {id: e3, driver: echo, push: true, secret: s}\n')]);
    await good.done;
    expect(good.out).toContain('good.yaml: OK (3 device(s), sinks: none)');
    expect(good.out).toContain('warning: devices[1] (e2): push device accepts punches from any host on the network; set secret');
    expect(good.out).not.toMatch(/devices\[[02]\]/);
    expect(process.exitCode).toBeUndefined();

    const bad = cli(registerCheckCommand, ['check', '--config', configFile('bad.yaml', '  - {id: e1, driver: echo, greeting: 5}\n')]);
    await bad.done;
    expect(process.exitCode).toBe(78);
    expect(bad.err).toMatch(/devices\[0\]\.greeting \(line \d+\): .*expected string/);

    process.exitCode = undefined;
    const files = cli(registerCheckCommand, ['check', '--config', configFile('files.yaml', `  - {id: e2, driver: echo, wordsFile: ${tmp.dir}/missing.txt}\n`)]);
    await files.done;
    expect(process.exitCode).toBe(78);
    expect(files.err).toMatch(/devices\[0\]\.wordsFile: ENOENT/);

    const unknown = (): unknown => parseConfigText('gateway: {id: g, site: S}\ndevices:\n  - {id: x, driver: nope}\n', 'x.yaml', { drivers: DRIVERS });
    expect(unknown).toThrow(ConfigError);
    expect(unknown).toThrow(/unknown driver "nope"; this build has: zk-tcp, zk-push, zk-soap, hikvision-isapi, fingerspot-easylink, serial-line, kiosk, echo/);
    expect([...loadedModules]).toEqual([]);
  });

  it('routes the entries that call the gateway to the push listener, and `pull` for them to the daemon', async () => {
    expect(needsPushListener(echoEntry({ push: true }), DRIVERS)).toBe(true);
    expect(needsPushListener(echoEntry({ push: false }), DRIVERS)).toBe(false);
    expect(needsPushListener(echoEntry({ push: true, enabled: false }), DRIVERS)).toBe(false);
    expect(needsPushListener(echoEntry({ push: true }), BUILTIN_DRIVERS)).toBe(false);
    expect(pushTrustOf(echoEntry({ push: true, secret: 's' }), DRIVERS)).toEqual({ authenticated: true, by: ['commKey'] });
    expect(pushTrustOf(echoEntry({ push: false, secret: 's' }), DRIVERS)).toBeUndefined();

    await expect(pullDevice({ deviceConfig: echoEntry({}), ctx: {} as DriverContext, drivers: DRIVERS })).rejects.toThrow(
      'pull reads zk-tcp, zk-soap, hikvision-isapi and fingerspot-easylink devices (zk-push, echo: through the running daemon); "e1" uses echo',
    );

    for (const push of [false, true]) {
      const config = parseConfigText(`gateway: {id: gw-kit, site: KIT, dataDir: ${tmp.dir}/gw-${push}}\npushListener: {listen: 127.0.0.1:0}\ndevices:\n  - {id: e1, driver: echo, push: ${push}}\n`, 'gw.yaml', { drivers: DRIVERS });
      const gateway = new Gateway(config, { log: silentLogger(), api: false, drivers: DRIVERS });
      await gateway.start();
      try {
        await until(() => gateway.states.get('e1')?.online === true, 5000, 'the echo device online');
        expect(gateway.push !== undefined).toBe(push);
      } finally {
        await gateway.stop();
      }
    }
    expect(loadedModules.has('driver')).toBe(true);
  });

  it('is probed with `probe --protocol echo` against the terminal `simulate echo` runs', async () => {
    expect(loadedModules.has('probe') || loadedModules.has('simulator')).toBe(false);
    const simulate = cli(registerSimulateCommand, ['simulate', 'echo', '--port', '0']);
    await until(() => /127\.0\.0\.1:\d+/.test(simulate.out), 5000, 'the simulator listening');
    const port = /127\.0\.0\.1:(\d+)/.exec(simulate.out)?.[1] ?? '';
    expect(loadedModules.has('simulator')).toBe(true);

    const needsGreeting = cli(registerProbeCommand, ['probe', '127.0.0.1', '--protocol', 'echo', '--port', port]);
    await needsGreeting.done;
    expect(needsGreeting.err).toContain('probe: --greeting is required with --protocol echo (the echo terminal repeats it)');
    expect(process.exitCode).toBe(64);
    expect(loadedModules.has('probe')).toBe(false);

    process.exitCode = undefined;
    const probe = cli(registerProbeCommand, ['probe', '127.0.0.1', '--protocol', 'echo', '--port', port, '--greeting', 'selamat pagi']);
    await probe.done;
    await simulate.done;
    expect(probe.out).toBe(`terminal   127.0.0.1:${port} (echo) answered "selamat pagi"\n`);
    expect(process.exitCode).toBeUndefined();

    const unknown = cli(registerProbeCommand, ['probe', '127.0.0.1', '--protocol', 'telnet']);
    await expect(unknown.done).rejects.toThrow(/expected zk-tcp \| zk-soap \| hikvision-isapi \| fingerspot-easylink \| echo/);
  });
});
