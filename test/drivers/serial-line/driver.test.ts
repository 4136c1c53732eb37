// The serial-line driver on @serialport/binding-mock (the same SerialPortStream as the real port,
// with a fake binding): lines become punch/v1 in a real SQLite buffer, bad lines are counted
// rejections, a pulled and re-plugged port is reopened, a missing port is a status error.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PortOptions, SerialLineTuning } from '../../../drivers/serial-line/driver.js';
import { tempDir } from '../../helpers/tmp.js';
import { startHarness, until, type Harness } from './harness.js';

// the MockBinding instance SerialPortMock opens through (the ESM and CJS builds of
// @serialport/binding-mock each keep their own port list)
const MockBinding = SerialPortMock.binding;
type MockPortBinding = NonNullable<SerialPortMock['port']>;
const NOW_MS = Date.parse('2026-01-19T00:31:05Z');

/** A mock opener that remembers each binding, so a test can feed it bytes or pull it. */
function mockTuning(): SerialLineTuning & { bindings: MockPortBinding[] } {
  const bindings: MockPortBinding[] = [];
  return {
    bindings,
    now: () => NOW_MS,
    openPort: (options: PortOptions) => {
      const port = new SerialPortMock({ ...options, autoOpen: false });
      port.on('open', () => bindings.push(port.port as MockPortBinding));
      return port;
    },
  };
}

/** USB adapter pulled: the device node disappears and the pending read fails with EIO. */
function unplug(binding: MockPortBinding): void {
  MockBinding.reset();
  const pending = (binding as unknown as { pendingRead: ((err: Error) => void) | null }).pendingRead;
  pending?.(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
}

let h: Harness | undefined;
beforeEach(() => MockBinding.reset());
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('serial-line driver on binding-mock', () => {
  it('turns lines into punch/v1 and counts the lines it rejects', async () => {
    MockBinding.createPort('/dev/ttyMOCK0');
    const tuning = mockTuning();
    h = startHarness({ path: '/dev/ttyMOCK0', format: 'wiegand-decimal', delimiter: '\r\n' }, tuning);
    await h.driver.start();
    await until(() => h!.snapshot().online);
    const port = tuning.bindings[0] as MockPortBinding;
    port.emitData('00123');
    port.emitData('45678\r\nnot a card\r\n42949');
    port.emitData('67295\r\n');
    await until(() => h!.punches().length === 2 && h!.snapshot().rejected['line-no-match'] === 1);
    const [first, second] = h.punches();
    expect(first).toMatchObject({
      schema: 'punch/v1',
      device: { id: 'kiosk-3', serial: 'kiosk-3', protocol: 'serial-line' },
      pin: '0012345678',
      time: '2026-01-19T07:31:05+07:00',
      utc: '2026-01-19T00:31:05Z',
      verify: 'card',
      state: 'unknown',
      workCode: null,
      raw: { card: '0012345678', line: '0012345678' },
    });
    expect(second?.pin).toBe('4294967295');
    expect(h.snapshot().recentRejects[0]?.detail).toMatch(/not a card/);

    port.emitData('7'.repeat(5000)); // wrong delimiter or baud rate: never a line
    await until(() => h!.snapshot().rejected['line-too-long'] === 1);
    port.emitData('\r\n0000000003\r\n');
    await until(() => h!.punches().length === 3);
    expect(h.punches()[2]?.pin).toBe('0000000003');
  });

  it('takes a frame without delimiter after lineTimeout (EM-18), strips STX/ETX, rejects a bad XOR check', async () => {
    MockBinding.createPort('/dev/ttyMOCK1');
    const tuning = mockTuning();
    h = startHarness({ path: '/dev/ttyMOCK1', format: 'em18-hex', lineTimeout: '20ms' }, tuning);
    await h.driver.start();
    await until(() => h!.snapshot().online);
    const port = tuning.bindings[0] as MockPortBinding;
    port.emitData('\u00020A001234567A\u0003');
    await until(() => h!.punches().length === 1);
    port.emitData('0A0012345600');
    await until(() => h!.snapshot().rejected['line-checksum'] === 1);
    expect(h.punches()[0]).toMatchObject({ pin: '0001193046', verify: 'card', raw: { card: '0001193046' } });
  });

  it('a port missing at start is an error in status, and the driver opens it once it appears', async () => {
    const tuning = mockTuning();
    h = startHarness({ path: '/dev/ttyLATE', reconnectMin: '5ms', reconnectMax: '20ms' }, tuning);
    await h.driver.start();
    await until(() => /cannot open \/dev\/ttyLATE/.test(h!.snapshot().lastError ?? ''));
    expect(h.snapshot().online).toBe(false);
    MockBinding.createPort('/dev/ttyLATE');
    await until(() => h!.snapshot().online);
    expect(h.snapshot().lastError).toBeNull();
  });

  it('reopens a port that was pulled and plugged back, and reads from it again', async () => {
    MockBinding.createPort('/dev/ttyUSB0');
    const tuning = mockTuning();
    h = startHarness({ path: '/dev/ttyUSB0', reconnectMin: '5ms', reconnectMax: '20ms' }, tuning);
    await h.driver.start();
    await until(() => h!.snapshot().online);
    (tuning.bindings[0] as MockPortBinding).emitData('0000000001\n');
    await until(() => h!.punches().length === 1);

    unplug(tuning.bindings[0] as MockPortBinding);
    await until(() => !h!.snapshot().online);
    expect(h.snapshot().lastError).toMatch(/serial port closed|cannot open/);
    await until(() => /cannot open/.test(h!.snapshot().lastError ?? ''));

    MockBinding.createPort('/dev/ttyUSB0');
    await until(() => h!.snapshot().online && tuning.bindings.length === 2);
    (tuning.bindings[1] as MockPortBinding).emitData('0000000002\n');
    await until(() => h!.punches().length === 2);
    expect(h.punches().map((p) => p.pin)).toEqual(['0000000001', '0000000002']);
  });

  it('an import-only device (no path) opens nothing and reports so', async () => {
    h = startHarness({ format: 'zk-attlog' }, mockTuning());
    await h.driver.start();
    expect(h.snapshot()).toMatchObject({ online: false, lastError: null, details: { importOnly: true, format: 'zk-attlog' } });
  });

  it('imports exports dropped into dropFolder once they stand still, and moves them to processed/', async () => {
    const drop = tempDir('serial-drop-');
    try {
      h = startHarness({ format: 'zk-attlog', dropFolder: drop.dir, dropInterval: '10ms' }, mockTuning());
      await h.driver.start();
      // SYNTHETIC attlog lines (zk-push.md "ATTLOG record" layout), one of them garbage
      writeFileSync(join(drop.dir, '1_attlog.dat'), '   17\t2026-01-19 07:31:05\t0\t1\t0\t0\t0\r\ngarbage\r\n   18\t2026-01-19 07:32:00\t1\t15\t0\t0\t0\r\n');
      writeFileSync(join(drop.dir, 'notes.txt'), 'not an export');
      await until(() => h!.punches().length === 2 && !existsSync(join(drop.dir, '1_attlog.dat')));
      expect(h.punches().map((p) => [p.pin, p.state, p.verify])).toEqual([
        ['17', 'check-in', 'fingerprint'],
        ['18', 'check-out', 'face'],
      ]);
      expect(h.snapshot().rejected['line-no-match']).toBe(1);
      expect(h.snapshot().recentRejects[0]?.detail).toMatch(/^1_attlog\.dat:2 /);
      expect(readdirSync(join(drop.dir, 'processed'))).toEqual([expect.stringMatching(/_1_attlog\.dat$/)]);
      expect(existsSync(join(drop.dir, 'notes.txt'))).toBe(true);
    } finally {
      await h?.close();
      h = undefined;
      drop.cleanup();
    }
  });
});
