// A whole Gateway with kiosk entries on a temp buffer: the kiosk listener on 127.0.0.1 port 0
// (mutual TLS, the local CA created in its dataDir), and a client that posts with a PKCS#12 or
// PEM client certificate over real TLS.
import { request as httpsRequest, Agent } from 'node:https';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { startApiServer } from '../../src/api/server.js';
import { Gateway } from '../../src/gateway.js';
import { KioskCa } from '../../src/kiosk/ca.js';
import { kioskCaName } from '../../src/kiosk/start.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import { until } from '../helpers/until.js';

/** `publish` replaces the MQTT block `mqttUrl` makes: YAML lines under `publish:`, indented two spaces. */
export function kioskConfigYaml(dir: string, kiosks: string[], kioskKeys: string[] = [], mqttUrl?: string, port = 0, publish?: string[]): string {
  return [
    'gateway:',
    '  id: gw-kiosk',
    '  site: KIOSKTEST',
    '  timezone: Asia/Makassar',
    `  dataDir: ${join(dir, 'data')}`,
    '  logLevel: silent',
    'kiosk:',
    `  listen: 127.0.0.1:${port}`,
    ...kioskKeys.map((line) => `  ${line}`),
    'devices:',
    ...kiosks.map((id) => `  - {id: ${id}, driver: kiosk}`),
    ...(publish ? ['publish:', ...publish.map((line) => `  ${line}`)] : mqttUrl ? ['publish:', '  mqtt:', `    url: ${mqttUrl}`, `    clientId: gw-kiosk-${Math.random().toString(36).slice(2)}`, '    reconnectMin: 100ms', '    reconnectMax: 500ms'] : []),
    'supervisor:',
    '  shutdownTimeout: 2s',
    '',
  ].join('\n');
}

export async function startKioskGateway(dir: string, kiosks: string[], options: { kioskKeys?: string[]; mqttUrl?: string; publish?: string[]; log?: Logger; port?: number; api?: boolean } = {}): Promise<Gateway> {
  const yaml = kioskConfigYaml(dir, kiosks, options.kioskKeys, options.mqttUrl, options.port, options.publish);
  const config = parseConfigText(options.api ? yaml.replace('supervisor:\n', 'api:\n  listen: 127.0.0.1:0\nsupervisor:\n') : yaml, 'kiosk.yaml', { drivers: BUILTIN_DRIVERS });
  const gateway = new Gateway(config, { log: options.log ?? silentLogger(), api: options.api === true ? startApiServer : false, drivers: BUILTIN_DRIVERS });
  await gateway.start();
  // the supervisor launches drivers in the background: wait until each kiosk has registered
  await until(() => kiosks.every((id) => gateway.states.get(id)?.details.variant === 'kiosk'), 'kiosk drivers started', 10_000);
  return gateway;
}

export function kioskPort(gateway: Gateway): number {
  const address = gateway.kiosk?.app.server.address();
  if (!address || typeof address === 'string') throw new Error('kiosk listener not listening');
  return address.port;
}

export function caOf(gateway: Gateway): KioskCa {
  return KioskCa.open(gateway.config.gateway.dataDir, { name: kioskCaName(gateway.config.gateway) }).ca;
}

export interface ClientIdentity {
  pfx?: Buffer;
  passphrase?: string;
  cert?: string;
  key?: string;
}

export interface KioskAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs (or GETs, without a body) over TLS to the kiosk listener; rejects when the handshake or the connection fails. */
export function kioskRequest(gateway: Gateway, options: { path: string; body?: unknown; identity: ClientIdentity; agent?: Agent; ca?: string }): Promise<KioskAnswer> {
  const ca = options.ca ?? caOf(gateway).caPem;
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: kioskPort(gateway),
        path: options.path,
        method: payload === undefined ? 'GET' : 'POST',
        ca,
        ...options.identity,
        ...(options.agent ? { agent: options.agent } : { agent: false }),
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The sum of gateway_rejected_total over the series matching `labels`. */
export async function rejectedCount(gateway: Gateway, labels: Record<string, string>): Promise<number> {
  const values = (await gateway.metrics.rejected.get()).values;
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k as keyof typeof v.labels] === want)).reduce((sum, v) => sum + v.value, 0);
}

/** ISO 8601 with the +08:00 offset (WITA) of an instant, seconds only. */
export function witaTime(epochMs: number): string {
  return `${new Date(epochMs + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}
