// A whole Gateway with zk-push devices on a temp buffer: the push listener on 127.0.0.1 port 0,
// local API off unless asked. Used by the listener tests (Fastify inject) and the e2e tests.
import { join } from 'node:path';
import { startApiServer } from '../../../src/api/server.js';
import { parseConfigText } from '../../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import { Gateway } from '../../../src/gateway.js';
import { silentLogger, type Logger } from '../../../src/util/logger.js';

export interface PushGatewaySetup {
  dir: string;
  /** extra YAML lines for each zk-push device, keyed by serial */
  devices: { id: string; serial: string; extra?: string }[];
  mqttUrl?: string;
  httpsUrl?: string;
  maxBodyBytes?: number;
  /** listen on this port (a restarted gateway keeps its address); default 0 */
  port?: number;
  /** serve the local API on 127.0.0.1 (port 0 unless apiPort) */
  api?: boolean;
  apiPort?: number;
  /** more `pushListener:` keys, e.g. `maxConnections: 100` */
  pushListener?: string[];
  /** default silent */
  log?: Logger;
}

export function pushConfigYaml(s: PushGatewaySetup): string {
  const lines = [
    'gateway:',
    '  id: gw-push',
    '  site: PUSHTEST',
    `  dataDir: ${join(s.dir, 'data')}`,
    '  logLevel: silent',
    'api:',
    `  listen: 127.0.0.1:${s.apiPort ?? 0}`,
    'pushListener:',
    `  listen: 127.0.0.1:${s.port ?? 0}`,
    ...(s.maxBodyBytes ? [`  maxBodyBytes: ${s.maxBodyBytes}`] : []),
    ...(s.pushListener ?? []).map((line) => `  ${line}`),
    'devices:',
    ...s.devices.map((d) => `  - {id: ${d.id}, driver: zk-push, serial: ${d.serial}${d.extra ? `, ${d.extra}` : ''}}`),
  ];
  if (s.mqttUrl || s.httpsUrl) lines.push('publish:');
  if (s.mqttUrl) lines.push('  mqtt:', `    url: ${s.mqttUrl}`, `    clientId: gw-push-${Math.random().toString(36).slice(2)}`, '    reconnectMin: 100ms', '    reconnectMax: 500ms');
  if (s.httpsUrl) lines.push('  https:', `    url: ${s.httpsUrl}`, '    maxWait: 50ms', '    rejectUnauthorized: false');
  lines.push('supervisor:', '  restartMin: 50ms', '  restartMax: 200ms', '  shutdownTimeout: 2s');
  return `${lines.join('\n')}\n`;
}

export async function startPushGateway(s: PushGatewaySetup): Promise<Gateway> {
  const config = parseConfigText(pushConfigYaml(s), 'push.yaml', { drivers: BUILTIN_DRIVERS });
  const gateway = new Gateway(config, { log: s.log ?? silentLogger(), api: s.api === true ? startApiServer : false, drivers: BUILTIN_DRIVERS });
  await gateway.start();
  return gateway;
}

/** The listener URL of a started gateway. */
export function pushUrl(gateway: Gateway): string {
  const address = gateway.push?.app.server.address();
  if (!address || typeof address === 'string') throw new Error('push listener not listening');
  return `http://127.0.0.1:${address.port}`;
}
