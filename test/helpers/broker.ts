// Real MQTT brokers for tests: an in-process Aedes broker (always available) and the Mosquitto on
// 127.0.0.1:1883 when one listens there, or a private Mosquitto process we start and stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../../src/util/net.js';

export interface TestBroker {
  name: string;
  url: string;
  port: number;
  /** stop accepting and drop every client connection (the broker "goes away") */
  stop(): Promise<void>;
  /** come back on the same port */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface AedesBroker extends TestBroker {
  /** every PUBLISH the broker took from a client whose id starts with `clientIdPrefix`, in the order it took them */
  ingress(clientIdPrefix: string): { topic: string; payload: string }[];
}

/**
 * In-process Aedes on loopback. `stop` closes the listener and drops every connection but keeps
 * the broker's memory (sessions, queued QoS 1 messages), like a broker with persistence restarting.
 */
export async function startAedes(port = 0): Promise<AedesBroker> {
  const aedes = await Aedes.createBroker();
  const taken: { clientId: string; topic: string; payload: string }[] = [];
  aedes.on('publish', (packet, client) => {
    if (client) taken.push({ clientId: client.id, topic: packet.topic, payload: packet.payload.toString('utf8') });
  });
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const listen = async (onPort: number): Promise<number> => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve) => server!.listen(onPort, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  const actualPort = await listen(port);
  const stop = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };
  return {
    name: 'aedes',
    ingress: (clientIdPrefix) => taken.filter((m) => m.clientId.startsWith(clientIdPrefix)).map(({ topic, payload }) => ({ topic, payload })),
    url: `mqtt://127.0.0.1:${actualPort}`,
    port: actualPort,
    stop,
    restart: async () => {
      await listen(actualPort);
    },
    close: async () => {
      await stop();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

export function tcpReachable(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export function mosquittoInstalled(): boolean {
  return existsSync(MOSQUITTO_BIN);
}

export interface MosquittoTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  requireClientCert: boolean;
}

/** A private Mosquitto process on a free loopback port, which a test may stop and restart. */
export interface MosquittoOptions {
  persistent?: boolean;
  unlimitedQueue?: boolean;
  /**
   * Mosquitto 2's `max_packet_size`: announced as Maximum Packet Size in the CONNACK to MQTT 5
   * clients (and a bigger PUBLISH gets DISCONNECT 0x95); a 3.1.1 client sending a bigger packet
   * has its connection reset without a word (checked on mosquitto 2.0.11).
   */
  maxPacketBytes?: number;
  /**
   * The deprecated `message_size_limit`: a bigger PUBLISH from a 3.1.1 client is PUBACKed and
   * dropped; a v5 client gets a PUBACK with reason 0x95, a code mqtt-packet refuses to parse.
   */
  messageSizeLimitBytes?: number;
}

export async function startMosquitto(dir: string, tls?: MosquittoTls, options: MosquittoOptions = {}): Promise<TestBroker> {
  const port = await freePort();
  const conf = join(dir, `mosquitto-${port}.conf`);
  const persistence = options.persistent ? ['persistence true', `persistence_location ${dir}/`, `persistence_file mosquitto-${port}.db`] : ['persistence false'];
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...persistence, 'user root'];
  // Mosquitto drops QoS 1 messages for a subscriber more than 1000 behind (max_queued_messages); a
  // test subscriber that parses a million punches in the test process can fall that far behind
  if (options.unlimitedQueue) lines.push('max_queued_messages 0');
  if (options.maxPacketBytes !== undefined) lines.push(`max_packet_size ${options.maxPacketBytes}`);
  if (options.messageSizeLimitBytes !== undefined) lines.push(`message_size_limit ${options.messageSizeLimitBytes}`);
  if (tls) {
    lines.push(`cafile ${tls.caFile}`, `certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`, `require_certificate ${tls.requireClientCert}`);
  }
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await tcpReachable(port)); i += 1) await new Promise((r) => setTimeout(r, 50));
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      // a persistent broker saves its sessions and queued messages on SIGTERM
      proc.kill(options.persistent ? 'SIGTERM' : 'SIGKILL');
    });
  };
  await launch();
  return { name: options.persistent ? 'mosquitto (persistent)' : 'mosquitto', url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`, port, stop, restart: launch, close: stop };
}

/** The shared Mosquitto on 127.0.0.1:1883 (not stoppable by tests), if it is there. */
export async function systemMosquitto(): Promise<TestBroker | undefined> {
  if (!(await tcpReachable(1883))) return undefined;
  const unsupported = async (): Promise<void> => {
    throw new Error('the system broker is not stopped by tests');
  };
  return { name: 'mosquitto@1883', url: 'mqtt://127.0.0.1:1883', port: 1883, stop: unsupported, restart: unsupported, close: async () => undefined };
}

export interface Collector {
  client: MqttClient;
  messages: { topic: string; payload: string; bytes: Buffer; properties: Record<string, unknown> | undefined; retain: boolean }[];
  waitFor(predicate: (count: number) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Subscribes (MQTT 5 when asked) and records every message. */
export async function collect(url: string, topic: string, protocolVersion: 4 | 5 = 4, persistentClientId?: string): Promise<Collector> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion,
    reconnectPeriod: 200,
    clean: persistentClientId === undefined,
    ...(persistentClientId ? { clientId: persistentClientId } : {}),
  });
  const messages: Collector['messages'] = [];
  client.on('message', (t, payload, packet) => {
    messages.push({ topic: t, payload: payload.toString('utf8'), bytes: payload, properties: packet.properties as Record<string, unknown> | undefined, retain: packet.retain });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    client,
    messages,
    waitFor: async (predicate, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages.length)) {
        if (Date.now() > deadline) throw new Error(`timed out with ${messages.length} messages on ${topic}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: async () => {
      await client.endAsync(true);
    },
  };
}

export async function until(predicate: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
