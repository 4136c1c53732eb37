// A real Gateway for the API, CLI and status-page tests: test-feed devices, an Aedes broker and/or
// an HTTP receiver as sinks, a buffer file in a temp directory, the API on 127.0.0.1 port 0.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startApiServer } from '../../src/api/server.js';
import { openDatabase } from '../../src/buffer/database.js';
import type { HostClockProbe } from '../../src/clock/hostClock.js';
import { MIGRATIONS_WITHOUT_LOG } from '../../src/buffer/migrations/index.js';
import { parseConfigText } from '../../src/config/load.js';
import { bufferFileOf } from '../../src/config/schema.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/util/logger.js';
import { until } from '../helpers/broker.js';
import { feedDriver, feeds, type Feed } from '../helpers/feedDriver.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export interface GatewaySetup {
  dir: string;
  mqttUrl?: string;
  httpsUrl?: string;
  /** api.token */
  token?: string;
  /** serve the API on a real socket (127.0.0.1:0) */
  listen?: boolean;
  /** YAML lines of the devices list */
  devices?: string;
  /** buffer.writer; tests that limit the main connection's file size need 'inline' */
  bufferWriter?: 'thread' | 'inline';
  /** publish.https.token */
  httpsToken?: string;
  /** log.checkpointInterval (default the gateway's, 10s) */
  checkpointInterval?: string;
  /** start on a buffer file that keeps no punch log: written before the log existed and thinned by retention since */
  bufferWithoutLog?: boolean;
  /** gateway.site (default: a new random one) */
  site?: string;
  /** more top-level YAML, appended as it is */
  extraYaml?: string;
  /** the shipped drivers besides test-feed (zk-tcp devices against the simulator) */
  builtinDrivers?: boolean;
  /** the host clock check's probe (e.g. timedatectl saying "no") */
  hostClock?: HostClockProbe;
}

export function gatewayYaml(setup: GatewaySetup): string {
  const lines = [
    'gateway:',
    '  id: gw-api',
    `  site: ${setup.site ?? `A${randomUUID().slice(0, 6)}`}`,
    `  dataDir: ${join(setup.dir, 'data')}`,
    '  logLevel: silent',
    'api:',
    '  listen: 127.0.0.1:0',
    ...(setup.token ? [`  token: ${setup.token}`] : []),
    'devices:',
    setup.devices ?? '  - {id: dev-a, driver: test-feed}\n  - {id: dev-b, driver: test-feed, timezone: Asia/Jayapura}\n  - {id: dev-off, driver: test-feed, enabled: false}',
    setup.mqttUrl || setup.httpsUrl ? 'publish:' : 'publish: {}',
  ];
  if (setup.mqttUrl) lines.push('  mqtt:', `    url: ${setup.mqttUrl}`, `    clientId: gw-${randomUUID()}`, '    reconnectMin: 100ms', '    reconnectMax: 300ms', '    ackTimeout: 5s');
  if (setup.httpsUrl) lines.push('  https:', `    url: ${setup.httpsUrl}`, '    batchSize: 50', '    maxWait: 20ms', ...(setup.httpsToken ? [`    token: ${setup.httpsToken}`] : []));
  if (setup.bufferWriter) lines.push('buffer:', `  writer: ${setup.bufferWriter}`);
  if (setup.checkpointInterval) lines.push('log:', `  checkpointInterval: ${setup.checkpointInterval}`);
  lines.push('supervisor:', '  restartMin: 50ms', '  restartMax: 200ms', '  shutdownTimeout: 2s');
  if (setup.extraYaml) lines.push(setup.extraYaml);
  return `${lines.join('\n')}\n`;
}

export async function startTestGateway(setup: GatewaySetup): Promise<Gateway> {
  const drivers = [feedDriver, ...(setup.builtinDrivers ? BUILTIN_DRIVERS : [])];
  const config = parseConfigText(gatewayYaml(setup), 'api-test.yaml', { drivers });
  if (setup.bufferWithoutLog) writeThinnedPreLogBuffer(bufferFileOf(config));
  const gateway = new Gateway(config, { log: silentLogger(), drivers, api: setup.listen ? startApiServer : false, ...(setup.hostClock ? { hostClock: setup.hostClock } : {}) });
  await gateway.start();
  await until(() => feeds.has('dev-a'), 10_000, 'driver start');
  return gateway;
}

/** A buffer file of the schema before the punch log whose first punches retention removed: upgraded, it can keep none. */
export function writeThinnedPreLogBuffer(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const db = openDatabase(file, { migrations: MIGRATIONS_WITHOUT_LOG });
  db.prepare("INSERT INTO buffer_meta (key, value) VALUES ('head_seq', 7)").run();
  db.close();
}

export function feed(deviceId = 'dev-a'): Feed {
  const f = feeds.get(deviceId);
  if (!f) throw new Error(`no live feed for ${deviceId}`);
  return f;
}

/** A config file the `queue` CLI can read: same buffer file, sinks, no test-only drivers. */
export function writeCliConfig(gateway: Gateway, dir: string): string {
  const file = join(dir, 'cli.yaml');
  const sinks = [
    ...(gateway.config.publish.mqtt ? ['  mqtt:', `    url: ${gateway.config.publish.mqtt.url}`] : []),
    ...(gateway.config.publish.https ? ['  https:', `    url: ${gateway.config.publish.https.url}`] : []),
  ];
  writeFileSync(file, ['gateway:', '  id: gw-api', `  site: ${gateway.config.gateway.site}`, 'buffer:', `  file: ${gateway.bufferFile}`, sinks.length > 0 ? 'publish:' : 'publish: {}', ...sinks, ''].join('\n'));
  return file;
}

export function drained(gateway: Gateway): boolean {
  return gateway.buffer.stats().sinks.every((s) => s.pending === 0);
}
