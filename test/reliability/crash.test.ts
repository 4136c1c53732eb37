// Crash harness (issue 8): the real daemon as a child process reads a simulated ZK terminal
// (realtime over TCP, catch-up download on every connect) and is called by a simulated push
// terminal (ADMS, which sends a batch again until it is answered OK), while staff keep punching at
// both; it is SIGKILLed at random moments (start-up, download, realtime, push request, publish),
// restarted, and at the end every punch both terminals recorded must have reached the central MQTT
// subscriber and the HTTPS receiver: 0 lost, duplicates only as the same bytes. And the punch log
// held through every kill: the buffer's log covers every committed punch, no checkpoint published
// (retained MQTT, HTTPS batches) is ahead of it or off it, the epoch never changed (a kill is not a
// restored buffer), and what the centre received verifies with the verifier module alone.
// `npm test` runs a few cycles; `npm run reliability` sets CRASH_CYCLES=50.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ZK_VERIFY_MAP as PUSH_VERIFY_MAP, ZK_STATE_MAP as STATE_MAP, ZK_VERIFY_MAP as VERIFY_MAP } from '../../drivers/zk-common/codes.js';
import { SqlitePunchLog } from '../../src/buffer/logStore.js';
import { logKeyName } from '../../src/log/checkpoint.js';
import { loadOrCreateLogKey, logKeyFile } from '../../src/log/logKey.js';
import { openGatewayCheckpoint, verifyLog } from '../../src/log/verify.js';
import { punchId, type Punch } from '../../src/punch/punch.js';
import { ZkPushSimulator } from '../../src/sim/zkPush/index.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { freePort } from '../../src/util/net.js';
import { collect, startAedes, until, type Collector, type TestBroker } from '../helpers/broker.js';
import { daemonArgs } from '../helpers/daemonCommand.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { tempDir } from '../helpers/tmp.js';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 6);
const SERIAL = 'CRASH00000001';
const PUSH_SERIAL = 'CRASHPUSH0001';
const tmp = tempDir();
const sim = new ZkTcpSimulator({ serial: SERIAL, records: 50, users: 40, seed: 3 });
let pushSim: ZkPushSimulator;
let broker: TestBroker;
let central: Collector;
let checkpoints: Collector;
let receiver: HttpsReceiver;
let configFile: string;

beforeAll(async () => {
  broker = await startAedes();
  const { port } = await sim.start();
  central = await collect(broker.url, 'absensi/CRASH/+/punch', 4, 'central-crash');
  checkpoints = await collect(broker.url, 'absensi/CRASH/gateway/+/checkpoint');
  receiver = await startHttpsReceiver();
  const pushPort = await freePort();
  // small uploads, quick retries: many kills land in the middle of a push request
  pushSim = new ZkPushSimulator({ target: `http://127.0.0.1:${pushPort}`, serial: PUSH_SERIAL, batchSize: 5, retryMs: 100, pollMs: 100 });
  configFile = join(tmp.dir, 'config.yaml');
  writeFileSync(
    configFile,
    [
      `gateway: {id: gw-crash, site: CRASH, dataDir: ${join(tmp.dir, 'data')}, logLevel: ${process.env.CRASH_LOG ? "debug" : "warn"}}`,
      'api: {listen: "127.0.0.1:0"}',
      `pushListener: {listen: "127.0.0.1:${pushPort}"}`,
      'devices:',
      `  - {id: loket, driver: zk-push, serial: ${PUSH_SERIAL}}`,
      `  - {id: lobby, driver: zk-tcp, host: 127.0.0.1, port: ${port}, realtime: true, pollInterval: 2s, heartbeatInterval: 2s, timeout: 2s}`,
      `publish: {mqtt: {url: "${broker.url}", reconnectMin: 100ms, reconnectMax: 500ms}, https: {url: "${receiver.url}", rejectUnauthorized: false, maxWait: 50ms}}`,
      'supervisor: {restartMin: 100ms, restartMax: 1s, shutdownTimeout: 3s}',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await pushSim.stop();
  await receiver.close();
  await central.close();
  await checkpoints.close();
  await sim.stop();
  await broker.close();
  tmp.cleanup();
});

function startDaemon(logFile?: string): ChildProcess {
  const child = spawn('node', daemonArgs(['run', '--config', configFile]), { stdio: ['ignore', logFile ? 'pipe' : 'ignore', 'ignore'] });
  if (logFile) child.stdout?.pipe(createWriteStream(logFile));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** Every punch the terminals hold, as the punch ids the gateway must produce. */
function expectedIds(): Set<string> {
  const ids = new Set<string>();
  for (let i = 0; i < sim.log.count; i += 1) {
    const p = sim.log.punchAt(i);
    ids.add(punchId({ serial: SERIAL, pin: p.pin, localTime: p.localTime, state: STATE_MAP.get(p.state) ?? 'unknown', verify: VERIFY_MAP.get(p.verify) ?? 'other' }));
  }
  for (const p of pushSim.records) {
    ids.add(punchId({ serial: PUSH_SERIAL, pin: p.pin, localTime: p.localTime, state: STATE_MAP.get(p.state) ?? 'unknown', verify: PUSH_VERIFY_MAP.get(p.verify) ?? 'other' }));
  }
  return ids;
}

it(`loses no punch across ${CYCLES} SIGKILLs of the daemon`, async () => {
  let made = 0;
  pushSim.start();
  const staff = setInterval(() => {
    const user = sim.log.users[made % sim.log.users.length];
    if (user && made % 3 === 2) pushSim.addPunch({ pin: user.pin, state: made % 2, verify: made % 3 === 0 ? 15 : 1 });
    else if (user) sim.addPunch({ pin: user.pin, state: made % 2, verify: made % 3 === 0 ? 15 : 1 });
    made += 1;
  }, 25);
  try {
    for (let cycle = 0; cycle < CYCLES; cycle += 1) {
      const daemon = startDaemon();
      // kill anywhere from start-up through download, realtime and publishing
      await new Promise((r) => setTimeout(r, 400 + Math.random() * 1600));
      daemon.kill('SIGKILL');
      await exited(daemon);
    }
  } finally {
    clearInterval(staff);
  }
  const daemon = startDaemon(process.env.CRASH_LOG);
  try {
    await until(() => pushSim.pendingUploads === 0, 60_000, 'the push terminal uploaded everything');
    const expected = expectedIds();
    // the broker and the simulator live in this process: keep each poll cheap (parse new messages only)
    const received = new Set<string>();
    let parsed = 0;
    const receivedIds = (): Set<string> => {
      for (; parsed < central.messages.length; parsed += 1) received.add((JSON.parse(central.messages[parsed]!.payload) as Punch).id);
      return received;
    };
    await until(() => [...expected].every((id) => receivedIds().has(id)), 60_000, 'every punch at the centre').catch((error: unknown) => {
      const missing = [...expected].filter((id) => !receivedIds().has(id));
      const db = new Database(join(tmp.dir, 'data', 'buffer.db'), { readonly: true });
      const inBuffer = missing.filter((id) => db.prepare('SELECT 1 FROM punches WHERE id = ?').get(id));
      const state = { cursors: db.prepare('SELECT * FROM sink_cursors').all(), head: db.prepare('SELECT max(seq) AS head FROM punches').get(), checkpoints: db.prepare('SELECT * FROM checkpoints').all() };
      db.close();
      throw new Error(`${missing.length} of ${expected.size} missing; ${inBuffer.length} of them are in the buffer; ${JSON.stringify(state)}`, { cause: error });
    });
    const payloadById = new Map<string, string>();
    for (const m of central.messages) {
      const id = (JSON.parse(m.payload) as Punch).id;
      expect(payloadById.get(id) ?? m.payload, 'a duplicate is the same punch').toBe(m.payload);
      payloadById.set(id, m.payload);
    }
    const lost = [...expected].filter((id) => !payloadById.has(id));
    const duplicates = central.messages.length - payloadById.size;
    expect(lost).toEqual([]);
    expect(payloadById.size).toBe(expected.size);

    // the HTTPS receiver got the same punches, byte-identical each time
    await until(() => [...expected].every((id) => receiver.acceptedIds.includes(id)), 60_000, 'every punch at the HTTPS receiver');
    const httpsBodies = new Map<string, string>();
    for (const request of receiver.requests) {
      for (const p of (request.json as { punches?: Punch[] } | undefined)?.punches ?? []) {
        const body = JSON.stringify(p);
        expect(httpsBodies.get(p.id) ?? body, 'an HTTPS duplicate is the same punch').toBe(body);
        httpsBodies.set(p.id, body);
      }
    }
    const httpsLost = [...expected].filter((id) => !httpsBodies.has(id));
    expect(httpsLost).toEqual([]);
    expect(pushSim.pendingUploads, 'the push terminal was answered OK for everything in the end').toBe(0);
    process.stdout.write(
      `crash harness: ${CYCLES} SIGKILLs, ${expected.size} punches made (${sim.log.count} pulled, ${pushSim.records.length} pushed, ${pushSim.attempts['cdata-post'] ?? 0} upload attempts); ` +
        `MQTT ${payloadById.size} received, ${lost.length} lost, ${duplicates} duplicate deliveries; HTTPS ${httpsBodies.size} received, ${httpsLost.length} lost, ${receiver.receivedIds.length - httpsBodies.size} duplicate deliveries\n`,
    );
  } finally {
    daemon.kill('SIGTERM');
    await exited(daemon);
  }

  const vkey = loadOrCreateLogKey(logKeyFile(join(tmp.dir, 'data')), logKeyName('CRASH', 'gw-crash')).vkey;
  const notes = [
    ...checkpoints.messages.map((m) => m.payload),
    ...receiver.requests.map((r) => (r.json as { checkpoint?: string } | undefined)?.checkpoint).filter((n): n is string => typeof n === 'string'),
  ];
  const db = new Database(join(tmp.dir, 'data', 'buffer.db'), { readonly: true });
  try {
    const log = SqlitePunchLog.open(db);
    if (!log) throw new Error('the buffer keeps no punch log');
    const head = (db.prepare('SELECT max(seq) AS head FROM punches').get() as { head: number }).head;
    expect(log.head().size, 'every committed punch has its leaf').toBe(head);
    // every HTTPS body carries the checkpoint covering it (httpsPublisher.ts), so every batch the
    // receiver took is a note checked below, however the kills fell
    const batches = receiver.requests.map((r) => r.json as { punches?: Punch[]; checkpoint?: unknown } | undefined).filter((b) => (b?.punches?.length ?? 0) > 0);
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) expect(typeof batch?.checkpoint, 'an HTTPS batch without its checkpoint').toBe('string');
    for (const note of notes) {
      const checkpoint = openGatewayCheckpoint(note, vkey);
      expect(checkpoint.epoch, 'one epoch through every kill').toBe(log.epoch);
      expect(checkpoint.size, 'no checkpoint ahead of the log').toBeLessThanOrEqual(head);
      expect(Buffer.from(checkpoint.root).equals(log.root(checkpoint.size)), `the log's root at ${checkpoint.size} is the one signed`).toBe(true);
    }
  } finally {
    db.close();
  }
  const report = verifyLog({ key: vkey, punches: central.messages.map((m) => JSON.parse(m.payload) as unknown), checkpoints: notes });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
}, CYCLES * 3000 + 90_000);
