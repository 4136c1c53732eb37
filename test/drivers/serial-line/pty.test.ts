// End to end over a real pseudo-terminal pair (socat) through the real serialport binding
// (@serialport/bindings-cpp): a time clock writes lines into one end, the driver reads the other.
// socat is killed and restarted on the same link names to play a USB adapter pulled and replugged.
// Skipped, saying why, when socat is not installed (.ci/run installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERIAL_TUNING } from '../../../drivers/serial-line/driver.js';
import { tempDir } from '../../helpers/tmp.js';
import { startHarness, until, type Harness } from './harness.js';

const SOCAT = ['/usr/bin/socat', '/usr/local/bin/socat'].find((p) => existsSync(p)) ?? (spawnSync('which', ['socat']).stdout?.toString().trim() || undefined);
if (!SOCAT) console.warn('serial-line pty test skipped: socat is not installed (apt-get install socat; .ci/run does this)');

const tmp = tempDir('serial-pty-');
const devicePath = join(tmp.dir, 'ttyGW'); // the gateway's end
const clockPath = join(tmp.dir, 'ttyCLOCK'); // the time clock's end
let socat: ChildProcess | undefined;
let h: Harness | undefined;

async function startSocat(): Promise<void> {
  socat = spawn(SOCAT as string, ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${clockPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  socat.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  // socat logs "starting data transfer loop" once both ptys and their links exist
  await until(() => log.includes('starting data transfer loop') || socat?.exitCode !== null);
  if (socat.exitCode !== null) throw new Error(`socat exited: ${log}`);
}

async function stopSocat(): Promise<void> {
  const child = socat;
  socat = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The time clock sends text (opening its end anew each time, as socat may have been restarted). */
function clockSends(text: string): void {
  writeFileSync(clockPath, text, { flag: 'a' });
}

afterAll(async () => {
  await h?.close();
  await stopSocat();
  tmp.cleanup();
});

describe.skipIf(!SOCAT)('serial-line over a real pty pair (socat) and the real serialport binding', () => {
  // a real pty and a native poller on a shared 2-core machine: once in many runs the first try
  // stalls (seen in CI, not reproduced alone); each wait names itself, and a second try runs anew
  it('reads time-clock lines, rejects a bad one, and reopens the port after it vanished and came back', { retry: 2, timeout: 70_000 }, async () => {
    await h?.close();
    await stopSocat();
    await startSocat();
    h = startHarness(
      { path: devicePath, format: 'timeclock-tsv', delimiter: '\r\n', baudRate: 19200, timezone: 'Asia/Makassar', reconnectMin: '10ms', reconnectMax: '100ms' },
      DEFAULT_SERIAL_TUNING,
    );
    await h.driver.start();
    await until(() => h!.snapshot().online, 'the port open', 20_000);

    clockSends('IN\t19-01-2026\t07:31:05\t00123\r\nnonsense\r\nOUT\t19-01-2026\t16:02:00\t42\r\n');
    await until(() => h!.punches().length === 2 && h!.snapshot().rejected['line-no-match'] === 1, 'two punches and one rejected line', 20_000);
    expect(h.punches()[0]).toMatchObject({
      pin: '00123',
      state: 'check-in',
      verify: 'other',
      time: '2026-01-19T07:31:05+08:00',
      utc: '2026-01-18T23:31:05Z',
      device: { id: 'kiosk-3', protocol: 'serial-line' },
    });
    expect(h.punches()[1]).toMatchObject({ pin: '42', state: 'check-out', time: '2026-01-19T16:02:00+08:00' });

    await stopSocat(); // the adapter is pulled: the pty closes under the open port
    await until(() => !h!.snapshot().online, 'the port seen closed', 20_000);
    expect(h.snapshot().lastError).toMatch(/serial port closed|cannot open/);

    await startSocat(); // plugged back in, same /dev/serial/by-id style name
    await until(() => h!.snapshot().online, 'the port open again', 20_000);
    clockSends('BREAK-OUT\t19-01-2026\t12:00:10\t00123\r\n');
    await until(() => h!.punches().length === 3, 'the punch after the replug', 20_000);
    expect(h.punches()[2]).toMatchObject({ pin: '00123', state: 'break-out' });
  });
});
