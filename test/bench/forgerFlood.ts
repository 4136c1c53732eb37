// `npm run bench:flood` (issue #15 "Measure and report"): the real daemon (Gateway, SQLite buffer,
// the local Mosquitto on 127.0.0.1:1883 when it runs, else an in-process Aedes) with two zk-push
// terminals — one with a comm key inside an allowFrom subnet the forger shares, one with allowFrom
// only — while a forger on 127.0.0.2 floods for FLOOD_SECONDS (default 10): forged uploads,
// wrong-key handshakes, forged polls and command results, unknown serials, slow sockets. The real
// terminals on 127.0.0.1 keep uploading. Prints the refusals by reason (from /metrics), the real
// punches sent / committed / delivered (lost must be 0), forged punches committed (must be 0),
// warning lines the daemon wrote, and the daemon's RSS (min/max, sampled every 100 ms).
// Not a test: it asserts nothing about time. Runs dist (built first) like bench:scale;
// SCALE_TSX=1 runs src through tsx, SCALE_NO_BUILD=1 uses dist as it is.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Punch } from '../../src/punch/punch.js';
import { freePort } from '../../src/util/net.js';
import { collect, startAedes, systemMosquitto, type TestBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';
import { FLOOD_TERMINALS, runFlood } from './flood.js';
import { gatewayCommand, RssSampler, scrape, stopChild, waitFor } from './scaleProcess.js';

const SECONDS = Number(process.env.FLOOD_SECONDS ?? 10);
const SITE = 'FLOOD';

function configYaml(dir: string, pushPort: number, apiPort: number, mqttUrl: string): string {
  return [
    `gateway: {id: gw-flood, site: ${SITE}, dataDir: ${join(dir, 'data')}, logLevel: info}`,
    `api: {listen: "127.0.0.1:${apiPort}"}`,
    `pushListener: {listen: "127.0.0.1:${pushPort}", requestTimeout: 5s}`,
    'devices:',
    ...FLOOD_TERMINALS.map((t) => `  - {id: ${t.id}, driver: zk-push, serial: ${t.serial}, ${t.entry}}`),
    `publish: {mqtt: {url: "${mqttUrl}", clientId: gw-flood-${Date.now()}}}`,
    'supervisor: {shutdownTimeout: 5s}',
    '',
  ].join('\n');
}

const sumOf = (metrics: Map<string, number>, prefix: string): number => [...metrics].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);

async function main(): Promise<void> {
  const tmp = tempDir('absensi-flood-');
  let broker: TestBroker | undefined;
  try {
    if (process.env.SCALE_TSX !== '1' && process.env.SCALE_NO_BUILD !== '1') {
      process.stdout.write('building dist (tsc -p tsconfig.build.json)…\n');
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    }
    broker = (await systemMosquitto()) ?? (await startAedes());
    const [pushPort, apiPort] = [await freePort(), await freePort()];
    const configFile = join(tmp.dir, 'flood.yaml');
    writeFileSync(configFile, configYaml(tmp.dir, pushPort, apiPort, broker.url));
    const sub = await collect(broker.url, `absensi/${SITE}/+/punch`);
    const { cmd, args, what } = gatewayCommand(configFile);
    process.stdout.write(`bench:flood ${new Date().toISOString()}: ${SECONDS} s; gateway: ${what}; broker: ${broker.name}\n`);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const logLines = { total: 0, warn: 0 };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logLines.total += 1;
      if (line.includes('"level":40')) logLines.warn += 1;
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`).catch(() => undefined))?.ok === true, 60_000, 'the daemon to be ready');
    const before = { ...logLines };
    const rss = new RssSampler(child.pid!, 100);
    const outcome = await runFlood({ port: pushPort, durationMs: SECONDS * 1000, terminals: FLOOD_TERMINALS });
    rss.stop();
    const during = { total: logLines.total - before.total, warn: logLines.warn - before.warn };
    const sent = FLOOD_TERMINALS.reduce((n, t) => n + (outcome.sent[t.serial]?.length ?? 0), 0);
    const delivered = (): Punch[] => sub.messages.map((m) => JSON.parse(m.payload) as Punch);
    await waitFor(() => new Set(delivered().map((p) => p.id)).size >= sent, 60_000, 'every real punch at the subscriber').catch((e: Error) => process.stdout.write(`${e.message}\n`));
    const metrics = await scrape(apiPort);
    await stopChild(child);
    await sub.close();
    report({ metrics, outcome, sent, delivered: delivered(), during, rssMb: rss.samples.map((s) => s.rssMb) });
  } finally {
    await broker?.close();
    tmp.cleanup();
  }
}

function report(r: { metrics: Map<string, number>; outcome: Awaited<ReturnType<typeof runFlood>>; sent: number; delivered: Punch[]; during: { total: number; warn: number }; rssMb: number[] }): void {
  const out = (line = ''): boolean => process.stdout.write(`${line}\n`);
  out('\nrefused, from /metrics:');
  for (const [key, value] of [...r.metrics].filter(([k]) => k.startsWith('gateway_push_refused_total{')).sort()) out(`  ${key.slice('gateway_push_refused_total'.length)}  ${value}`);
  out(`  gateway_rejected_total{device="(unknown)",reason="unknown-serial"}  ${r.metrics.get('gateway_rejected_total{device="(unknown)",reason="unknown-serial"}') ?? 0}`);
  out(`  refused in all: ${sumOf(r.metrics, 'gateway_push_refused_total{')} push refusals + ${sumOf(r.metrics, 'gateway_rejected_total{device="(unknown)"')} unknown-serial`);
  out('\nforger requests by kind and answer (what the forger saw):');
  for (const [key, value] of Object.entries(r.outcome.forger).sort()) out(`  ${key}  ${value}`);
  out(`  slow sockets opened: ${r.outcome.slowOpened}`);
  out('\nreal punches:');
  for (const t of FLOOD_TERMINALS) {
    const sent = r.outcome.sent[t.serial] ?? [];
    const committed = r.metrics.get(`gateway_punches_committed_total{device="${t.id}"}`) ?? 0;
    const delivered = new Set(r.delivered.filter((p) => p.device.id === t.id).map((p) => p.pin));
    const lost = sent.filter((pin) => !delivered.has(pin)).length;
    out(`  ${t.id}: sent (answered OK) ${sent.length}, committed ${committed}, delivered ${delivered.size}, lost ${lost}`);
  }
  out(`  uploads sent again after a non-OK answer: ${r.outcome.realRetries}`);
  out(`  forged punches delivered: ${r.delivered.filter((p) => p.pin.startsWith('9')).length}`);
  out(`\ndaemon log lines during the flood: ${r.during.total} (warnings ${r.during.warn})`);
  const rss = r.rssMb.length > 0 ? `${Math.min(...r.rssMb).toFixed(0)} / ${Math.max(...r.rssMb).toFixed(0)} MB (${r.rssMb.length} samples)` : 'no samples';
  out(`daemon RSS min / max during the flood: ${rss}`);
}

await main();
