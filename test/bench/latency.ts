// Benchmark helper (not a test): end-to-end latency from a punch at a simulated terminal to its
// arrival at a central MQTT subscriber, through a whole gateway (driver → commit → dispatcher →
// broker). Two paths: a ZK terminal's realtime event over TCP, and a push (ADMS) terminal set to
// Realtime, which uploads each punch as it happens. Punches come one at a time, spaced, so the
// figure is the latency of a lone punch (group commit and batching must not make it wait).
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import type { Punch } from '../../src/punch/punch.js';
import { ZkPushSimulator } from '../../src/sim/zkPush/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../../src/util/net.js';
import { until } from '../helpers/broker.js';

export interface LatencyResult {
  path: string;
  punches: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export async function benchLatency(brokerUrl: string, dir: string, count = 200, spacingMs = 20): Promise<LatencyResult[]> {
  const site = `LAT${Date.now() % 100000}`;
  const zk = new ZkTcpSimulator({ serial: 'LATZK0000001', records: 0, users: 1 });
  const { port: zkPort } = await zk.start();
  const pushPort = await freePort();
  const yaml = [
    `gateway: {id: gw-latency, site: ${site}, dataDir: ${join(dir, 'latency')}, logLevel: silent}`,
    `pushListener: {listen: "127.0.0.1:${pushPort}"}`,
    'devices:',
    `  - {id: zk, driver: zk-tcp, host: 127.0.0.1, port: ${zkPort}, realtime: true, pollInterval: 1h}`,
    '  - {id: push, driver: zk-push, serial: LATPUSH00001}',
    `publish: {mqtt: {url: "${brokerUrl}", clientId: gw-latency-${site}}}`,
  ].join('\n');
  const gateway = new Gateway(parseConfigText(`${yaml}\n`, 'latency.yaml', { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), api: false, drivers: BUILTIN_DRIVERS });
  const arrived = new Map<string, number>();
  const central = await mqtt.connectAsync(brokerUrl, { clean: true });
  central.on('message', (_topic, payload) => {
    const punch = JSON.parse(payload.toString()) as Punch;
    const key = `${punch.device.id}|${punch.pin}`;
    if (!arrived.has(key)) arrived.set(key, performance.now());
  });
  await central.subscribeAsync(`absensi/${site}/+/punch`, { qos: 1 });
  const terminal = new ZkPushSimulator({ target: `http://127.0.0.1:${pushPort}`, serial: 'LATPUSH00001', retryMs: 50 });
  try {
    await gateway.start();
    await until(() => gateway.states.get('zk')?.online === true && gateway.publishers.every((p) => p.health().connected), 20_000, 'latency gateway ready');
    await terminal.handshake();
    const results: LatencyResult[] = [];
    for (const path of ['zk', 'push'] as const) {
      const madeAt = new Map<string, number>();
      for (let i = 0; i < count; i += 1) {
        const pin = String(100_000 + i);
        madeAt.set(`${path}|${pin}`, performance.now());
        if (path === 'zk') zk.addPunch({ pin });
        else {
          terminal.addPunch({ pin });
          await terminal.upload();
        }
        await new Promise((r) => setTimeout(r, spacingMs));
      }
      await until(() => [...madeAt.keys()].every((k) => arrived.has(k)), 30_000, `${path} punches at the subscriber`);
      const latencies = [...madeAt].map(([key, at]) => (arrived.get(key) as number) - at).sort((a, b) => a - b);
      const label = path === 'zk' ? 'ZK realtime event (TCP) → MQTT subscriber' : 'push terminal upload (ADMS, Realtime) → MQTT subscriber';
      results.push({ path: label, punches: count, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies.at(-1) ?? Number.NaN });
    }
    return results;
  } finally {
    await terminal.stop();
    await central.endAsync();
    await gateway.stop();
    await zk.stop();
  }
}
