// DeviceSupervisor (src/devices/supervisor.ts) on its own: a scripted driver factory, each instance
// on a memory context (the real DriverContext on an in-memory buffer) built with the supervisor's
// signal and onFail, and fake timers with the backoff's jitter pinned at its top, so every restart
// delay is exact and time moves only when the test says.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { baseDeviceSchema } from '../../src/config/primitives.js';
import { DeviceStates } from '../../src/devices/deviceState.js';
import type { DriverDefinition } from '../../src/devices/definition.js';
import type { BaseDeviceConfig, Driver } from '../../src/devices/driver.js';
import { DeviceSupervisor, type SupervisorOptions } from '../../src/devices/supervisor.js';
import { createMetrics, type Metrics } from '../../src/util/metrics.js';
import { captureLog, type CapturedLog } from '../helpers/logLines.js';
import { MemoryContext, MemoryStore } from '../helpers/memoryContext.js';
import { rawPunch } from '../helpers/punches.js';

/** What the n-th instance of a device does (0-based): start, throw from start, throw from create, or never finish stopping. */
type Plan = 'run' | 'start-throws' | 'create-throws' | 'stop-hangs';

interface Instance {
  deviceId: string;
  ctx: MemoryContext;
  driver: Driver;
  stopped: boolean;
}

const fakeSchema = baseDeviceSchema.extend({ driver: z.literal('fake') });
type FakeConfig = z.output<typeof fakeSchema>;

class ScriptedFactory implements DriverDefinition<FakeConfig> {
  readonly protocol = 'fake';
  readonly configSchema = fakeSchema;
  readonly instances: Instance[] = [];
  /** create() calls per device, including the ones that threw */
  readonly creates = new Map<string, number>();
  plans = new Map<string, (attempt: number) => Plan>();

  create(config: FakeConfig, ctx: MemoryContext): Driver {
    const attempt = this.creates.get(config.id) ?? 0;
    this.creates.set(config.id, attempt + 1);
    const plan = this.plans.get(config.id)?.(attempt) ?? 'run';
    if (plan === 'create-throws') throw new Error(`create ${attempt} failed`);
    const instance: Instance = { deviceId: config.id, ctx, stopped: false, driver: undefined as unknown as Driver };
    instance.driver = {
      start: async () => {
        if (plan === 'start-throws') throw new Error(`start ${attempt} failed`);
        ctx.status.update({ online: true, serial: `SN-${config.id}` });
      },
      stop: () => {
        instance.stopped = true;
        return plan === 'stop-hangs' ? new Promise<void>(() => undefined) : Promise.resolve();
      },
    };
    this.instances.push(instance);
    return instance.driver;
  }

  of(deviceId: string): Instance[] {
    return this.instances.filter((i) => i.deviceId === deviceId);
  }
}

let factory: ScriptedFactory;
let states: DeviceStates;
let store: MemoryStore;
let capture: CapturedLog;
let metrics: Metrics;
let supervisor: DeviceSupervisor;

const device = (id: string, extra: Partial<BaseDeviceConfig> = {}): BaseDeviceConfig => ({ id, driver: 'fake', enabled: true, ...extra });
/** lets the supervisor's async launch/stop steps run (no timer moves) */
const settle = async (): Promise<void> => {
  await vi.advanceTimersByTimeAsync(0);
};
const restartDelays = (deviceId: string): number[] => capture.lines.filter((l) => l.device === deviceId && typeof l.restartInMs === 'number').map((l) => l.restartInMs as number);
const creates = (deviceId: string): number => factory.creates.get(deviceId) ?? 0;

function newSupervisor(options: Partial<SupervisorOptions> = {}): DeviceSupervisor {
  return new DeviceSupervisor({
    factories: [factory],
    states,
    log: capture.log,
    metrics,
    makeContext: (d, signal, onFail, log) => new MemoryContext({ device: d, store, states, signal, onFail, log, metrics }),
    restartMinMs: 1000,
    restartMaxMs: 8000,
    ...options,
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  vi.spyOn(Math, 'random').mockReturnValue(0.9999); // full jitter at its top: each delay is its ceiling
  factory = new ScriptedFactory();
  states = new DeviceStates();
  store = new MemoryStore();
  capture = captureLog('info');
  metrics = createMetrics();
  supervisor = newSupervisor();
});
afterEach(async () => {
  await supervisor.stopAll(10);
  await vi.runOnlyPendingTimersAsync();
  vi.useRealTimers();
  vi.restoreAllMocks();
  store.close();
});

describe('DeviceSupervisor: restarts', () => {
  it('restarts a driver whose start throws, with exponential backoff up to restartMax', async () => {
    factory.plans.set('a', () => 'start-throws');
    supervisor.add(device('a'));
    await settle();
    expect(creates('a')).toBe(1);
    const delays = [1000, 2000, 4000, 8000, 8000];
    for (const [n, delayMs] of delays.entries()) {
      await vi.advanceTimersByTimeAsync(delayMs - 1);
      expect(creates('a'), `not before ${delayMs} ms`).toBe(n + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(creates('a'), `after ${delayMs} ms`).toBe(n + 2);
    }
    expect(restartDelays('a').slice(0, delays.length)).toEqual(delays);
    // every failed instance was stopped and its signal aborted before the next one
    expect(factory.of('a').slice(0, -1).every((i) => i.stopped && i.ctx.signal.aborted)).toBe(true);
    expect(states.get('a')).toMatchObject({ online: false, restarts: 6, lastError: 'GW_ERR_INTERNAL: start 5 failed', lastErrorCode: 'GW_ERR_INTERNAL' });
    expect((await metrics.driverRestarts.get()).values.find((v) => v.labels.device === 'a')?.value).toBe(6);
  });

  it('restarts a driver whose create throws', async () => {
    factory.plans.set('a', (attempt) => (attempt === 0 ? 'create-throws' : 'run'));
    supervisor.add(device('a'));
    await settle();
    expect(supervisor.driverOf('a')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(creates('a')).toBe(2);
    expect(supervisor.driverOf('a')).toBe(factory.of('a')[0]?.driver);
    expect(states.get('a')).toMatchObject({ online: true, serial: 'SN-a', restarts: 1 });
  });

  it('replaces a driver that calls ctx.fail with a fresh instance on a fresh signal', async () => {
    supervisor.add(device('a'));
    await settle();
    const [first] = factory.of('a') as [Instance];
    first.ctx.fail(new Error('terminal link lost'));
    first.ctx.fail(new Error('said twice')); // one failure, one restart
    await settle();
    expect(first.stopped).toBe(true);
    expect(first.ctx.signal.aborted).toBe(true);
    expect(supervisor.driverOf('a')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    const [, second] = factory.of('a') as [Instance, Instance];
    expect(supervisor.driverOf('a')).toBe(second.driver);
    expect(second.ctx.signal.aborted).toBe(false);
    expect(restartDelays('a')).toEqual([1000]);
    expect(states.get('a')).toMatchObject({ restarts: 1, lastError: 'GW_ERR_INTERNAL: terminal link lost' });
    // the fresh instance commits through its own context into the same buffer
    await second.ctx.emit(rawPunch(1));
    expect(store.punches().map((p) => p.device)).toEqual([{ id: 'a', serial: 'SN-a', protocol: 'fake' }]);
  });

  it('markHealthy resets the backoff to restartMin', async () => {
    const plan = (attempt: number): Plan => (attempt < 3 ? 'start-throws' : 'run');
    factory.plans.set('a', plan);
    factory.plans.set('b', plan);
    supervisor.add(device('a'));
    supervisor.add(device('b'));
    await settle();
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000);
    expect([creates('a'), creates('b')]).toEqual([4, 4]);
    supervisor.markHealthy('a');
    factory.of('a').at(-1)?.ctx.fail(new Error('again'));
    factory.of('b').at(-1)?.ctx.fail(new Error('again'));
    await settle();
    expect(restartDelays('a')).toEqual([1000, 2000, 4000, 1000]);
    expect(restartDelays('b')).toEqual([1000, 2000, 4000, 8000]);
  });
});

describe('DeviceSupervisor: stop, remove, add', () => {
  it('stopAll stops every driver, cancels pending restarts, and starts nothing afterwards', async () => {
    factory.plans.set('failing', () => 'start-throws');
    supervisor.add(device('a'));
    supervisor.add(device('b'));
    supervisor.add(device('failing'));
    await settle();
    await supervisor.stopAll();
    expect(factory.instances.filter((i) => i.deviceId !== 'failing').map((i) => [i.deviceId, i.stopped, i.ctx.signal.aborted])).toEqual([
      ['a', true, true],
      ['b', true, true],
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(creates('failing')).toBe(1);
    supervisor.add(device('c'));
    await settle();
    expect(creates('c')).toBe(0);
  });

  it('stopAll resolves after its timeout when a driver never finishes stopping', async () => {
    factory.plans.set('stuck', () => 'stop-hangs');
    supervisor.add(device('stuck'));
    supervisor.add(device('a'));
    await settle();
    let resolved = false;
    const stopping = supervisor.stopAll(500).then(() => (resolved = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(factory.instances.every((i) => i.stopped)).toBe(true);
  });

  it('remove stops the device, forgets its state and its pending restart; add starts it afresh', async () => {
    factory.plans.set('a', (attempt) => (attempt === 0 ? 'start-throws' : 'run'));
    supervisor.add(device('a'));
    supervisor.add(device('b'));
    await settle();
    await supervisor.remove('a');
    expect(states.get('a')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(creates('a')).toBe(1); // the restart planned before remove never ran
    await supervisor.remove('b');
    expect(factory.of('b')[0]?.stopped).toBe(true);
    expect(supervisor.driverOf('b')).toBeUndefined();
    supervisor.add(device('a'));
    await settle();
    expect(creates('a')).toBe(2);
    expect(supervisor.driverOf('a')).toBe(factory.of('a').at(-1)?.driver);
    expect(states.get('a')).toMatchObject({ online: true, restarts: 0 });
  });

  it('a disabled device is listed but not started; an unknown driver is reported, not restarted', async () => {
    supervisor.add(device('off', { enabled: false }));
    supervisor.add(device('odd', { driver: 'no-such-driver' }));
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(creates('off')).toBe(0);
    expect(states.get('off')).toMatchObject({ enabled: false, online: false });
    expect(states.get('odd')?.lastError).toMatch(/^GW_ERR_DRIVER_UNKNOWN/);
    expect(restartDelays('odd')).toEqual([]);
  });

  it('startAll starts every enabled device', async () => {
    await supervisor.startAll([device('a'), device('b'), device('c', { enabled: false })]);
    await settle();
    expect([creates('a'), creates('b'), creates('c')]).toEqual([1, 1, 0]);
    expect(states.list().map((s) => [s.id, s.online])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
  });
});
