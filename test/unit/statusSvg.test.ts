// The status page's SVG builders (src/api/statusPage/svg.ts) and the backlog sampler
// (src/api/backlogSampler.ts) and punch path (punchPathSvg.ts): shape of the markup for given data, empty data, escaping, bounds.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { BacklogSampler, sinkSeries, type SinkSample } from '../../src/api/backlogSampler.js';
import { delayText, punchPathSvg } from '../../src/api/statusPage/punchPathSvg.js';
import { escapeXml, hourlyPunchesSvg, lineChartSvg } from '../../src/api/statusPage/svg.js';

const TEXT = { label: 'Absen per jam', empty: 'Tidak ada perangkat aktif.' };
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['rect', 'path', 'text', 'circle', 'line', 'g'].includes(name) });

/** Well-formed XML with an <svg> root; the parsed root. */
function parse(svg: string): Record<string, unknown> & { rect?: Record<string, string>[]; path?: Record<string, string>[]; text?: unknown[] } {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = parser.parse(svg) as { svg?: Record<string, unknown> };
  expect(doc.svg).toBeDefined();
  return doc.svg as ReturnType<typeof parse>;
}

const hours = (entries: Record<number, number>): number[] => Array.from({ length: 24 }, (_, h) => entries[h] ?? 0);

describe('hourlyPunchesSvg', () => {
  it('draws one bar per hour with punches, on one scale for every device, with totals', () => {
    const svg = hourlyPunchesSvg([
      { device: 'lobby-1', zone: 'WIB', counts: hours({ 7: 40, 8: 10, 16: 20 }) },
      { device: 'gate-2', zone: 'WIT', counts: hours({ 7: 20 }) },
      { device: 'idle-3', zone: 'WITA', counts: hours({}) },
    ], TEXT);
    const root = parse(svg);
    expect(root['data-chart']).toBe('punches-per-hour');
    expect(root['aria-label']).toBe('Absen per jam');
    const rects = root.rect ?? [];
    expect(rects.map((r) => [r['data-device'], Number(r['data-hour']), Number(r['data-count'])])).toEqual([
      ['lobby-1', 7, 40], ['lobby-1', 8, 10], ['lobby-1', 16, 20], ['gate-2', 7, 20],
    ]);
    const height = (device: string, hour: number): number => Number(rects.find((r) => r['data-device'] === device && Number(r['data-hour']) === hour)?.height);
    expect(height('lobby-1', 7)).toBe(2 * height('gate-2', 7));
    expect(height('lobby-1', 7)).toBe(4 * height('lobby-1', 8));
    expect(rects.every((r) => Number(r.width) > 0 && Number(r.height) > 0)).toBe(true);
    expect(Number(rects[1]?.x)).toBeGreaterThan(Number(rects[0]?.x));
    expect(svg).toContain('data-total="70"');
    expect(svg).toContain('data-total="0"');
    expect(svg).toContain('lobby-1 07:00–08:00 WIB: 40');
  });

  it('says so for no device, in a small SVG of its own', () => {
    const root = parse(hourlyPunchesSvg([], TEXT));
    expect(root['data-empty']).toBe('true');
    expect(root.rect).toBeUndefined();
    expect(JSON.stringify(root.text)).toContain('Tidak ada perangkat aktif.');
  });

  it('escapes every text from data', () => {
    const svg = hourlyPunchesSvg([{ device: '<script>alert(1)</script>&"\'', zone: '<b>', counts: hours({ 3: 1 }) }], { label: 'a"b<c', empty: '' });
    parse(svg);
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&apos;');
    expect(svg).toContain('aria-label="a&quot;b&lt;c"');
    expect(svg).not.toMatch(/\son[a-z]+=|style=|href=/i);
  });
});

describe('lineChartSvg', () => {
  const FROM = Date.parse('2026-01-19T00:00:00Z');
  const TO = FROM + 24 * 3_600_000;
  const options = { chart: 'backlog', label: 'Antrean', empty: 'Belum ada data', fromMs: FROM, toMs: TO, zone: 'Asia/Jakarta', formatValue: (v: number) => `${v} absen` };

  it('draws one path per series from left to right, 0 at the bottom and the largest value at the top', () => {
    const svg = lineChartSvg([
      { name: 'mqtt', points: [[FROM, 0], [FROM + 12 * 3_600_000, 500], [TO, 250]] },
      { name: 'https', points: [[FROM, 100], [TO, 100]] },
    ], options);
    const root = parse(svg);
    const paths = root.path ?? [];
    expect(paths.map((p) => p['data-series'])).toEqual(['mqtt', 'https']);
    const coords = (d: string): number[][] => d.split(/\s*[ML]/).filter(Boolean).map((pair) => pair.trim().split(' ').map(Number));
    const mqtt = coords(paths[0]?.d ?? '');
    expect(mqtt).toHaveLength(3);
    expect(mqtt[0]![0]).toBeLessThan(mqtt[1]![0]!);
    expect(mqtt[1]![0]).toBeLessThan(mqtt[2]![0]!);
    expect(mqtt[1]![1]).toBeLessThan(mqtt[2]![1]!); // 500 above 250 (SVG y grows downwards)
    expect(mqtt[2]![1]).toBeLessThan(mqtt[0]![1]!);
    expect(mqtt[1]![0]! - mqtt[0]![0]!).toBeCloseTo(mqtt[2]![0]! - mqtt[1]![0]!, 0);
    expect(svg).toContain('500 absen');
    // the time axis in the gateway zone: 00:00Z is 07:00 WIB
    expect(svg).toMatch(/>12:00</);
    expect(svg).not.toMatch(/>07:30</);
  });

  it('says so with no series or no point', () => {
    expect(parse(lineChartSvg([], options))['data-empty']).toBe('true');
    expect(parse(lineChartSvg([{ name: 'mqtt', points: [] }], options))['data-empty']).toBe('true');
  });

  it('escapes series names', () => {
    const svg = lineChartSvg([{ name: '"><script>x</script>', points: [[FROM, 1], [TO, 2]] }], options);
    parse(svg);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('data-series="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials and nothing else', () => {
    expect(escapeXml(`a&b<c>d"e'f ü 07:00–08:00`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f ü 07:00–08:00');
  });
});

describe('BacklogSampler', () => {
  const reading = (pending: number): SinkSample[] => [{ sink: 'mqtt', pending, oldestPendingAgeSec: pending * 10 }];

  it('keeps a bounded window: samples older than the window go, and never more than its capacity', () => {
    let pending = 0;
    const sampler = new BacklogSampler(() => reading(pending), { intervalMs: 60_000, windowMs: 3_600_000 });
    expect(sampler.capacity).toBe(61);
    const start = Date.parse('2026-01-19T00:00:00Z');
    for (let i = 0; i < 200; i += 1) {
      pending = i;
      sampler.sample(start + i * 60_000);
    }
    expect(sampler.size).toBe(61);
    const series = sampler.series(start + 199 * 60_000);
    expect(series[0]?.atMs).toBe(start + 139 * 60_000);
    expect(series.at(-1)?.sinks[0]?.pending).toBe(199); // the live reading at the end
    // a clock that jumps ahead empties the window, one that jumps back keeps the bound
    sampler.sample(start + 1000 * 60_000);
    expect(sampler.size).toBe(1);
    for (let i = 0; i < 100; i += 1) sampler.sample(start);
    expect(sampler.size).toBeLessThanOrEqual(61);
  });

  it('skips a closed buffer, and gives one series per sink', () => {
    let open = false;
    const sampler = new BacklogSampler(() => (open ? [...reading(3), { sink: 'https', pending: 1, oldestPendingAgeSec: 5 }] : undefined));
    sampler.sample(1_000);
    expect(sampler.size).toBe(0);
    open = true;
    sampler.sample(2_000);
    const series = sinkSeries(sampler.series(3_000), (s) => s.oldestPendingAgeSec);
    expect(series).toEqual([
      { name: 'mqtt', points: [[2_000, 30], [3_000, 30]] },
      { name: 'https', points: [[2_000, 5], [3_000, 5]] },
    ]);
  });
});

describe('punchPathSvg', () => {
  const T0 = Date.parse('2026-01-19T00:31:05Z');
  const steps = [
    { label: 'Terminal lobby-1', state: 'done' as const, time: '2026-01-19 07:31:05 WIB', atMs: T0, note: 'PIN 00123' },
    { label: 'Tersimpan di gateway', state: 'done' as const, time: '2026-01-19 07:31:07 WIB', atMs: T0 + 2_000 },
    { label: 'mqtt', state: 'done' as const, time: '2026-01-19 07:36:07 WIB', atMs: T0 + 302_000, note: 'terkirim' },
    { label: 'https', state: 'waiting' as const, note: 'menunggu' },
    { label: 'old', state: 'failed' as const, note: 'ditolak permanen: 422 <pin>' },
  ];

  it('draws the steps left to right with their state, times and the delay between them', () => {
    const svg = punchPathSvg(steps, { label: 'Jalur absen', empty: '-' });
    const root = parse(svg);
    expect(root['data-chart']).toBe('punch-path');
    const groups = (root.g ?? []) as Record<string, unknown>[];
    expect(groups.map((g) => [g['data-step'], g['data-state']])).toEqual([
      ['Terminal lobby-1', 'done'], ['Tersimpan di gateway', 'done'], ['mqtt', 'done'], ['https', 'waiting'], ['old', 'failed'],
    ]);
    const xs = groups.map((g) => Number((g.circle as Record<string, string>[])[0]?.cx));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(5);
    expect(svg).toContain('data-delay="+2 s"');
    expect(svg).toContain('data-delay="+5 min"');
    expect(svg.match(/data-delay=/g)).toHaveLength(2); // no delay to a step without a time
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2); // the joins to the steps not reached
    expect(svg).toContain('2026-01-19 07:31:05 WIB');
    expect(svg).toContain('ditolak permanen: 422 &lt;pin&gt;');
    expect(svg).not.toContain('<pin>');
  });

  it('says so with no step', () => {
    expect(parse(punchPathSvg([], { label: 'x', empty: 'Tidak ada absensi.' }))['data-empty']).toBe('true');
  });

  it('writes delays compactly, either way', () => {
    expect([0, 59_000, 60_000, 3_599_000, 3_600_000, 86_400_000 * 2, -5_000].map(delayText)).toEqual(['+0 s', '+59 s', '+1 min', '+60 min', '+1.0 h', '+2.0 d', '−5 s']);
  });
});
