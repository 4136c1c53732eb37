// One punch's path as SVG, for the status page's "is my punch here?" search: the terminal's time,
// the commit in the gateway's buffer, then each sink's delivery (or why not yet), left to right
// with the delay between steps. Pure, like svg.ts, whose rules it follows (every text escaped,
// presentation attributes only, a small SVG of its own for no step).
import { emptySvg, escapeXml, svg } from './svg.js';

export interface PathStep {
  /** what this step is: the terminal, the gateway's buffer, a sink */
  label: string;
  /** done: it happened at `at`; waiting: not yet; failed: refused for good */
  state: 'done' | 'waiting' | 'failed';
  /** when, already formatted with its zone (device time with WIB, gateway times in UTC) */
  time?: string | undefined;
  /** the instant, for the delay to the step before */
  atMs?: number | undefined;
  /** a word under it: the state, a reason */
  note?: string | undefined;
}

const STEP_COLORS = { done: '#1a7f37', waiting: '#9a6700', failed: '#cf222e' } as const;

/** How long from one step to the next, compactly ("+2 s", "+5 min", "+3.2 h", "+2.0 d"). */
export function delayText(ms: number): string {
  const sec = ms / 1000;
  const sign = sec < 0 ? '−' : '+';
  const abs = Math.abs(sec);
  if (abs < 60) return `${sign}${Math.round(abs)} s`;
  if (abs < 3600) return `${sign}${Math.round(abs / 60)} min`;
  if (abs < 86_400) return `${sign}${(abs / 3600).toFixed(1)} h`;
  return `${sign}${(abs / 86_400).toFixed(1)} d`;
}

/** The steps left to right, joined by lines (dashed to a step not reached), the delay on each join. */
export function punchPathSvg(steps: readonly PathStep[], text: { label: string; empty: string }): string {
  if (steps.length === 0) return emptySvg('punch-path', text.label, text.empty);
  const gap = 200, left = 90, cy = 30;
  const width = left * 2 + gap * (steps.length - 1);
  const cx = (i: number): number => left + i * gap;
  const joins = steps.slice(1).map((step, k) => {
    const before = steps[k] as PathStep;
    const delay = step.atMs !== undefined && before.atMs !== undefined ? delayText(step.atMs - before.atMs) : '';
    const dash = step.state === 'done' ? '' : ' stroke-dasharray="5 4"';
    return `<line x1="${cx(k) + 9}" y1="${cy}" x2="${cx(k + 1) - 9}" y2="${cy}" stroke="${STEP_COLORS[step.state]}" stroke-width="2"${dash}/>`
      + (delay ? `<text x="${cx(k) + gap / 2}" y="${cy - 8}" text-anchor="middle" fill="#6e7781" data-delay="${escapeXml(delay)}">${escapeXml(delay)}</text>` : '');
  });
  const nodes = steps.map((step, i) => {
    const color = STEP_COLORS[step.state];
    const fill = step.state === 'waiting' ? 'none' : color;
    const lines = [step.time, step.note].filter((l): l is string => l !== undefined && l !== '');
    return `<g data-step="${escapeXml(step.label)}" data-state="${step.state}"><circle cx="${cx(i)}" cy="${cy}" r="8" fill="${fill}" stroke="${color}" stroke-width="2"/>`
      + `<text x="${cx(i)}" y="${cy + 26}" text-anchor="middle" font-weight="600">${escapeXml(step.label)}</text>`
      + lines.map((l, k) => `<text x="${cx(i)}" y="${cy + 42 + k * 15}" text-anchor="middle" fill="#6e7781">${escapeXml(l)}</text>`).join('')
      + `<title>${escapeXml([step.label, ...lines].join(' · '))}</title></g>`;
  });
  return svg({ chart: 'punch-path', width, height: cy + 80, label: text.label }, [...joins, ...nodes].join(''));
}
