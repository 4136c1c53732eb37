// Host clock check (issue 7 "Time"): the year rule, timedatectl's answer, the "unknown" case, the
// zk-tcp syncClock gate that relies on it, and the monitor's log line, metric and device status.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ClockMonitor } from '../../src/clock/clockMonitor.js';
import { checkHostClock, isHostClockSynchronized, lastHostClockStatus, resetHostClockStatus } from '../../src/clock/hostClock.js';
import { DeviceStates } from '../../src/devices/deviceState.js';
import { createLogger } from '../../src/util/logger.js';
import { createMetrics } from '../../src/util/metrics.js';

const NOW_2026 = Date.parse('2026-01-19T00:31:05Z');
const NOW_2000 = Date.parse('2000-01-01T00:00:10Z');
const answer = (text: string | undefined) => () => Promise.resolve(text);

afterEach(() => resetHostClockStatus());

describe('checkHostClock', () => {
  it.each([
    ['yes\n', true, 'ntp-synchronized'],
    ['no\n', false, 'ntp-unsynchronized'],
    [undefined, null, 'timedatectl-unavailable'],
    ['garbage', null, 'timedatectl-unavailable'],
  ] as const)('timedatectl %j → synchronized %s (%s)', async (text, synchronized, reason) => {
    const status = await checkHostClock({ nowMs: () => NOW_2026, ntpSynchronized: answer(text) });
    expect(status).toMatchObject({ synchronized, reason, checkedAt: '2026-01-19T00:31:05.000Z' });
    expect(lastHostClockStatus()).toEqual(status);
    expect(isHostClockSynchronized(NOW_2026)).toBe(synchronized !== false);
  });

  it('calls a year before 2024 unsynchronized whatever timedatectl says', async () => {
    const status = await checkHostClock({ nowMs: () => NOW_2000, ntpSynchronized: answer('yes') });
    expect(status).toMatchObject({ synchronized: false, reason: 'year-implausible' });
    expect(isHostClockSynchronized(NOW_2000)).toBe(false);
  });

  it('asks the real timedatectl when there is one and never throws', async () => {
    const status = await checkHostClock();
    expect(['ntp-synchronized', 'ntp-unsynchronized', 'timedatectl-unavailable', 'year-implausible']).toContain(status.reason);
  });
});

describe('zk-tcp syncClock gate', () => {
  it('trusts the host clock only while it is not known to be unsynchronized', async () => {
    expect(isHostClockSynchronized(NOW_2026)).toBe(true); // before any check: the year rule alone
    expect(isHostClockSynchronized(NOW_2000)).toBe(false);
    await checkHostClock({ nowMs: () => NOW_2026, ntpSynchronized: answer('no') });
    expect(isHostClockSynchronized(NOW_2026)).toBe(false);
    await checkHostClock({ nowMs: () => NOW_2026, ntpSynchronized: answer('yes') });
    expect(isHostClockSynchronized(NOW_2026)).toBe(true);
  });
});

describe('ClockMonitor', () => {
  it('warns with GW_ERR_CLOCK_UNSYNCHRONIZED, sets the metric and every device status, and says when it recovers', async () => {
    const lines: { level: number; msg: string; code?: string }[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString())), done()) });
    const metrics = createMetrics();
    const states = new DeviceStates();
    states.register('lobby-1', 'zk-tcp', true);
    let reply = 'no';
    const monitor = new ClockMonitor({ log: createLogger({ level: 'info', destination }), metrics, states, probe: { nowMs: () => NOW_2026, ntpSynchronized: () => Promise.resolve(reply) } });
    await monitor.check();
    expect(lines.at(-1)).toMatchObject({ level: 40, code: 'GW_ERR_CLOCK_UNSYNCHRONIZED' });
    expect((await metrics.hostClockSynchronized.get()).values[0]?.value).toBe(0);
    expect(states.get('lobby-1')?.details.hostClock).toEqual({ synchronized: false, reason: 'ntp-unsynchronized', code: 'GW_ERR_CLOCK_UNSYNCHRONIZED' });
    reply = 'yes';
    await monitor.check();
    expect(lines.at(-1)).toMatchObject({ level: 30, msg: 'host clock synchronized again' });
    expect((await metrics.hostClockSynchronized.get()).values[0]?.value).toBe(1);
    expect(states.get('lobby-1')?.details.hostClock).toEqual({ synchronized: true, reason: 'ntp-synchronized' });
  });
});
