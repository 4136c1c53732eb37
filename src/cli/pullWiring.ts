// What `pull` and `import` need from the core: the device's config entry and a DriverContext on the buffer the
// daemon uses (a second connection to the same SQLite file: WAL and a busy timeout make that safe,
// and seqs are assigned inside each write transaction). The daemon's dispatchers notice the new
// punches on their next poll.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqlitePunchBuffer } from '../buffer/sqlitePunchBuffer.js';
import { loadConfigFile } from '../config/load.js';
import { bufferFileOf, sinkNamesOf, type DeviceConfig, type GatewayConfig } from '../config/schema.js';
import { createDriverContext } from '../devices/context.js';
import { DeviceStates } from '../devices/deviceState.js';
import type { DriverContext } from '../devices/driver.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { GatewayError } from '../util/errors.js';
import { createLogger } from '../util/logger.js';
import { createMetrics } from '../util/metrics.js';
import type { PullWiring } from './pull.js';

export interface DeviceWiring {
  config: GatewayConfig;
  /** the device entry, with timezone defaulted to gateway.timezone */
  device: DeviceConfig & { timezone: string };
  ctx: DriverContext;
  close(): Promise<void>;
}

/**
 * Opens the config, finds the device and builds a DriverContext on the daemon's buffer, for CLI
 * commands that commit punches of one device (pull, import). The buffer's writer is the config's
 * (a thread by default), so a download or a file keeps being read while the previous batch commits.
 */
export function openDeviceContext(deviceId: string, configPath: string, command: string): DeviceWiring {
  const config = loadConfigFile(configPath, { drivers: BUILTIN_DRIVERS });
  const entry = config.devices.find((d) => d.id === deviceId);
  if (!entry) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `no device "${deviceId}" in ${configPath}; it has: ${config.devices.map((d) => d.id).join(', ') || 'none'}`);
  }
  const device = { ...entry, timezone: entry.timezone ?? config.gateway.timezone };
  const file = bufferFileOf(config);
  mkdirSync(dirname(file), { recursive: true });
  const buffer = new SqlitePunchBuffer({ file, sinks: sinkNamesOf(config), synchronous: config.buffer.synchronous, writer: config.buffer.writer });
  const states = new DeviceStates();
  states.register(device.id, device.driver, true, device.serial);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  const ctx = createDriverContext({
    device,
    gateway: config.gateway,
    punches: config.punches,
    buffer,
    states,
    log: createLogger({ level: 'warn', destination: process.stderr }).child({ device: device.id, command }),
    metrics: createMetrics(),
    signal: abort.signal,
    onFail: (error) => abort.abort(error),
  });
  return {
    config,
    device,
    ctx,
    close: async () => {
      process.off('SIGINT', onSignal);
      buffer.close();
    },
  };
}

/** The device entry and a context on the buffer; which kinds `pull` reads is pull.ts's business (DriverDefinition.backfill). */
export const pullWiring: PullWiring = {
  open(deviceId, configPath) {
    const wiring = openDeviceContext(deviceId, configPath, 'pull');
    return Promise.resolve({ deviceConfig: wiring.device, ctx: wiring.ctx, close: wiring.close });
  },
};
