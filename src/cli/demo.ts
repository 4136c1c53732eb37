// `absensi-gateway demo`: the whole gateway with no hardware. Three simulated ZK terminals on
// loopback (one realtime over TCP in WIB, one polled over UDP in WITA, one pushing over HTTP in
// WIT), an embedded MQTT broker, the real gateway on config/demo.yaml with its local API
// (startApiServer, as `run` composes it), an MQTT subscriber printing punches as they arrive, and
// the reference centre (`central`) on PGlite in `{dataDir}/central`, subscribed to the embedded
// broker (MQTT 3.1.1 without shared subscriptions: Aedes has neither MQTT 5 nor $share), with its
// fleet page. Staff punch at the simulated terminals every few seconds, each person going round a
// working day (check-in, break-out, break-in, check-out). At the end the demo waits (a few seconds
// at most) for the centre to have stored what the subscriber printed, then stops it.
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import mqtt from 'mqtt';
import { startApiServer } from '../api/server.js';
import { Central } from '../central/central.js';
import { centralConfigSchema } from '../central/config.js';
import { loadConfigFile } from '../config/load.js';
import { parseDurationMs } from '../config/primitives.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { Gateway } from '../gateway.js';
import type { Punch } from '../punch/punch.js';
import { startEmbeddedBroker } from '../sim/embeddedBroker.js';
import { ZkPushSimulator } from '../sim/zkPush/index.js';
import { ZkTcpSimulator } from '../sim/zkTcp/index.js';
import { createLogger } from '../util/logger.js';
import { PACKAGE_ROOT } from '../util/packageRoot.js';
import { freePort, portIsFree } from '../util/net.js';

interface DemoOptions {
  duration?: string;
  interval: string;
  dataDir?: string;
  apiPort: string;
  fleetPort?: string;
  json?: boolean;
}

/** How long the demo waits at its end for the centre to store what the subscriber printed. */
const CENTRE_CATCH_UP_MS = 10_000;

/** The demo's centre: PGlite in `{dataDir}/central`, the embedded broker, the fleet page on `fleetPort`. */
async function startDemoCentre(options: { dataDir: string; brokerUrl: string; fleetPort: number }): Promise<{ central: Central; logFile: string }> {
  const logFile = join(options.dataDir, 'central.log');
  const config = centralConfigSchema.parse({
    central: { id: 'demo-pusat', dataDir: join(options.dataDir, 'central'), logLevel: 'info' },
    mqtt: { url: options.brokerUrl, topicPrefix: 'absensi', protocolVersion: 4, shared: false },
    http: { listen: `127.0.0.1:${options.fleetPort}` },
    verify: { missingAfter: 60_000, sweepInterval: 5_000 },
  });
  const central = new Central({ config, log: createLogger({ level: 'info', destination: createWriteStream(logFile, { flags: 'a' }) }) });
  await central.start();
  return { central, logFile };
}

/** Resolves once `done` holds, or after `limitMs` (the demo then says what the centre has). */
async function settle(done: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** The demo's terminals, as `demo --help` names them. */
export const DEMO_TERMINALS = ['lobby-1 (ZK, TCP, WIB)', 'hall-2 (ZK, UDP, WITA)', 'gate-3 (ZK push, WIT)'] as const;

const VERIFY_CODES = [1, 1, 1, 15, 2]; // fingerprint mostly, some face and card

function parseDurationOption(name: string, text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new Error(`--${name}: expected a duration like 30s or 5m, got "${text}"`);
  return ms;
}

function formatPunchLine(p: Punch): string {
  return [p.time.padEnd(26), p.device.id.padEnd(8), p.pin.padEnd(6), p.state.padEnd(12), p.verify.padEnd(11), `${p.id.slice(0, 12)}…`].join(' ');
}

const PUSH_VERIFY_CODES = [1, 1, 15, 4]; // the push protocol's codes: fingerprint, face, card

/**
 * The ZK state of a person's next punch: a working day's round, check-in (0), break-out (2),
 * break-in (3), check-out (1), then in again; `previous` is their last one (none yet: check-in).
 */
export function nextPunchState(previous: number | undefined): number {
  const round = [0, 2, 3, 1];
  return previous === undefined ? 0 : (round[(round.indexOf(previous) + 1) % round.length] ?? 0);
}

/** A person punches at a random terminal now, in the state that follows their last punch (`lastState`, by PIN). */
export function punchSomewhere(terminals: ZkTcpSimulator[], gate: ZkPushSimulator, lastState: Map<string, number>, random: () => number = Math.random): void {
  const pick = Math.floor(random() * (terminals.length + 1));
  const terminal = terminals[pick];
  const users = (terminal ?? terminals[0])?.log.users ?? [];
  const user = users[Math.floor(random() * users.length)];
  if (!user) return;
  const state = nextPunchState(lastState.get(user.pin));
  lastState.set(user.pin, state);
  if (!terminal) {
    gate.addPunch({ pin: user.pin, state, verify: PUSH_VERIFY_CODES[Math.floor(random() * PUSH_VERIFY_CODES.length)] as number });
    return;
  }
  terminal.addPunch({ pin: user.pin, state, verify: VERIFY_CODES[Math.floor(random() * VERIFY_CODES.length)] as number });
}

/** The new employee of the demo's userSync story. */
export const DEMO_NEWCOMER = { pin: '2001', name: 'Pegawai Baru' } as const;

/**
 * "Enrol once, punch at every terminal": a new employee is enrolled at hall-2's keypad with a
 * finger; the daemon's userSync group copies them to lobby-1, where they then punch.
 */
function enrolAtHallPunchAtLobby(hall: ZkTcpSimulator, lobby: ZkTcpSimulator, say: (line: string) => void): { stop(): void } {
  hall.enrolment.enrolAtKeypad({ pin: DEMO_NEWCOMER.pin, name: DEMO_NEWCOMER.name, privilege: 0, card: '', password: '', group: 1 }, [Buffer.from('demo fingerprint template of Pegawai Baru')]);
  say(`  userSync  : ${DEMO_NEWCOMER.name} (PIN ${DEMO_NEWCOMER.pin}) enrolled at hall-2; group gedung-demo copies them to lobby-1`);
  const watch = setInterval(() => {
    if (!lobby.enrolment.byPin(DEMO_NEWCOMER.pin)) return;
    clearInterval(watch);
    say(`  userSync  : ${DEMO_NEWCOMER.name} is on lobby-1 now, with their finger; they punch there`);
    lobby.addPunch({ pin: DEMO_NEWCOMER.pin, state: 0, verify: 1 });
  }, 200);
  return { stop: () => clearInterval(watch) };
}

export async function runDemo(options: DemoOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const intervalMs = parseDurationOption('interval', options.interval);
  const durationMs = options.duration ? parseDurationOption('duration', options.duration) : undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'absensi-demo-'));
  const say = (line: string): void => {
    if (!options.json) out.write(`${line}\n`);
  };

  const broker = await startEmbeddedBroker();
  const lobby = new ZkTcpSimulator({ serial: 'DEMO0000000001', model: 'SIM-F22', records: 12, users: 15, timeZone: 'Asia/Jakarta', seed: 7 });
  const hall = new ZkTcpSimulator({ serial: 'DEMO0000000002', model: 'SIM-SpeedFace', records: 8, users: 15, timeZone: 'Asia/Makassar', seed: 11, firstRecordAt: '2026-01-06T07:10:00' });
  const terminals = [lobby, hall];
  await Promise.all(terminals.map((t) => t.start()));
  const preferredApi = Number(options.apiPort);
  const apiPort = (await portIsFree(preferredApi)) ? preferredApi : await freePort();
  const pushPort = await freePort();
  const preferredFleet = Number(options.fleetPort ?? '8090');
  const fleetPort = (await portIsFree(preferredFleet)) ? preferredFleet : await freePort();

  const config = loadConfigFile(join(PACKAGE_ROOT, 'config', 'demo.yaml'), {
    drivers: BUILTIN_DRIVERS,
    env: {
      ...process.env,
      DEMO_DATA_DIR: dataDir,
      DEMO_LOG_LEVEL: 'info',
      DEMO_API_LISTEN: `127.0.0.1:${apiPort}`,
      DEMO_ZK_PORT_1: String(lobby.address.port),
      DEMO_ZK_PORT_2: String(hall.address.port),
      DEMO_MQTT_URL: broker.url,
      DEMO_PUSH_LISTEN: `127.0.0.1:${pushPort}`,
    },
  });
  const logFile = join(dataDir, 'gateway.log');
  const gateway = new Gateway(config, { drivers: BUILTIN_DRIVERS, log: createLogger({ level: 'info', destination: createWriteStream(logFile, { flags: 'a' }) }), api: startApiServer });

  const subscriber = await mqtt.connectAsync(broker.url, { clientId: 'demo-central', clean: true });
  let received = 0;
  subscriber.on('message', (_topic, payload) => {
    received += 1;
    const punch = JSON.parse(payload.toString('utf8')) as Punch;
    out.write(options.json ? `${payload.toString('utf8')}\n` : `${formatPunchLine(punch)}\n`);
  });
  await subscriber.subscribeAsync('absensi/DEMO/+/punch', { qos: 1 });
  const centre = await startDemoCentre({ dataDir, brokerUrl: broker.url, fleetPort });
  await gateway.start();
  const gate = new ZkPushSimulator({ target: `http://127.0.0.1:${pushPort}`, serial: 'DEMO0000000003', timeZone: 'Asia/Jayapura', pollMs: 1000, retryMs: 1000 });
  gate.addPunch({ pin: '1001', state: 0, verify: 15 }); // someone was already at the gate
  gate.start();

  say('absensi-gateway demo: no hardware needed');
  say(`  terminals : lobby-1 = simulated ZK on tcp://127.0.0.1:${lobby.address.port} (realtime, Asia/Jakarta WIB)`);
  say(`              hall-2  = simulated ZK on udp://127.0.0.1:${hall.address.port} (polled every 10s, Asia/Makassar WITA)`);
  say(`              gate-3  = simulated ZK push terminal calling http://127.0.0.1:${pushPort}/iclock (Asia/Jayapura WIT)`);
  say(`  broker    : ${broker.url} (embedded); punches on absensi/DEMO/+/punch`);
  say(`  status    : ${gateway.api?.url ?? `http://127.0.0.1:${apiPort}`}/`);
  say(`  centre    : ${centre.central.fleetUrl}/ (fleet page; central on PGlite in ${join(dataDir, 'central')}, log ${centre.logFile})`);
  say(`  buffer    : ${gateway.bufferFile}`);
  say(`  logs      : ${logFile}`);
  say(durationMs ? `Stopping by itself after ${options.duration}.` : 'Press Ctrl-C to stop.');
  say('');
  say(`${'time (device zone)'.padEnd(26)} ${'device'.padEnd(8)} ${'pin'.padEnd(6)} ${'state'.padEnd(12)} ${'verify'.padEnd(11)} id`);

  const enrolment = enrolAtHallPunchAtLobby(hall, lobby, say);
  const lastState = new Map<string, number>([['1001', 0]]);
  const ticker = setInterval(() => punchSomewhere(terminals, gate, lastState), intervalMs);
  await new Promise<void>((resolve) => {
    const timer = durationMs ? setTimeout(resolve, durationMs) : undefined;
    const onSignal = (): void => {
      clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  clearInterval(ticker);
  enrolment.stop();
  await gate.stop();
  await gateway.stop();
  await subscriber.endAsync();
  const counts = (): number => (centre.central.receiver?.counts.punchesStored ?? 0) + (centre.central.receiver?.counts.punchesDuplicate ?? 0);
  await settle(() => counts() >= received, CENTRE_CATCH_UP_MS);
  const stored = centre.central.receiver?.counts.punchesStored ?? 0;
  await centre.central.stop();
  await Promise.all(terminals.map((t) => t.stop()));
  await broker.close();
  say('');
  say(`${received} punch message(s) received by the central subscriber, ${stored} stored by the centre. The buffer stays in ${dataDir}, the centre's database in ${join(dataDir, 'central')}.`);
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(`run ${DEMO_TERMINALS.length} simulated terminals (${DEMO_TERMINALS.join(', ')}), an embedded MQTT broker, the gateway and the centre with its fleet page; print punches as they arrive`)
    .option('--duration <duration>', 'stop by itself after this long (e.g. 30s); default: until Ctrl-C')
    .option('--interval <duration>', 'how often someone punches at a simulated terminal', '3s')
    .option('--data-dir <dir>', 'where the demo buffer goes (default: a new temp directory)')
    .option('--api-port <port>', 'local API / status page port (a free one is used if taken)', '8080')
    .option('--fleet-port <port>', 'the centre\'s fleet page port (a free one is used if taken)', '8090')
    .option('--json', 'print each punch as its punch/v1 JSON line')
    .action(async (options: DemoOptions) => {
      await runDemo(options);
    });
}
