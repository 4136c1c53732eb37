// punch/v1 `device.address` for every driver, through the real DriverContext and SQLite buffer:
// the configured host of a pulled terminal (zk-tcp, zk-soap, fingerspot-easylink's bridge,
// hikvision-isapi pull, and `pull` backfills), the port path of a serial line, and none for punches
// read from a file (`import`, `dropFolder`). Push drivers set it per request (their own tests);
// normalize's precedence is in test/unit/punch.test.ts. Simulators on 127.0.0.1, binding-mock.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { FingerspotEasyLinkDriver, fingerspotConfigSchema } from '../../drivers/fingerspot-easylink/index.js';
import { hikvisionConfigSchema, HikvisionDriver } from '../../drivers/hikvision-isapi/index.js';
import { compileFormat } from '../../drivers/serial-line/index.js';
import type { PortOptions } from '../../drivers/serial-line/driver.js';
import { zkSoapConfigSchema, ZkSoapDriver } from '../../drivers/zk-soap/index.js';
import { zkTcpConfigSchema, ZkTcpDriver } from '../../drivers/zk-tcp/index.js';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { pullDevice } from '../../src/cli/pull.js';
import type { BaseDeviceConfig, DriverContext } from '../../src/devices/driver.js';
import { importLines } from '../../drivers/serial-line/importLines.js';
import type { Punch } from '../../src/punch/punch.js';
import { FingerspotSimulator } from '../../src/sim/fingerspot/index.js';
import { HikvisionSimulator } from '../../src/sim/hikvision/index.js';
import { ZkSoapSimulator } from '../../src/sim/zkSoap/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { startHarness, until } from '../drivers/serial-line/harness.js';
import { bufferContext } from '../helpers/bufferContext.js';
import { checkStoredPunches } from '../helpers/edgeChecks.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

function realContext(device: BaseDeviceConfig): { ctx: DriverContext; punches: () => Punch[] } {
  const tmp = tempDir('address-');
  const buffer = new SqlitePunchBuffer({ file: join(tmp.dir, 'buffer.db'), sinks: ['mqtt'], writer: 'inline' });
  cleanups.push(() => tmp.cleanup(), () => buffer.close());
  const { ctx } = bufferContext(buffer, { device, gateway: { id: 'gw-addr', site: 'ADDR' } });
  return { ctx, punches: () => checkStoredPunches(buffer.database) };
}

const addressesOf = (punches: Punch[]): Set<string | undefined> => new Set(punches.map((p) => p.device.address));

describe('device.address of pulled terminals: the configured host', () => {
  it('zk-tcp', async () => {
    const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, records: 5 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const cfg = zkTcpConfigSchema.parse({ id: 'lobby-1', driver: 'zk-tcp', host: '127.0.0.1', port: sim.address.port, timeout: '2s', realtime: false, pollInterval: '1h', timezone: sim.options.timeZone });
    const { ctx, punches } = realContext(cfg);
    const driver = new ZkTcpDriver(cfg, ctx, { backoffMinMs: 10, backoffMaxMs: 100 });
    cleanups.push(() => driver.stop());
    await driver.start();
    await until(() => punches().length === 5);
    expect(addressesOf(punches())).toEqual(new Set(['127.0.0.1']));
  });

  it('zk-soap, and its pull', async () => {
    const sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, records: 4 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const cfg = zkSoapConfigSchema.parse({ id: 'gate-1', driver: 'zk-soap', host: '127.0.0.1', port: sim.address.port, timeout: '5s', timezone: 'Asia/Jakarta' });
    const polled = realContext(cfg);
    const driver = new ZkSoapDriver(cfg, polled.ctx);
    cleanups.push(() => driver.stop());
    await driver.pollOnce();
    expect(polled.punches()).toHaveLength(4);
    expect(addressesOf(polled.punches())).toEqual(new Set(['127.0.0.1']));
    const pulled = realContext(cfg);
    await pullDevice({ deviceConfig: cfg, ctx: pulled.ctx });
    expect(addressesOf(pulled.punches())).toEqual(new Set(['127.0.0.1']));
  });

  it('fingerspot-easylink: the host of the EasyLink bridge PC, the only address the gateway talks to', async () => {
    const serial = 'FIO66208021230737';
    const sim = new FingerspotSimulator({ serials: [serial] });
    await sim.start();
    cleanups.push(() => sim.stop());
    for (let i = 0; i < 3; i++) sim.addPunch({ pin: String(100 + i), scanDate: `2026-01-19 07:3${i}:00` });
    const cfg = fingerspotConfigSchema.parse({ id: 'revo-1', driver: 'fingerspot-easylink', host: '127.0.0.1', port: sim.address.port, serial, pollInterval: '20ms', timeout: '2s', timezone: 'Asia/Jakarta' });
    const { ctx, punches } = realContext(cfg);
    const driver = new FingerspotEasyLinkDriver(cfg, ctx, { backoffMinMs: 10, backoffMaxMs: 40 });
    cleanups.push(() => driver.stop());
    void driver.start();
    await until(() => punches().length === 3);
    expect(addressesOf(punches())).toEqual(new Set(['127.0.0.1']));
  });

  it('hikvision-isapi pull', async () => {
    const sim = new HikvisionSimulator({ password: 'Admin12345', records: 6, firstPunchMs: Date.now() - 3_600_000 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const cfg = hikvisionConfigSchema.parse({ id: 'face-1', driver: 'hikvision-isapi', host: '127.0.0.1', port: sim.address.port, password: 'Admin12345', pollInterval: '1h', timezone: 'Asia/Jakarta' });
    const { ctx, punches } = realContext(cfg);
    const driver = new HikvisionDriver(cfg, ctx);
    cleanups.push(() => driver.stop());
    await driver.syncOnce();
    expect(punches()).toHaveLength(6);
    expect(addressesOf(punches())).toEqual(new Set(['127.0.0.1']));
  });
});

describe('device.address of serial lines and files', () => {
  const MockBinding = SerialPortMock.binding;
  const bindings: NonNullable<SerialPortMock['port']>[] = [];
  const mockTuning = () => ({
    now: () => Date.parse('2026-01-19T00:31:05Z'),
    openPort: (options: PortOptions) => {
      const port = new SerialPortMock({ ...options, autoOpen: false });
      port.on('open', () => bindings.push(port.port!));
      return port;
    },
  });

  it('serial-line: the port path; its drop folder: none (a file names no terminal address)', async () => {
    MockBinding.reset();
    MockBinding.createPort('/dev/ttyADDR0');
    cleanups.push(() => MockBinding.reset());
    const drop = tempDir('address-drop-');
    cleanups.push(() => drop.cleanup());
    const h = startHarness({ path: '/dev/ttyADDR0', format: 'zk-attlog', dropFolder: drop.dir, dropInterval: '10ms' }, mockTuning());
    cleanups.push(() => h.close());
    await h.driver.start();
    await until(() => h.snapshot().online);
    bindings.at(-1)!.emitData(Buffer.from('   17\t2026-01-19 07:31:05\t0\t1\t0\t0\t0\n'));
    // SYNTHETIC attlog line (zk-push.md "ATTLOG record" layout)
    writeFileSync(join(drop.dir, '1_attlog.dat'), '   18\t2026-01-19 07:32:00\t1\t15\t0\t0\t0\r\n');
    await until(() => h.punches().length === 2);
    const byPin = new Map(h.punches().map((p) => [p.pin, p]));
    expect(byPin.get('17')?.device.address).toBe('/dev/ttyADDR0');
    expect(byPin.get('18')?.device).not.toHaveProperty('address');
    expect(byPin.get('18')?.raw).toMatchObject({ source: 'import', file: '1_attlog.dat' });
  });

  it('import into a pulled terminal: none, not the terminal\'s host', async () => {
    const tmp = tempDir('address-import-');
    cleanups.push(() => tmp.cleanup());
    const file = join(tmp.dir, 'BOCK200961014_attlog.dat');
    writeFileSync(file, '    1\t2026-01-19 07:31:05\t0\t1\t0\t0\t0\n'); // SYNTHETIC
    const { ctx, punches } = realContext({ id: 'lobby-1', driver: 'zk-tcp', host: '192.168.1.201', enabled: true } as BaseDeviceConfig);
    const summary = await importLines({ files: [file], format: compileFormat('zk-attlog'), ctx, zone: 'Asia/Jakarta' });
    expect(summary.inserted).toBe(1);
    expect(punches()[0]?.device).not.toHaveProperty('address');
  });
});
