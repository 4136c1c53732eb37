// `absensi-gateway simulate zk`: a ZK standalone terminal simulator (port 4370, TCP and UDP) for
// demos, training and testing a gateway without hardware. Loaded when `simulate zk` runs
// (command.ts names it in the family list).
// Invariants:
// - Binds 127.0.0.1 unless --host says otherwise; never opens anything but the terminal port.
// - Runs until SIGINT/SIGTERM, then closes every socket.
import type { Command } from 'commander';
import { durationArg, faultsFrom, intArg, parseOrUsage, repeatable, untilStopSignal } from '../cliKit.js';
import type { ZkSimFaults } from './output.js';
import { ZkTcpSimulator, type ZkSimulatorOptions } from './simulator.js';

interface SimulateCliOptions {
  host: string;
  port: string;
  records: string;
  users: string;
  recordSize: string;
  userSize: string;
  realtimeSize: string;
  commKey: string;
  clockOffset: string;
  serial: string;
  model: string;
  platform: string;
  timezone: string;
  punchEvery?: string;
  transport: 'both' | 'tcp' | 'udp';
  fault: string[];
  paced?: boolean;
  json?: boolean;
  /** fingerprint templates per user, `N` or `LEAST-MOST` */
  fingers?: string;
  fingerVersion?: string;
}

/** `--fingers 2` or `--fingers 1-2` → [least, most]. */
function fingersArg(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d)(?:-(\d))?$/.exec(value);
  const least = Number(m?.[1]);
  const most = m?.[2] === undefined ? least : Number(m[2]);
  if (!m || most < least || most > 10) throw new Error(`--fingers: expected a count like 2 or a range like 1-2 (at most 10), got "${value}"`);
  return [least, most];
}

const FAULTS: Record<string, ZkSimFaults> = {
  split: { splitReplies: true },
  merge: { mergePackets: true },
  drop: { dropMidChunk: 1 },
  slow: { slowReplyMs: 200 },
  'bad-checksum': { badChecksumEvery: 10 },
};

/** Command-line options → simulator options (throws with a clear message on bad input). */
export function simulatorOptionsFrom(o: SimulateCliOptions): ZkSimulatorOptions {
  const faults = faultsFrom<ZkSimFaults>(o.fault, FAULTS);
  return {
    host: o.host,
    port: intArg('--port', o.port),
    tcp: o.transport !== 'udp',
    udp: o.transport !== 'tcp',
    records: intArg('--records', o.records),
    users: intArg('--users', o.users),
    recordSize: intArg('--record-size', o.recordSize, { allowed: [8, 16, 40, 49] }) as 8 | 16 | 40 | 49,
    userSize: intArg('--user-size', o.userSize, { allowed: [28, 72] }) as 28 | 72,
    realtimeSize: intArg('--realtime-size', o.realtimeSize, { allowed: [10, 12, 14, 32, 36, 37, 52] }) as 10 | 12 | 14 | 32 | 36 | 37 | 52,
    commKey: intArg('--comm-key', o.commKey),
    clockOffsetSec: intArg('--clock-offset', o.clockOffset),
    serial: o.serial,
    model: o.model,
    platform: o.platform,
    timeZone: o.timezone,
    pacing: o.paced ? 'paced' : 'burst',
    faults,
    ...(o.fingers !== undefined ? { fingersPerUser: fingersArg(o.fingers) } : {}),
    ...(o.fingerVersion !== undefined ? { fingerVersion: o.fingerVersion } : {}),
  };
}

/** Starts a simulator that punches a random user every `punchEveryMs`; resolves with a stop function. */
export async function runSimulator(options: ZkSimulatorOptions, punchEveryMs: number | undefined, onPunch?: (line: string) => void) {
  const sim = new ZkTcpSimulator(options);
  await sim.start();
  const timer = punchEveryMs
    ? setInterval(() => {
        const user = sim.log.users[Math.floor(Math.random() * sim.log.users.length)];
        if (!user) return;
        const p = sim.addPunch({ pin: user.pin, state: Math.random() < 0.5 ? 0 : 1, verify: [1, 15, 2][Math.floor(Math.random() * 3)] });
        onPunch?.(`punch pin=${p.pin} time=${p.localTime} state=${p.state} verify=${p.verify}`);
      }, punchEveryMs)
    : undefined;
  return {
    sim,
    stop: async (): Promise<void> => {
      clearInterval(timer);
      await sim.stop();
    },
  };
}

/** Adds the options and the action of `simulate zk` to its command. */
export function configureSimulateZk(command: Command): void {
  command
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port for TCP and UDP (0 picks a free one)', '4370')
    .option('--records <n>', 'attendance records already in the log (up to 1000000)', '1000')
    .option('--users <n>', 'enrolled users', '20')
    .option('--record-size <bytes>', 'attendance record layout: 8, 16, 40 or 49', '40')
    .option('--user-size <bytes>', 'user record layout: 28 or 72', '72')
    .option('--fingers <n>', 'fingerprint templates per enrolled user: a count, or a range like 1-2 (synthetic bytes)')
    .option('--finger-version <v>', 'fingerprint algorithm the terminal reports (~ZKFPVersion)', '10')
    .option('--realtime-size <bytes>', 'realtime event layout: 10, 12, 14, 32, 36, 37 or 52', '36')
    .option('--comm-key <key>', 'numeric comm key the terminal requires (0 = none)', '0')
    .option('--clock-offset <sec>', 'terminal clock minus real time, seconds', '0')
    .option('--serial <serial>', 'serial number', 'SIM0000000001')
    .option('--model <name>', 'device name (~DeviceName)', 'SIM-F22')
    .option('--platform <name>', 'platform (~Platform)', 'ZMM220_TFT')
    .option('--timezone <zone>', 'IANA zone of the terminal clock', 'Asia/Jakarta')
    .option('--punch-every <duration>', 'a random user punches this often (e.g. 10s)')
    .option('--transport <which>', 'both, tcp or udp', 'both')
    .option('--fault <name>', `inject a fault: ${Object.keys(FAULTS).join(', ')} (repeatable)`, repeatable, [] as string[])
    .option('--paced', 'one packet per socket write with a pause between (for clients that cannot split a TCP stream)')
    .option('--json', 'print the listening address as JSON')
    .action(async (options: SimulateCliOptions) => {
      const parsed = parseOrUsage('zk', options, (o) => ({ sim: simulatorOptionsFrom(o), every: durationArg('--punch-every', o.punchEvery) }));
      if (!parsed) return;
      const { sim: simOptions, every } = parsed;
      const running = await runSimulator(simOptions, every, (line) => process.stdout.write(`${line}\n`));
      const { host, port } = running.sim.address;
      process.stdout.write(options.json
        ? `${JSON.stringify({ host, port, serial: simOptions.serial, records: simOptions.records, commKey: simOptions.commKey !== 0 })}\n`
        : `ZK terminal simulator ${simOptions.serial} on ${host}:${port} (${options.transport}); ${simOptions.records} records, ${simOptions.users} users. Ctrl-C stops.\n`);
      await untilStopSignal();
      await running.stop();
    });
}
