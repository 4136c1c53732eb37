// The figures of `npm run bench:scale` as one markdown table, and as rows for `npm run bench`.
// Invariants: only formats what a run measured; a missing figure prints as "–", never a guess.
import { existsSync, readFileSync } from 'node:fs';
import type { BufferRunResult } from './scaleBuffer.js';
import type { TerminalRunResult } from './scaleTerminals.js';

export const SCALE_REPORT_FILE = 'test-artifacts/bench-scale.json';

export interface ScaleReport {
  machine: { date: string; nproc: number; cpuModel: string; node: string };
  gateway: string;
  broker: string;
  settings: { seconds: number; everyMs: number; pollSeconds: number };
  terminals: TerminalRunResult[];
  buffer: BufferRunResult[];
}

const fixed = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');

function terminalTable(r: ScaleReport): string[] {
  const first = r.terminals[0];
  const lines = [
    `| terminals (⅓ TCP realtime, ⅓ UDP polled, ⅓ ADMS push) | punches made / delivered / lost | punches/s | RSS idle / steady / peak MB | heap used / total / external MB | CPU % of one core | event-loop lag p99 ms |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const t of r.terminals) {
    lines.push(
      `| ${t.terminals} (${t.onlineAtStart} online) | ${fixed(t.made)} / ${fixed(t.delivered)} / **${fixed(t.lost)}** | ${fixed(t.punchesPerSec, 1)} | ${fixed(t.rssIdleMb)} / ${fixed(t.rssSteadyMb)} / ${fixed(t.rssPeakMb)} | ${fixed(t.heapUsedMb)} / ${fixed(t.heapTotalMb)} / ${fixed(t.externalMb)} | ${fixed(t.cpuPercent, 1)} | ${fixed(t.lagP99Ms, 1)} |`,
    );
  }
  const last = r.terminals[r.terminals.length - 1];
  if (first && last && last !== first) {
    const perTerminalKb = ((last.rssSteadyMb - first.rssSteadyMb) / (last.terminals - first.terminals)) * 1024;
    lines.push('', `Growth ${first.terminals} → ${last.terminals} terminals: RSS steady ×${fixed(last.rssSteadyMb / first.rssSteadyMb, 2)} (≈ ${fixed(perTerminalKb)} KB per extra terminal), CPU ×${fixed(last.cpuPercent / first.cpuPercent, 1)} for ×${fixed(last.punchesPerSec / first.punchesPerSec, 1)} punches/s.`);
  }
  return lines;
}

function bufferTable(r: ScaleReport): string[] {
  const lines = [
    '| buffer rows | file MB | drain 10k at the head, punches/s | GET /api/punches?pin= ms | ?device=&since=&until= ms | ?limit=50 (newest) ms | GET /api/queue ms | GET /metrics ms |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const b of r.buffer) {
    lines.push(`| ${fixed(b.rows)} | ${fixed(b.fileMb)} | ${fixed(b.drainPerSec)} | ${fixed(b.searchPinMs, 1)} | ${fixed(b.searchDeviceRangeMs, 1)} | ${fixed(b.searchNewestMs, 1)} | ${fixed(b.queueMs, 1)} | ${fixed(b.metricsMs, 1)} |`);
  }
  const [small, big] = [r.buffer[0], r.buffer[r.buffer.length - 1]];
  if (small && big && big !== small) {
    const ratio = (a: number, b: number): string => fixed(b / a, 2);
    lines.push('', `Rows ×${fixed(big.rows / small.rows)}: drain rate ×${ratio(small.drainPerSec, big.drainPerSec)}, search by pin ×${ratio(small.searchPinMs, big.searchPinMs)}, device+range ×${ratio(small.searchDeviceRangeMs, big.searchDeviceRangeMs)}, newest ×${ratio(small.searchNewestMs, big.searchNewestMs)}, /api/queue ×${ratio(small.queueMs, big.queueMs)}, /metrics ×${ratio(small.metricsMs, big.metricsMs)}.`);
  }
  return lines;
}

export function formatTable(r: ScaleReport): string {
  const m = r.machine;
  return [
    `Measured ${m.date.slice(0, 10)}, ${m.nproc} × ${m.cpuModel}, Node ${m.node}; gateway ${r.gateway}; broker ${r.broker}; ${r.settings.seconds} s of punching per row, one punch per terminal every ${r.settings.everyMs / 1000} s, UDP poll every ${r.settings.pollSeconds} s.`,
    '',
    ...(r.terminals.length > 0 ? [...terminalTable(r), ''] : []),
    ...(r.buffer.length > 0 ? bufferTable(r) : []),
  ].join('\n');
}

/** Rows for `npm run bench`'s table, from the last `npm run bench:scale` run, if any. */
export function savedScaleRows(): { what: string; rate: number; baseline: string; ratio: string }[] {
  if (!existsSync(SCALE_REPORT_FILE)) return [];
  const r = JSON.parse(readFileSync(SCALE_REPORT_FILE, 'utf8')) as ScaleReport;
  const when = r.machine.date.slice(0, 10);
  return [
    ...r.terminals.map((t) => ({
      what: `scale (${when}): ${t.terminals} terminals, RSS steady ${fixed(t.rssSteadyMb)} MB, CPU ${fixed(t.cpuPercent, 1)} %, lost ${t.lost}`,
      rate: Math.round(t.punchesPerSec),
      baseline: `lag p99 ${fixed(t.lagP99Ms, 1)} ms`,
      ratio: '-',
    })),
    ...r.buffer.map((b) => ({
      what: `scale (${when}): drain 10k at the head of a ${fixed(b.rows)}-row buffer`,
      rate: b.drainPerSec,
      baseline: `search pin ${fixed(b.searchPinMs, 1)} ms, /metrics ${fixed(b.metricsMs, 1)} ms`,
      ratio: '-',
    })),
  ];
}
