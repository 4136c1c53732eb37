// The status page's pictures, drawn on the gateway as SVG text: punches per hour today per device
// and a line chart over time (backlog, oldest-unsent age); punchPathSvg.ts draws one punch's path. Pure functions: data
// in, markup out; the routes (routes/charts.ts) gather the data, the page's script puts the SVG
// into the page (a DOMParser document, imported: no innerHTML, no script runs from it).
// Invariants:
// - Every text that comes from data (device ids, sink names, reasons, labels) goes through
//   escapeXml; numbers are written by the builders. Nothing here emits a script, an event
//   attribute, a style attribute or an external reference, so the page's CSP holds unchanged
//   (presentation attributes such as fill are not styles).
// - Empty data gives a small SVG that says so (data-empty), never a broken or zero-size one.
// - Each mark carries data-* attributes naming what it shows (device/hour/count, sink, step) and a
//   <title> for the tooltip; the sizes are fixed (viewBox), the page scales them to its width.
import { wallTimeIn } from '../../punch/time.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe in SVG content and in a double- or single-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const COLORS = ['#1a7f37', '#0969da', '#9a6700', '#8250df', '#cf222e', '#1b7c83'] as const;
const colorOf = (i: number): string => COLORS[i % COLORS.length] as string;
const FONT = 'font-family="system-ui, sans-serif" font-size="11"';
const round = (n: number): number => Math.round(n * 10) / 10;

export function svg(attrs: { chart: string; width: number; height: number; label: string; empty?: boolean }, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${attrs.width} ${attrs.height}" width="${attrs.width}" height="${attrs.height}" role="img" aria-label="${escapeXml(attrs.label)}" data-chart="${escapeXml(attrs.chart)}"${attrs.empty ? ' data-empty="true"' : ''} ${FONT}>${body}</svg>`;
}

export function emptySvg(chart: string, label: string, text: string): string {
  return svg({ chart, width: 720, height: 40, label, empty: true }, `<text x="8" y="24" fill="#6e7781">${escapeXml(text)}</text>`);
}

export interface HourlyRow {
  device: string;
  /** WIB, WITA, WIT or an offset: the hours are this zone's */
  zone: string;
  /** punches per local hour, index 0 = 00:00–01:00; 24 entries */
  counts: readonly number[];
}

export const pad2 = (n: number): string => String(n).padStart(2, '0');

/** One row of 24 bars per device, all rows on one scale so devices compare. */
export function hourlyPunchesSvg(rows: readonly HourlyRow[], text: { label: string; empty: string }): string {
  if (rows.length === 0) return emptySvg('punches-per-hour', text.label, text.empty);
  const left = 150, right = 50, rowHeight = 44, top = 8, width = 720;
  const barSlot = (width - left - right) / 24;
  const max = Math.max(1, ...rows.flatMap((r) => r.counts));
  const marks = rows.map((row, i) => {
    const baseline = top + (i + 1) * rowHeight - 6;
    const total = row.counts.reduce((a, b) => a + b, 0);
    const bars = row.counts.map((count, hour) => {
      if (count <= 0) return '';
      const h = Math.max(1, round((count / max) * (rowHeight - 12)));
      const tip = `${row.device} ${pad2(hour)}:00–${pad2(hour + 1)}:00 ${row.zone}: ${count}`;
      return `<rect x="${round(left + hour * barSlot + 1)}" y="${round(baseline - h)}" width="${round(barSlot - 2)}" height="${h}" fill="${colorOf(i)}" data-device="${escapeXml(row.device)}" data-hour="${hour}" data-count="${count}"><title>${escapeXml(tip)}</title></rect>`;
    });
    return [
      `<text x="4" y="${baseline - 4}">${escapeXml(row.device)} <tspan fill="#6e7781">${escapeXml(row.zone)}</tspan></text>`,
      `<line x1="${left}" y1="${baseline}" x2="${width - right}" y2="${baseline}" stroke="#d0d7de"/>`,
      ...bars,
      `<text x="${width - right + 6}" y="${baseline - 4}" data-total="${total}">${total}</text>`,
    ].join('');
  });
  const axisY = top + rows.length * rowHeight + 10;
  const ticks = [0, 6, 12, 18, 24].map((h) => `<text x="${round(left + h * barSlot)}" y="${axisY}" text-anchor="middle" fill="#6e7781">${pad2(h)}:00</text>`);
  return svg({ chart: 'punches-per-hour', width, height: axisY + 6, label: text.label }, [...marks, ...ticks].join(''));
}

export interface Series {
  name: string;
  /** [epoch ms, value], oldest first */
  points: readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  chart: string;
  label: string;
  empty: string;
  fromMs: number;
  toMs: number;
  /** zone the time axis is labelled in (the gateway's) */
  zone: string;
  formatValue(value: number): string;
}

/** One line per series over [fromMs, toMs], value axis from 0 to the largest value. */
export function lineChartSvg(series: readonly Series[], o: LineChartOptions): string {
  const drawn = series.filter((s) => s.points.length > 0);
  if (drawn.length === 0 || o.toMs <= o.fromMs) return emptySvg(o.chart, o.label, o.empty);
  const width = 720, height = 180, left = 70, right = 16, top = 12, bottom = 40;
  const max = Math.max(1, ...drawn.flatMap((s) => s.points.map((p) => p[1])));
  const x = (ms: number): number => round(left + ((Math.min(Math.max(ms, o.fromMs), o.toMs) - o.fromMs) / (o.toMs - o.fromMs)) * (width - left - right));
  const y = (v: number): number => round(top + (1 - v / max) * (height - top - bottom));
  const lines = drawn.map((s, i) => {
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p[0])} ${y(p[1])}`).join(' ');
    const last = s.points[s.points.length - 1] as readonly [number, number];
    const tip = `${s.name}: ${o.formatValue(last[1])}`;
    return `<path d="${d}" fill="none" stroke="${colorOf(i)}" stroke-width="2" stroke-linejoin="round" data-series="${escapeXml(s.name)}"><title>${escapeXml(tip)}</title></path>`
      + `<circle cx="${x(last[0])}" cy="${y(last[1])}" r="3" fill="${colorOf(i)}"><title>${escapeXml(tip)}</title></circle>`;
  });
  const legend = drawn.map((s, i) => `<text x="${left + i * 140}" y="${height - 6}" fill="${colorOf(i)}">■ ${escapeXml(s.name)}</text>`);
  const axes = [
    `<line x1="${left}" y1="${y(0)}" x2="${width - right}" y2="${y(0)}" stroke="#d0d7de"/>`,
    `<line x1="${left}" y1="${y(max)}" x2="${width - right}" y2="${y(max)}" stroke="#d0d7de" stroke-dasharray="3 3"/>`,
    `<text x="${left - 6}" y="${y(max) + 4}" text-anchor="end" fill="#6e7781">${escapeXml(o.formatValue(max))}</text>`,
    `<text x="${left - 6}" y="${y(0) + 4}" text-anchor="end" fill="#6e7781">0</text>`,
    ...hourTicks(o.fromMs, o.toMs, o.zone).map((ms) => {
      const t = wallTimeIn(o.zone, ms);
      return `<text x="${x(ms)}" y="${y(0) + 14}" text-anchor="middle" fill="#6e7781">${pad2(t.hour)}:${pad2(t.minute)}</text>`;
    }),
  ];
  return svg({ chart: o.chart, width, height, label: o.label }, [...axes, ...lines, ...legend].join(''));
}

/** Instants in [from, to] where the zone's wall clock is on a multiple of 6 hours (at most 5 of them). */
function hourTicks(fromMs: number, toMs: number, zone: string): number[] {
  const step = (toMs - fromMs) / 3_600_000 > 12 ? 6 : (toMs - fromMs) / 3_600_000 > 3 ? 1 : 0;
  if (step === 0) return [fromMs, toMs];
  const ticks: number[] = [];
  for (let ms = Math.ceil(fromMs / 3_600_000) * 3_600_000; ms <= toMs && ticks.length < 25; ms += 3_600_000) {
    if (wallTimeIn(zone, ms).hour % step === 0 && wallTimeIn(zone, ms).minute === 0) ticks.push(ms);
  }
  return ticks.length > 5 ? ticks.filter((_, i) => i % Math.ceil(ticks.length / 5) === 0) : ticks;
}
