// Outage suite, backlog part (issue 8): after a long outage the buffer holds a large backlog; the
// real daemon (a child process) must drain all of it to the broker in commit order per device,
// while its resident memory stays flat — the dispatcher reads bounded batches, never the backlog.
// `npm test` drains OUTAGE_BACKLOG (default 50,000) punches; `npm run reliability` 1,000,000.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, it } from 'vitest';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import type { Punch } from '../../src/punch/punch.js';
import { mosquittoInstalled, startAedes, startMosquitto, until, type TestBroker } from '../helpers/broker.js';
import { daemonArgs } from '../helpers/daemonCommand.js';
import { fillBuffer } from '../helpers/fillBuffer.js';
import { tempDir } from '../helpers/tmp.js';

const BACKLOG = Number(process.env.OUTAGE_BACKLOG ?? 50_000);
const DEVICES = ['lobby', 'hall', 'gate', 'annex'];
const SITE = 'BACKLOG';
const HEAP_CAP_MB = 96;
const tmp = tempDir();
let broker: TestBroker | undefined;
let daemon: ChildProcess | undefined;

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGKILL');
    await new Promise((r) => daemon!.once('exit', r));
  }
  await broker?.close();
  tmp.cleanup();
});

/** Fills the buffer the way terminals would have during the outage: bursts from every device. */
async function fillBacklog(file: string): Promise<void> {
  const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'] });
  await fillBuffer(buffer, { devices: DEVICES, rows: BACKLOG, burst: 2000, gateway: { id: 'gw-backlog', site: SITE } });
  expect(buffer.stats().sinks[0]?.pending).toBe(BACKLOG);
  await buffer.close();
}

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

it(`drains a backlog of ${BACKLOG.toLocaleString('en')} punches in order per device with flat memory`, async () => {
  const dataDir = join(tmp.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  await fillBacklog(join(dataDir, 'buffer.db'));
  broker = mosquittoInstalled() ? await startMosquitto(tmp.dir, undefined, { unlimitedQueue: true }) : await startAedes();

  // the centre: counts, checks order per device, keeps one bit per seq (not a million payloads)
  const seen = new Uint8Array(BACKLOG + 1);
  const lastSeq = new Map<string, number>();
  let distinct = 0;
  let deliveries = 0;
  const violations: string[] = [];
  const central = await mqtt.connectAsync(broker.url, { clientId: 'central-backlog', clean: false });
  central.on('message', (_topic, payload) => {
    const punch = JSON.parse(payload.toString()) as Punch;
    deliveries += 1;
    if (seen[punch.seq]) return;
    seen[punch.seq] = 1;
    distinct += 1;
    if (punch.seq < (lastSeq.get(punch.device.id) ?? 0) && violations.length < 10) violations.push(`${punch.device.id}: ${punch.seq}`);
    lastSeq.set(punch.device.id, punch.seq);
  });
  await central.subscribeAsync(`absensi/${SITE}/+/punch`, { qos: 1 });

  const configFile = join(tmp.dir, 'config.yaml');
  writeFileSync(
    configFile,
    [
      `gateway: {id: gw-backlog, site: ${SITE}, dataDir: ${dataDir}, logLevel: warn}`,
      'api: {listen: "127.0.0.1:0"}',
      `publish: {mqtt: {url: "${broker.url}", clientId: gw-backlog}}`,
      '',
    ].join('\n'),
  );
  const started = Date.now();
  daemon = spawn('node', daemonArgs(['run', '--config', configFile], [`--max-old-space-size=${HEAP_CAP_MB}`]), { stdio: 'ignore' });
  const pid = daemon.pid!;
  const samples: { progress: number; rssMb: number }[] = [];
  const sampler = setInterval(() => {
    try {
      samples.push({ progress: distinct / BACKLOG, rssMb: residentMb(pid) });
    } catch {
      // the process is gone; the wait below reports it
    }
  }, 250);
  try {
    await until(() => distinct === BACKLOG || daemon!.exitCode !== null, 60_000 + BACKLOG / 2, 'the backlog to drain');
  } finally {
    clearInterval(sampler);
  }
  const seconds = (Date.now() - started) / 1000;
  expect(daemon.exitCode, 'the daemon is still running').toBeNull();
  expect(distinct).toBe(BACKLOG);
  expect(violations).toEqual([]);

  // Flat: the daemon runs with a small heap cap (a leak that grows with the backlog would kill it
  // long before a million punches), and its resident size late in the drain is not above the
  // peaks early in it beyond the garbage collector's sawtooth.
  const early = samples.filter((s) => s.progress >= 0.1 && s.progress < 0.5).map((s) => s.rssMb);
  const late = samples.filter((s) => s.progress >= 0.5).map((s) => s.rssMb);
  const earlyPeak = Math.max(...early);
  const latePeak = Math.max(...late);
  process.stdout.write(
    `backlog drain (${broker.name}): ${BACKLOG} punches in ${seconds.toFixed(1)} s (${Math.round(BACKLOG / seconds)}/s incl. start-up), ` +
      `${deliveries - distinct} duplicate deliveries, daemon RSS peak ${earlyPeak.toFixed(0)} MB in the first half, ${latePeak.toFixed(0)} MB in the second (heap cap ${HEAP_CAP_MB} MB)\n`,
  );
  expect(early.length > 0 && late.length > 0, 'RSS samples in both halves').toBe(true);
  expect(latePeak - earlyPeak, 'RSS growth from the first half of the drain to the second, MB').toBeLessThan(64);
  await central.endAsync();
}, 120_000 + BACKLOG / 2);
