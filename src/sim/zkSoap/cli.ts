// `absensi-gateway simulate zk-soap --port 8080 --records 1000`: a simulated ZK SOAP web service
// terminal (POST /iWsService) for demos, training and testing a zk-soap device entry.
// Loaded when `simulate zk-soap` runs (command.ts names it in the family list).
// Invariants:
// - Binds 127.0.0.1 unless --host says otherwise; runs until SIGINT/SIGTERM, then closes its sockets.
import type { Command } from 'commander';
import { durationArg, faultsFrom, intArg, parseOrUsage, repeatable, untilStopSignal } from '../cliKit.js';
import { ZkSoapSimulator, type ZkSoapSimFaults, type ZkSoapSimOptions } from './simulator.js';

interface ZkSoapCliOptions {
  host: string;
  port: string;
  records: string;
  users: string;
  commKey: string;
  clockOffset: string;
  timezone: string;
  serial: string;
  templatesPerUser: string;
  fingerAlgorithm: string;
  punchEvery?: string;
  fault: string[];
  json?: boolean;
}

const FAULTS: Record<string, ZkSoapSimFaults> = {
  slow: { slowMs: 500 },
  truncate: { truncate: true },
  'wrong-key': { rejectKey: true },
};

/** Command-line options → simulator options (throws with a clear message on bad input). */
export function zkSoapOptionsFrom(o: ZkSoapCliOptions): ZkSoapSimOptions {
  const faults = faultsFrom<ZkSoapSimFaults>(o.fault, FAULTS);
  if (!/^\d{1,10}$/.test(o.commKey)) throw new Error(`--comm-key: expected a number, got "${o.commKey}"`);
  const clockOffsetSec = intArg('--clock-offset', o.clockOffset);
  if (!/^(\d{1,2}|none)$/.test(o.fingerAlgorithm)) throw new Error(`--finger-algorithm: expected a version like 10, or none, got "${o.fingerAlgorithm}"`);
  return {
    host: o.host,
    port: intArg('--port', o.port, { min: 0 }),
    records: intArg('--records', o.records, { min: 0 }),
    users: intArg('--users', o.users, { min: 1 }),
    commKey: o.commKey,
    clockOffsetSec,
    timeZone: o.timezone,
    serial: o.serial,
    templatesPerUser: templatesPerUserArg(o.templatesPerUser),
    fingerAlgorithm: o.fingerAlgorithm === 'none' ? null : o.fingerAlgorithm,
    faults,
  };
}

function templatesPerUserArg(value: string): 0 | 1 | 2 | 'mixed' {
  if (value === 'mixed') return 'mixed';
  if (value === '0' || value === '1' || value === '2') return Number(value) as 0 | 1 | 2;
  throw new Error(`--templates-per-user: expected 0, 1, 2 or mixed, got "${value}"`);
}

/** Adds the options and the action of `simulate zk-soap` to its command. */
export function configureSimulateZkSoap(command: Command): void {
  command
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one; real terminals use 80)', '8080')
    .option('--records <n>', 'attendance records already in the log', '1000')
    .option('--users <n>', 'enrolled users (PINs 1..n)', '20')
    .option('--comm-key <key>', 'comm key the terminal requires (0 = none)', '0')
    .option('--clock-offset <sec>', 'terminal clock minus real time, seconds', '0')
    .option('--timezone <zone>', 'IANA zone of the terminal clock', 'Asia/Jakarta')
    .option('--serial <serial>', 'serial number (GetOption ~SerialNumber)', 'SIMSOAP00001')
    .option('--templates-per-user <n>', 'fingerprint templates of each seeded user: 0, 1, 2 or mixed (1 or 2)', '0')
    .option('--finger-algorithm <version>', 'what GetOption ~ZKFPVersion answers (10, 9, …; none: not answered)', '10')
    .option('--punch-every <duration>', 'a random user punches this often (e.g. 10s)')
    .option('--fault <name>', `inject a fault: ${Object.keys(FAULTS).join(', ')} (repeatable)`, repeatable, [] as string[])
    .option('--json', 'print the listening address as JSON')
    .action(async (options: ZkSoapCliOptions) => {
      const parsed = parseOrUsage('zk-soap', options, (o) => ({ sim: zkSoapOptionsFrom(o), every: durationArg('--punch-every', o.punchEvery) }));
      if (!parsed) return;
      const { sim: simOptions, every } = parsed;
      const sim = new ZkSoapSimulator(simOptions);
      await sim.start();
      const users = simOptions.users ?? 20;
      const timer = every
        ? setInterval(() => {
            const p = sim.addPunch({ pin: String(1 + Math.floor(Math.random() * users)), status: Math.random() < 0.5 ? 0 : 1, verified: [1, 15, 4][Math.floor(Math.random() * 3)] });
            process.stdout.write(`punch pin=${p.pin} time=${p.localTime} status=${p.status} verified=${p.verified}\n`);
          }, every)
        : undefined;
      const { host, port } = sim.address;
      process.stdout.write(options.json
        ? `${JSON.stringify({ host, port, serial: simOptions.serial, records: simOptions.records, commKey: simOptions.commKey !== '0' })}\n`
        : `ZK SOAP terminal simulator ${simOptions.serial} on http://${host}:${port}/iWsService; ${simOptions.records} records, ${users} users. Ctrl-C stops.\n`);
      await untilStopSignal();
      clearInterval(timer);
      await sim.stop();
    });
}
