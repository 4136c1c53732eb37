// `absensi-gateway simulate hikvision`: a Hikvision ISAPI face terminal on loopback (Digest,
// deviceInfo, AcsEvent paging) that can also push its punches to a gateway's /hikvision/<id>.
// Loaded when `simulate hikvision` runs (command.ts names it in the family list).
// Invariants: binds 127.0.0.1 unless --host says otherwise; runs until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { durationArg, intArg, parseOrUsage, untilStopSignal } from '../cliKit.js';
import { HikvisionSimulator, type HikSimOptions } from './simulator.js';

interface HikSimCliOptions {
  host: string;
  port: string;
  user: string;
  password: string;
  algorithm: 'MD5' | 'SHA-256';
  records: string;
  serial: string;
  pushTo?: string;
  punchEvery?: string;
  json?: boolean;
}

/** Command-line options → simulator options and the punch interval (throws with a clear message on bad input). */
export function hikvisionOptionsFrom(o: HikSimCliOptions): { sim: HikSimOptions; every: number | undefined } {
  if (o.algorithm !== 'MD5' && o.algorithm !== 'SHA-256') throw new Error(`--algorithm: expected MD5 or SHA-256, got "${o.algorithm}"`);
  const sim = { host: o.host, port: intArg('--port', o.port, { min: 0 }), username: o.user, password: o.password, algorithm: o.algorithm, records: intArg('--records', o.records, { min: 0 }), serial: o.serial };
  return { sim, every: durationArg('--punch-every', o.punchEvery) };
}

/** Adds the options and the action of `simulate hikvision` to its command. */
export function configureSimulateHikvision(command: Command): void {
  command
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'HTTP port (0 picks a free one)', '8080')
    .option('--user <name>', 'ISAPI user', 'admin')
    .option('--password <password>', 'ISAPI password', 'Admin12345')
    .option('--algorithm <name>', 'digest algorithm: MD5 or SHA-256', 'MD5')
    .option('--records <n>', 'attendance events already in the log', '100')
    .option('--serial <serial>', 'serialNumber in deviceInfo', 'DS-K1T341AM20220101V030230ENG12345678')
    .option('--push-to <url>', 'POST every new punch to this URL, e.g. http://127.0.0.1:8081/hikvision/lobby-face')
    .option('--punch-every <duration>', 'a random user punches this often (e.g. 10s)')
    .option('--json', 'print the listening address as JSON')
    .action(async (o: HikSimCliOptions) => {
      const parsed = parseOrUsage('hikvision', o, hikvisionOptionsFrom);
      if (!parsed) return;
      const { sim: simOptions, every } = parsed;
      const sim = new HikvisionSimulator(simOptions);
      await sim.start();
      const { records } = simOptions;
      const { host, port: bound } = sim.address;
      process.stdout.write(o.json ? `${JSON.stringify({ host, port: bound, serial: o.serial, records })}\n` : `Hikvision ISAPI simulator ${o.serial} on http://${host}:${bound} (user ${o.user}); ${records} events. Ctrl-C stops.\n`);
      const timer = every
        ? setInterval(() => {
            const event = sim.addPunch(String(1 + Math.floor(Math.random() * 20)), { attendanceStatus: Math.random() < 0.5 ? 'checkIn' : 'checkOut' });
            process.stdout.write(`punch pin=${event.employeeNoString} time=${event.time} serialNo=${event.serialNo}\n`);
            if (o.pushTo) void sim.push(o.pushTo, event).then((status) => process.stdout.write(`  pushed: HTTP ${status}\n`), (error: Error) => process.stdout.write(`  push failed: ${error.message}\n`));
          }, every)
        : undefined;
      await untilStopSignal();
      clearInterval(timer);
      await sim.stop();
    });
}
