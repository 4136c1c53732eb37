// `npm run bench:scale` (issue 9): how the gateway scales with terminals and with buffer size.
// Not a test: it prints one markdown table of figures measured in this run and saves them to
// test-artifacts/bench-scale.json, which `npm run bench` prints as extra rows.
// Knobs: SCALE_SECONDS (punching time per terminal count, default 120; SCALE_QUICK=1: 20),
// SCALE_TERMINALS (default 10,100,500), SCALE_EVERY_MS (each terminal punches this often, 5000),
// SCALE_POLL_SECONDS (UDP terminals' pollInterval, 15), SCALE_ROWS (buffer sizes, default
// 10000,1000000; quick 10000,100000), SCALE_ONLY=terminals|buffer, SCALE_TSX=1 (run src via tsx
// instead of building dist), SCALE_NO_BUILD=1 (use dist as it is), SCALE_NODE_FLAGS (extra daemon node flags, after the shebang's; a later flag wins).
// Shared 2-core machines are noisy: read growth between rows of the same run, not absolute values.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startAedes, systemMosquitto, type TestBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';
import { runBufferGrowth, type BufferRunResult } from './scaleBuffer.js';
import { gatewayCommand } from './scaleProcess.js';
import { formatTable, SCALE_REPORT_FILE, type ScaleReport } from './scaleReport.js';
import { runTerminals, type TerminalRunResult } from './scaleTerminals.js';

const QUICK = process.env.SCALE_QUICK === '1';
const SECONDS = Number(process.env.SCALE_SECONDS ?? (QUICK ? 20 : 120));
const TERMINALS = (process.env.SCALE_TERMINALS ?? '10,100,500').split(',').map(Number);
const EVERY_MS = Number(process.env.SCALE_EVERY_MS ?? 5000);
const POLL_SECONDS = Number(process.env.SCALE_POLL_SECONDS ?? 15);
const ROWS = (process.env.SCALE_ROWS ?? (QUICK ? '10000,100000' : '10000,1000000')).split(',').map(Number);
const ONLY = process.env.SCALE_ONLY;

function machine(): ScaleReport['machine'] {
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return { date: new Date().toISOString(), nproc: cpus().length, cpuModel, node: process.version };
}

async function main(): Promise<void> {
  const tmp = tempDir('absensi-scale-');
  const report: ScaleReport = { machine: machine(), gateway: '', broker: '', terminals: [], buffer: [], settings: { seconds: SECONDS, everyMs: EVERY_MS, pollSeconds: POLL_SECONDS } };
  let broker: TestBroker | undefined;
  try {
    if (process.env.SCALE_TSX !== '1' && process.env.SCALE_NO_BUILD !== '1') {
      process.stdout.write('building dist (tsc -p tsconfig.build.json)…\n');
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    }
    report.gateway = gatewayCommand('<config>').what;
    broker = (await systemMosquitto()) ?? (await startAedes());
    report.broker = broker.name;
    process.stdout.write(`bench:scale ${report.machine.date}, ${report.machine.nproc} × ${report.machine.cpuModel}, node ${report.machine.node}; gateway: ${report.gateway}; broker: ${broker.name}\n`);
    if (ONLY !== 'buffer') {
      for (const count of TERMINALS) {
        process.stdout.write(`\n${count} terminals, ${SECONDS} s, one punch per terminal every ${EVERY_MS} ms…\n`);
        const result: TerminalRunResult = await runTerminals({ count, seconds: SECONDS, everyMs: EVERY_MS, pollSeconds: POLL_SECONDS, mqttUrl: broker.url, dir: tmp.dir });
        process.stdout.write(`${JSON.stringify(result)}\n`);
        report.terminals.push(result);
      }
    }
    if (ONLY !== 'terminals') {
      for (const rows of ROWS) {
        process.stdout.write(`\nbuffer of ${rows} rows…\n`);
        const result: BufferRunResult = await runBufferGrowth({ rows, mqttUrl: broker.url, dir: tmp.dir });
        process.stdout.write(`${JSON.stringify(result)}\n`);
        report.buffer.push(result);
      }
    }
    process.stdout.write(`\n${formatTable(report)}\n`);
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync(SCALE_REPORT_FILE, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await broker?.close();
    tmp.cleanup();
  }
}

await main();
