// `absensi-gateway simulate zk-push --target http://127.0.0.1:8081 --serial …`: a simulated ADMS
// terminal that calls a gateway (handshake, uploads until OK, getrequest polls, commands).
// Loaded when `simulate zk-push` runs (command.ts names it in the family list).
// Invariants:
// - Connects only to --target; runs until SIGINT/SIGTERM, then stops its loop and requests.
import type { Command } from 'commander';
import { durationArg, intArg, parseOrUsage, untilStopSignal } from '../cliKit.js';
import type { SimFaceForm } from './faces.js';
import { ZkPushSimulator, type ZkPushSimOptions } from './simulator.js';

interface ZkPushCliOptions {
  target: string;
  serial: string;
  timezone: string;
  clockOffset: string;
  commKey?: string;
  punchEvery?: string;
  pollEvery?: string;
  retryEvery?: string;
  batchSize: string;
  users: string;
  gzip?: boolean;
  http10?: boolean;
  lf?: boolean;
  stamp9999?: boolean;
  faces?: string;
}

/** `--faces`: a visible-light BIODATA face terminal (58.0) or an older FACE-table one (FaceVersion 7). */
const FACE_FORMS: Readonly<Record<string, SimFaceForm>> = {
  biodata: { form: 'BIODATA', type: 9, majorVer: '58', minorVer: '0' },
  face: { form: 'FACE', version: '7' },
};

/** Command-line options → simulator options (throws with a clear message on bad input). */
export function zkPushOptionsFrom(o: ZkPushCliOptions, onEvent?: (line: string) => void): ZkPushSimOptions {
  if (!/^https?:\/\/[^/]+/.test(o.target)) throw new Error(`--target: expected http://host:port, got "${o.target}"`);
  const clockOffsetSec = intArg('--clock-offset', o.clockOffset);
  const batchSize = intArg('--batch-size', o.batchSize, { min: 1 });
  const pollMs = durationArg('--poll-every', o.pollEvery);
  const retryMs = durationArg('--retry-every', o.retryEvery);
  const faces = o.faces === undefined ? undefined : FACE_FORMS[o.faces];
  if (o.faces !== undefined && !faces) throw new Error(`--faces: expected biodata or face, got "${o.faces}"`);
  return {
    target: o.target,
    serial: o.serial,
    timeZone: o.timezone,
    clockOffsetSec,
    batchSize,
    ...(o.commKey ? { commKey: o.commKey } : {}),
    ...(pollMs !== undefined ? { pollMs } : {}),
    ...(retryMs !== undefined ? { retryMs } : {}),
    ...(faces ? { faces } : {}),
    quirks: { gzip: o.gzip === true, http10: o.http10 === true, crlf: o.lf !== true, stamp9999: o.stamp9999 === true },
    ...(onEvent ? { onEvent } : {}),
  };
}

/** Adds the options and the action of `simulate zk-push` to its command. */
export function configureSimulateZkPush(command: Command): void {
  command
    .option('--target <url>', 'the gateway push listener', 'http://127.0.0.1:8081')
    .option('--serial <serial>', 'terminal serial number (must match a zk-push device entry)', 'SIMPUSH00001')
    .option('--timezone <zone>', 'IANA zone of the terminal clock until the handshake sets TimeZone', 'Asia/Jakarta')
    .option('--clock-offset <sec>', 'terminal clock minus real time, seconds (the handshake corrects it)', '0')
    .option('--comm-key <key>', 'pushcommkey sent in the handshake')
    .option('--punch-every <duration>', 'a random user punches this often (e.g. 10s)')
    .option('--poll-every <duration>', 'getrequest interval instead of the handshake\'s Delay')
    .option('--retry-every <duration>', 'wait after a failed request instead of the handshake\'s ErrorDelay')
    .option('--batch-size <n>', 'ATTLOG lines per upload', '100')
    .option('--users <n>', 'users who punch (PINs 1..n)', '20')
    .option('--gzip', 'gzip request bodies')
    .option('--http10', 'speak HTTP/1.0')
    .option('--lf', 'LF line ends instead of CRLF')
    .option('--stamp9999', 'always send Stamp=9999, like some real firmware')
    .option('--faces <form>', 'store faces: biodata (BIODATA Type 9, 58.0) or face (the FACE table, FaceVersion 7)')
    .action(async (options: ZkPushCliOptions) => {
      const parsed = parseOrUsage('zk-push', options, (o) => ({ sim: zkPushOptionsFrom(o, (line) => process.stdout.write(`${line}\n`)), every: durationArg('--punch-every', o.punchEvery) }));
      if (!parsed) return;
      const { sim: simOptions, every } = parsed;
      const sim = new ZkPushSimulator(simOptions);
      const users = Math.max(1, Number(options.users) || 1);
      const timer = every
        ? setInterval(() => sim.addPunch({ pin: String(1 + Math.floor(Math.random() * users)), state: Math.random() < 0.5 ? 0 : 1, verify: [1, 15, 4][Math.floor(Math.random() * 3)] }), every)
        : undefined;
      process.stdout.write(`ZK push terminal simulator ${simOptions.serial} calling ${simOptions.target}. Ctrl-C stops.\n`);
      sim.start();
      await untilStopSignal();
      clearInterval(timer);
      await sim.stop();
    });
}
