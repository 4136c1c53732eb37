// Upload stamps (zk-push.md "Stamps"): the last `Stamp=` of each table, kept in the checkpoint
// store and echoed in the handshake reply as `<TABLE>Stamp=`.
// Invariants:
// - A stamp is 1 to 20 digits. Anything else in `Stamp=` (a newline followed by `TimeZone=-12`,
//   say) is never stored, and a stored value that is not a stamp (written by an older version) is
//   echoed as `None`: no request text reaches a reply through a stamp (DESIGN.md "Trust at the edge").
// - Stamps are kept only for the tables the protocol has (tables.ts UPLOAD_TABLES), so the
//   checkpoint stays bounded whatever table names arrive.
export const STAMPS_KEY = 'stamps';

export type Stamps = Record<string, string>;

const STAMP = /^\d{1,20}$/;

export function isStamp(value: unknown): value is string {
  return typeof value === 'string' && STAMP.test(value);
}

/** What the handshake says for `table`: its stored stamp when it is one, else `None` (upload everything). */
export function echoedStamp(stored: unknown, table: string): string {
  const value = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>)[table] : undefined;
  return isStamp(value) ? value : 'None';
}

/** The stamps to store after an upload of `table` carrying `stamp`; only the valid stored ones are kept. */
export function withStamp(stored: unknown, table: string, stamp: string): Stamps {
  const kept: Stamps = {};
  if (typeof stored === 'object' && stored !== null) {
    for (const [key, value] of Object.entries(stored as Record<string, unknown>)) if (isStamp(value)) kept[key] = value;
  }
  kept[table] = stamp;
  return kept;
}
