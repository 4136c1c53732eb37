// "In order per device": the first arrival of each punch at the centre must come in commit (seq)
// order for its device. Re-deliveries after a reconnect may repeat older punches; they are not
// violations, but a punch first seen after a younger one of the same device is.

export interface Arrival {
  device: string;
  seq: number;
}

/** Returns the out-of-order first arrivals, as `device: seq after seq`. */
export function firstArrivalOrderViolations(arrivals: Iterable<Arrival>): string[] {
  const seen = new Set<number>();
  const lastByDevice = new Map<string, number>();
  const violations: string[] = [];
  for (const { device, seq } of arrivals) {
    if (seen.has(seq)) continue;
    seen.add(seq);
    const last = lastByDevice.get(device) ?? 0;
    if (seq < last) violations.push(`${device}: ${seq} after ${last}`);
    else lastByDevice.set(device, seq);
  }
  return violations;
}
