// Turns the API's and CLI's time parameters into bounds on the buffer's `utc` column.
// Invariants:
// - Output is formatted exactly like punch/v1 `utc` (`YYYY-MM-DDTHH:mm:ssZ`), so string order in
//   SQLite is time order.
// - A date alone means that whole day in the gateway's zone: as `since` its first second, as
//   `until` (exclusive) the first second of the next day. A time without offset is a wall time in
//   the gateway's zone, like the times printed on the terminals.
import { formatUtc, resolveLocalTime } from '../punch/time.js';

export type BoundEdge = 'since' | 'until';

/** Epoch ms of a time parameter, or undefined when it cannot be read. */
export function parseTimeParam(text: string, zone: string, edge: BoundEdge): number | undefined {
  const value = text.trim().replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = resolveLocalTime(`${value}T00:00:00`, zone)?.epochMs;
    if (start === undefined || edge === 'since') return start;
    const next = new Date(Date.parse(`${value}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    return resolveLocalTime(`${next}T00:00:00`, zone)?.epochMs;
  }
  if (/(?:Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::(\d{2}))?(?:\.(\d{1,3}))?$/.exec(value);
  if (!match) return undefined;
  const wall = resolveLocalTime(`${match[1]}:${match[2] ?? '00'}`, zone);
  if (!wall || Number.isNaN(wall.epochMs)) return undefined;
  return wall.epochMs + Number((match[3] ?? '0').padEnd(3, '0'));
}

/** The `utc` bound for a parameter: `since` rounds down to the second, `until` rounds up. */
export function utcBound(text: string, zone: string, edge: BoundEdge): string | undefined {
  const ms = parseTimeParam(text, zone, edge);
  if (ms === undefined) return undefined;
  const rounded = edge === 'since' ? Math.floor(ms / 1000) * 1000 : Math.ceil(ms / 1000) * 1000;
  return formatUtc(rounded);
}
