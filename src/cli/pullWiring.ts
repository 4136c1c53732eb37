// What `pull` needs from the core: the device's config entry and a DriverContext on the buffer the
// daemon uses (a second connection to the same SQLite file: WAL and a busy timeout make that safe,
// and seqs are assigned inside each write transaction). The daemon's dispatchers notice the new
// punches on their next poll.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ZkTcpConfig } from '../../drivers/zk-tcp/config.js';
import { SqlitePunchBuffer } from '../buffer/sqlitePunchBuffer.js';
import { loadConfigFile } from '../config/load.js';
import { bufferFileOf, sinkNamesOf } from '../config/schema.js';
import { createDriverContext } from '../devices/context.js';
import { DeviceStates } from '../devices/deviceState.js';
import { GatewayError } from '../util/errors.js';
import { createLogger } from '../util/logger.js';
import { createMetrics } from '../util/metrics.js';
import type { PullWiring } from './pull.js';

export const pullWiring: PullWiring = {
  async open(deviceId, configPath) {
    const config = loadConfigFile(configPath);
    const device = config.devices.find((d) => d.id === deviceId);
    if (!device) {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', `no device "${deviceId}" in ${configPath}; it has: ${config.devices.map((d) => d.id).join(', ') || 'none'}`);
    }
    if (device.driver !== 'zk-tcp') throw new GatewayError('GW_ERR_CONFIG_INVALID', `pull works on zk-tcp devices; "${deviceId}" uses ${device.driver}`);
    const deviceConfig = { ...device, timezone: device.timezone ?? config.gateway.timezone } as unknown as ZkTcpConfig;
    const file = bufferFileOf(config);
    mkdirSync(dirname(file), { recursive: true });
    const buffer = new SqlitePunchBuffer({ file, sinks: sinkNamesOf(config), synchronous: config.buffer.synchronous, writer: 'inline' });
    const states = new DeviceStates();
    states.register(device.id, device.driver, true, device.serial);
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    const ctx = createDriverContext({
      device: deviceConfig,
      gateway: config.gateway,
      punches: config.punches,
      buffer,
      states,
      log: createLogger({ level: 'warn', destination: process.stderr }).child({ device: device.id, command: 'pull' }),
      metrics: createMetrics(),
      signal: abort.signal,
      onFail: (error) => abort.abort(error),
    });
    return {
      deviceConfig,
      ctx,
      close: async () => {
        process.off('SIGINT', onSignal);
        buffer.close();
      },
    };
  },
};
