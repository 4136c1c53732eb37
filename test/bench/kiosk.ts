// `npm run bench:kiosk` (not a test): kiosk punches per second through the mutual-TLS kiosk
// listener with keep-alive, against the physical limit measured in the same run — a bare Node
// HTTPS server with the same certificates and mutual TLS whose handler answers 200 at once — and
// the latency from POST to the punch's arrival at a central MQTT subscriber (in-process Aedes),
// p50 and p99. Every punch is a different PIN, so each is a commit (no duplicates).
import { createServer } from 'node:https';
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { parseConfigText } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/util/logger.js';
import { collect, startAedes } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';
import { caOf, kioskConfigYaml, kioskPort } from '../kiosk/harness.js';

const PUNCHES = Number(process.env.KIOSK_BENCH_PUNCHES ?? 5000);
const CONCURRENCY = Number(process.env.KIOSK_BENCH_CONCURRENCY ?? 16);
const PASSWORD = 'bench-pass';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function wita(ms: number): string {
  return `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
}

/** POSTs `count` bodies with `concurrency` in flight on one keep-alive agent; resolves with the seconds it took. */
async function drive(options: { port: number; agent: Agent; ca: string; count: number; concurrency: number; body: (i: number) => string; onSent?: (i: number) => void }): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const i = next;
      next += 1;
      options.onSent?.(i);
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: options.port, path: '/kiosk/v1/punch', method: 'POST', agent: options.agent, ca: options.ca, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(options.body(i));
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  const tmp = tempDir();
  const broker = await startAedes();
  const central = await collect(broker.url, 'absensi/KIOSKTEST/+/punch');
  const config = parseConfigText(kioskConfigYaml(tmp.dir, ['bench-kiosk'], [], broker.url), 'bench.yaml', { drivers: BUILTIN_DRIVERS });
  const gateway = new Gateway(config, { log: silentLogger(), api: false, drivers: BUILTIN_DRIVERS });
  await gateway.start();
  try {
    const ca = caOf(gateway);
    const pfxPath = join(tmp.dir, 'bench.p12');
    ca.enroll('bench-kiosk', { out: pfxPath, password: PASSWORD });
    const pfx = readFileSync(pfxPath);
    const caPem = ca.caPem;
    const server = ca.serverCertificate(['localhost', '127.0.0.1']);

    // the limit: the same TLS, a handler that answers 200 at once
    const bare = createServer({ key: server.key, cert: server.cert, ca: caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"0","seq":0}'));
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const barePort = (bare.address() as { port: number }).port;
    const body = (offset: number) => (i: number) => JSON.stringify({ pin: String(offset + i), time: wita(Date.now()), state: 'check-in' });
    const bareAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, pfx, passphrase: PASSWORD });
    const bareSec = await drive({ port: barePort, agent: bareAgent, ca: caPem, count: PUNCHES, concurrency: CONCURRENCY, body: body(0) });
    bareAgent.destroy();
    bare.close();

    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    central.client.on('message', (_topic, payload) => {
      const { pin } = JSON.parse(payload.toString('utf8')) as { pin: string };
      const at = sentAt.get(pin);
      if (at !== undefined) latencies.push(performance.now() - at);
    });
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, pfx, passphrase: PASSWORD });
    const offset = 1_000_000;
    const kioskSec = await drive({ port: kioskPort(gateway), agent, ca: caPem, count: PUNCHES, concurrency: CONCURRENCY, body: body(offset), onSent: (i) => sentAt.set(String(offset + i), performance.now()) });
    agent.destroy();
    await central.waitFor(() => latencies.length >= PUNCHES, 120_000);
    latencies.sort((a, b) => a - b);
    const bareRate = PUNCHES / bareSec;
    const kioskRate = PUNCHES / kioskSec;
    const result = {
      punches: PUNCHES,
      concurrency: CONCURRENCY,
      bareHttpsPerSec: Math.round(bareRate),
      kioskPerSec: Math.round(kioskRate),
      ratio: Number((kioskRate / bareRate).toFixed(3)),
      postToMqttP50Ms: Number(percentile(latencies, 50).toFixed(1)),
      postToMqttP99Ms: Number(percentile(latencies, 99).toFixed(1)),
      committed: gateway.buffer.headSeq(),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await gateway.stop();
    await central.close();
    await broker.close();
    tmp.cleanup();
  }
}

await main();
