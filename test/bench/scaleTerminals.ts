// Part 1–2 of `npm run bench:scale`: N simulated terminals (farm process) on one gateway (daemon
// process), staff punching at a steady rate; what the gateway costs and whether every punch arrived.
// Invariants:
// - Every figure is measured in this run: RSS and CPU of the daemon's pid, event-loop lag from its
//   own /metrics, punches counted by distinct punch/v1 id at the broker against what the farm made.
// - The measurement window is the punching window; "steady" RSS is the median of its second half,
//   peak is VmHWM at its end (start-up and the connect storm included).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../../src/util/net.js';
import { gatewayYaml, terminalMix, type FarmTerminal } from './scaleConfig.js';
import { CpuMeter, FETCH_TIMEOUT_MS, RssSampler, rssMb, scrape, spawnGateway, stopChild, waitFor } from './scaleProcess.js';

export interface TerminalRunOptions {
  count: number;
  seconds: number;
  everyMs: number;
  pollSeconds: number;
  mqttUrl: string;
  dir: string;
}

export interface TerminalRunResult {
  terminals: number;
  seconds: number;
  made: number;
  delivered: number;
  lost: number;
  punchesPerSec: number;
  rssIdleMb: number;
  rssSteadyMb: number;
  rssPeakMb: number;
  cpuPercent: number;
  lagP99Ms: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  onlineAtStart: number;
  deliverWaitSec: number;
}

function message<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`farm: no ${type} in ${timeoutMs} ms`)), timeoutMs);
    const on = (m: { type: string; error?: string }): void => {
      if (m.type === 'error') reject(new Error(`farm: ${m.error}`));
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

async function onlineCount(apiPort: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${apiPort}/api/devices`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const body = (await res.json()) as { devices: { online: boolean }[] };
    return body.devices.filter((d) => d.online).length;
  } catch {
    return 0;
  }
}

/** The centre: distinct punch ids per device. */
async function subscribe(url: string, site: string): Promise<{ perDevice: Map<string, Set<string>>; close(): Promise<void> }> {
  const perDevice = new Map<string, Set<string>>();
  const client = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 500 });
  client.on('message', (_topic, payload) => {
    const punch = JSON.parse(payload.toString()) as { id: string; device: { id: string } };
    let ids = perDevice.get(punch.device.id);
    if (!ids) perDevice.set(punch.device.id, (ids = new Set()));
    ids.add(punch.id);
  });
  await client.subscribeAsync(`absensi/${site}/+/punch`, { qos: 1 });
  return { perDevice, close: () => client.endAsync() };
}

function shortfall(made: Record<string, number>, got: Map<string, Set<string>>): number {
  return Object.entries(made).reduce((sum, [id, n]) => sum + Math.max(0, n - (got.get(id)?.size ?? 0)), 0);
}

export async function runTerminals(o: TerminalRunOptions): Promise<TerminalRunResult> {
  const site = `SCALE${o.count}P${process.pid}`;
  const dataDir = join(o.dir, `gw-${o.count}`);
  mkdirSync(dataDir, { recursive: true });
  const [apiPort, pushPort] = [await freePort(), await freePort()];
  const centre = await subscribe(o.mqttUrl, site);
  const farm = spawn('node', ['--import', 'tsx', 'test/bench/scaleFarm.ts'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let gateway: ChildProcess | undefined;
  let sampler: RssSampler | undefined;
  try {
    const ready = message<{ terminals: FarmTerminal[] }>(farm, 'ready', 120_000);
    farm.send({ type: 'start', plan: { terminals: terminalMix(o.count), pushTarget: `http://127.0.0.1:${pushPort}` } });
    const { terminals } = await ready;
    const configFile = join(o.dir, `gateway-${o.count}.yaml`);
    writeFileSync(configFile, gatewayYaml({ site, dataDir, apiPort, pushPort, mqttUrl: o.mqttUrl, pollSeconds: o.pollSeconds, terminals }));
    gateway = spawnGateway(configFile);
    const pid = gateway.pid as number;
    sampler = new RssSampler(pid);
    const gw = gateway;
    // every terminal connected (ZK) or handshaken (ADMS); a few missing is reported, not hidden
    await waitFor(async () => gw.exitCode === null && (await onlineCount(apiPort)) >= o.count, 90_000, `${o.count} devices online`).catch(() => undefined);
    if (gw.exitCode !== null) throw new Error(`the gateway exited with ${gw.exitCode}`);
    const onlineAtStart = await onlineCount(apiPort);
    await new Promise((r) => setTimeout(r, 2000)); // settle after the connect storm
    const rssIdleMb = rssMb(pid).rss;

    await scrape(apiPort); // resets the lag window
    const cpu = new CpuMeter(pid);
    const windowStart = Date.now();
    const made = message<{ perDevice: Record<string, number> }>(farm, 'made', (o.seconds + 60) * 1000);
    farm.send({ type: 'punch', everyMs: o.everyMs, seconds: o.seconds });
    const { perDevice } = await made;
    const windowEnd = Date.now();
    const cpuPercent = cpu.percent();
    const metrics = await scrape(apiPort);
    const rssPeakMb = rssMb(pid).hwm; // before a heap snapshot (below) inflates it
    if (process.env.SCALE_NODE_FLAGS?.includes('--heapsnapshot-signal=SIGUSR2')) {
      gateway.kill('SIGUSR2'); // heap snapshot in the cwd, for scratch/heapsum.mjs
      await new Promise((r) => setTimeout(r, 15_000));
    }
    const rssSteadyMb = sampler.median(windowStart + (windowEnd - windowStart) / 2, windowEnd);

    const total = Object.values(perDevice).reduce((a, b) => a + b, 0);
    await waitFor(() => shortfall(perDevice, centre.perDevice) === 0, (o.pollSeconds * 2 + 30) * 1000, 'every punch at the broker').catch(() => undefined);
    const deliverWaitSec = (Date.now() - windowEnd) / 1000;
    const lost = shortfall(perDevice, centre.perDevice);
    sampler.stop();
    return {
      terminals: o.count,
      seconds: o.seconds,
      made: total,
      delivered: total - lost,
      lost,
      punchesPerSec: total / ((windowEnd - windowStart) / 1000),
      rssIdleMb,
      rssSteadyMb,
      rssPeakMb,
      cpuPercent,
      lagP99Ms: (metrics.get('gateway_event_loop_lag_p99_seconds') ?? Number.NaN) * 1000,
      heapUsedMb: (metrics.get('gateway_memory_bytes{kind="heapUsed"}') ?? Number.NaN) / 2 ** 20,
      heapTotalMb: (metrics.get('gateway_memory_bytes{kind="heapTotal"}') ?? Number.NaN) / 2 ** 20,
      externalMb: (metrics.get('gateway_memory_bytes{kind="external"}') ?? Number.NaN) / 2 ** 20,
      onlineAtStart,
      deliverWaitSec,
    };
  } finally {
    sampler?.stop();
    if (gateway) await stopChild(gateway);
    farm.send({ type: 'stop' });
    await stopChild(farm, 'SIGTERM', 10_000).catch(() => undefined);
    await centre.close();
  }
}
