// The gateway side of a `bench:stream` row: the real daemon as a child process with one device,
// and where it delivers (an MQTT subscriber of the bench, or a minimal HTTPS receiver), counting
// punches as they arrive.
// Invariants:
// - A run ends when the delivery counted `records` punches (or the daemon exits: a failed run);
//   the daemon is stopped (SIGTERM) and the delivery closed either way.
// - Peak RSS is the daemon's VmHWM from /proc, sampled every 200 ms and read once more at the end.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { TestBroker } from '../helpers/broker.js';
import { tlsFixture } from '../helpers/tls.js';
import { rssMb, spawnGateway } from './scaleProcess.js';

/** Where the gateway under measurement delivers: the bench counts punches as they arrive there. */
export interface Delivery {
  /** `publish:` of the gateway config */
  publishYaml: string;
  /** resolves once `records` punches arrived */
  all: Promise<void>;
  /** punches arrived so far */
  got(): number;
  /** performance.now() of the last arrival */
  lastAt(): number;
  close(): Promise<void>;
}

export interface DeliveryCount {
  records: number;
  /** called before each arrival is counted (e.g. to note how many had arrived when the terminal was done) */
  before?: (got: number) => void;
}

class ArrivalCounter {
  got = 0;
  lastAt = 0;
  readonly all: Promise<void>;
  private done: () => void = () => undefined;

  constructor(private readonly count: DeliveryCount) {
    this.all = new Promise<void>((resolve) => (this.done = resolve));
  }

  arrived(punches: number): void {
    this.count.before?.(this.got);
    this.lastAt = performance.now();
    this.got += punches;
    if (this.got >= this.count.records) this.done();
  }
}

/** A subscriber of this bench on the broker, QoS 1. */
export async function mqttDelivery(broker: TestBroker, site: string, count: DeliveryCount): Promise<Delivery> {
  const counter = new ArrivalCounter(count);
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clean: true });
  sub.on('message', (topic) => {
    if (topic.endsWith('/punch')) counter.arrived(1);
  });
  await sub.subscribeAsync(`absensi/${site}/+/punch`, { qos: 1 });
  return {
    publishYaml: `publish: {mqtt: {url: "${broker.url}", clientId: gw-${site}}}`,
    all: counter.all,
    got: () => counter.got,
    lastAt: () => counter.lastAt,
    close: () => sub.endAsync(),
  };
}

const PUNCH_MARK = '"schema":"punch/v1"';

/**
 * A minimal punch-batch/v1 receiver: HTTPS on loopback with the test CA (the gateway trusts it
 * through `caFile`), each POST read whole, its punches counted by their schema member (no JSON
 * parse, as the MQTT subscriber parses no payload), answered 200 at once. The sink's defaults
 * otherwise (batch 500, maxWait 1 s).
 */
export async function httpsDelivery(count: DeliveryCount): Promise<Delivery> {
  const counter = new ArrivalCounter(count);
  const pki = tlsFixture();
  const server = https.createServer({ key: pki.server.key, cert: pki.server.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let punches = 0;
      for (let at = body.indexOf(PUNCH_MARK); at >= 0; at = body.indexOf(PUNCH_MARK, at + PUNCH_MARK.length)) punches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      if (punches > 0) counter.arrived(punches);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    publishYaml: `publish: {https: {url: "https://127.0.0.1:${port}/api/punches", caFile: ${pki.ca.certPath}}}`,
    all: counter.all,
    got: () => counter.got,
    lastAt: () => counter.lastAt,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

export type SinkKind = 'mqtt' | 'https';

export function deliveryFor(sink: SinkKind, broker: TestBroker, site: string, count: DeliveryCount): Promise<Delivery> {
  return sink === 'mqtt' ? mqttDelivery(broker, site, count) : httpsDelivery(count);
}

/**
 * Runs the daemon with `deviceYaml` until `delivery` counted every punch; the peak RSS is the
 * child's VmHWM, sampled and read once more at the end.
 */
export async function runGateway(site: string, deviceYaml: string, delivery: Delivery, dir: string): Promise<{ lastAt: number; peakRssMb: number }> {
  const config = join(dir, `${site}.yaml`);
  writeFileSync(config, [`gateway: {id: gw-stream, site: ${site}, dataDir: ${join(dir, site)}, logLevel: warn}`, 'api: {listen: "127.0.0.1:0"}', delivery.publishYaml, 'devices:', `  - ${deviceYaml}`, ''].join('\n'));
  const child = spawnGateway(config);
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(child.pid!).hwm);
    } catch {
      // not yet, or gone
    }
  }, 200);
  try {
    await Promise.race([delivery.all, new Promise((_, reject) => child.once('exit', (c) => reject(new Error(`gateway exited ${c}`))))]);
    peak = Math.max(peak, rssMb(child.pid!).hwm);
    return { lastAt: delivery.lastAt(), peakRssMb: Math.round(peak) };
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    await delivery.close();
  }
}
