// `absensi-gateway simulate fingerspot`: a simulated EasyLink bridge (FService.exe) with terminals
// behind it, for demos and for trying the fingerspot-easylink driver without Windows or hardware.
// Loaded when `simulate fingerspot` runs (command.ts names it in the family list).
// Invariants:
// - Binds 127.0.0.1 unless --host says otherwise; runs until SIGINT/SIGTERM, then closes every socket.
import type { Command } from 'commander';
import { durationArg, faultsFrom, intArg, parseOrUsage, repeatable, untilStopSignal } from '../cliKit.js';
import { FingerspotSimulator, type FingerspotFaults, type FingerspotSimOptions } from './simulator.js';

interface FingerspotCliOptions {
  host: string;
  port: string;
  serial: string[];
  records: string;
  users: string;
  timezone: string;
  clockOffset: string;
  templatesPerUser?: string;
  algVer?: string;
  statesAlgorithm?: boolean;
  punchEvery?: string;
  fault: string[];
  json?: boolean;
}

const FAULTS: Record<string, FingerspotFaults> = {
  slow: { slowMs: 500 },
  'http-500': { http500: 3 },
  garbage: { garbage: 3 },
  'result-false': { resultFalse: 3 },
  'drop-after-consume': { dropAfterConsume: 1 },
};

/** Command-line options → simulator options (throws with a clear message on bad input). */
export function fingerspotOptionsFrom(o: FingerspotCliOptions): FingerspotSimOptions & { records: number; users: number } {
  const faults = faultsFrom<FingerspotFaults>(o.fault, FAULTS);
  const clockOffsetSec = intArg('--clock-offset', o.clockOffset);
  return {
    host: o.host, port: intArg('--port', o.port, { min: 0 }), serials: o.serial.length > 0 ? o.serial : ['SIMFS0000001'], timeZone: o.timezone,
    clockOffsetSec, faults, records: intArg('--records', o.records, { min: 0 }), users: Math.max(1, intArg('--users', o.users, { min: 0 })),
    userTable: { users: intArg('--users', o.users, { min: 0 }), templatesPerUser: templatesPerUserArg(o.templatesPerUser ?? '0'), algVer: algVerArg(o.algVer ?? '10') },
    ...(o.statesAlgorithm ? { statesAlgorithm: true } : {}),
  };
}

function templatesPerUserArg(value: string): 0 | 1 | 2 | 'mixed' {
  if (value === 'mixed') return 'mixed';
  if (value === '0' || value === '1' || value === '2') return Number(value) as 0 | 1 | 2;
  throw new Error(`--templates-per-user: expected 0, 1, 2 or mixed, got "${value}"`);
}

function algVerArg(value: string): string {
  if (!/^\d{1,2}$/.test(value)) throw new Error(`--alg-ver: expected a version like 10, got "${value}"`);
  return value;
}

/** Adds the options and the action of `simulate fingerspot` to its command. */
export function configureSimulateFingerspot(command: Command): void {
  command
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'HTTP port (0 picks a free one)', '8090')
    .option('--serial <sn>', 'a terminal serial behind the bridge (repeatable)', repeatable, [] as string[])
    .option('--records <n>', 'scans already in each terminal log (all already downloaded by /scanlog/new)', '100')
    .option('--users <n>', 'users enrolled and punching (PINs 1..n)', '20')
    .option('--timezone <zone>', 'IANA zone of the terminal clocks', 'Asia/Jakarta')
    .option('--clock-offset <sec>', 'terminal clock minus real time, seconds (/dev/settime resets it)', '0')
    .option('--templates-per-user <n>', 'fingerprint templates of each enrolled user (/user/all/paging): 0, 1, 2 or mixed', '0')
    .option('--alg-ver <version>', 'the terminals\' template alg_ver', '10')
    .option('--states-algorithm', 'DEVINFO carries "Algoritma" (older firmware; a Revo does not)')
    .option('--punch-every <duration>', 'a random user punches on the first terminal this often (e.g. 10s)')
    .option('--fault <name>', `inject a fault: ${Object.keys(FAULTS).join(', ')} (repeatable)`, repeatable, [] as string[])
    .option('--json', 'print the listening address as JSON')
    .action(async (options: FingerspotCliOptions) => {
      const parsed = parseOrUsage('fingerspot', options, (o) => ({ sim: fingerspotOptionsFrom(o), every: durationArg('--punch-every', o.punchEvery) }));
      if (!parsed) return;
      const { sim: simOptions, every } = parsed;
      const sim = new FingerspotSimulator(simOptions);
      for (const serial of simOptions.serials ?? []) {
        sim.fill(simOptions.records, undefined, simOptions.users, serial);
        sim.terminal(serial).newCursor = simOptions.records;
      }
      await sim.start();
      const timer = every
        ? setInterval(() => {
            const p = sim.addPunch({ pin: String(1 + Math.floor(Math.random() * simOptions.users)), ioMode: Math.random() < 0.5 ? 1 : 2 });
            process.stdout.write(`punch pin=${p.pin} time=${p.scanDate} verifyMode=${p.verifyMode} ioMode=${p.ioMode}\n`);
          }, every)
        : undefined;
      const { host, port } = sim.address;
      process.stdout.write(options.json
        ? `${JSON.stringify({ host, port, serials: simOptions.serials })}\n`
        : `EasyLink bridge simulator on ${host}:${port}, terminals ${(simOptions.serials ?? []).join(', ')}; ${simOptions.records} scans each. Ctrl-C stops.\n`);
      await untilStopSignal();
      clearInterval(timer);
      await sim.stop();
    });
}
