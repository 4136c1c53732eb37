// A real DriverContext on a real buffer, as a driver gets it from the supervisor, for tests and
// benchmarks that feed punches without a gateway: silent log and fresh metrics unless given,
// gateway zone Asia/Jakarta, punch plausibility window 2000 … now + maxFutureMs.
import type { Logger } from 'pino';
import type { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { createDriverContext } from '../../src/devices/context.js';
import { DeviceStates } from '../../src/devices/deviceState.js';
import type { BaseDeviceConfig, DriverContext } from '../../src/devices/driver.js';
import { silentLogger } from '../../src/util/logger.js';
import { createMetrics, type Metrics } from '../../src/util/metrics.js';

export interface BufferContextOptions {
  /** the device entry (registered in `states`, enabled, with `serial`) */
  device: Omit<BaseDeviceConfig, 'enabled'> & { enabled?: boolean; serial?: string };
  gateway: { id: string; site: string };
  /** shared by several contexts (one per device), else a fresh one */
  states?: DeviceStates;
  /** default ten years */
  maxFutureMs?: number;
  signal?: AbortSignal;
  onFail?: (error: Error) => void;
  log?: Logger;
  metrics?: Metrics;
}

export function bufferContext(buffer: SqlitePunchBuffer, o: BufferContextOptions): { ctx: DriverContext; states: DeviceStates } {
  const states = o.states ?? new DeviceStates();
  const device = { ...o.device, enabled: o.device.enabled ?? true };
  states.register(device.id, device.driver, true, device.serial);
  const ctx = createDriverContext({
    device,
    gateway: { ...o.gateway, timezone: 'Asia/Jakarta' },
    punches: { minYear: 2000, maxFuture: o.maxFutureMs ?? 86_400_000 * 3650 },
    buffer,
    states,
    log: o.log ?? silentLogger(),
    metrics: o.metrics ?? createMetrics(),
    signal: o.signal ?? new AbortController().signal,
    onFail: o.onFail ?? (() => undefined),
  });
  return { ctx, states };
}
