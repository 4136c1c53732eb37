// Decides which punches are too large for the MQTT broker, so one poison punch is dead-lettered
// alone while every other punch keeps flowing (DESIGN.md "Trust at the edge": one punch can never
// stop the others). Pure bookkeeping: no I/O, no clock; the publisher reports what happened.
// Invariants:
// - A punch is refused before it is written only when its PUBLISH packet is larger than a limit
//   the broker itself gave: the Maximum Packet Size of this connection's MQTT 5 CONNACK, or the
//   size of a packet that was already convicted below (a broker refuses by size, so anything at
//   least that large is refused too: a flood of poison punches costs a few drops, not three
//   each). That learned bound never covers a size that is not clearly larger than what the
//   broker acknowledged, and a PUBACK for a packet that large forgets it.
// - Conviction without an announced limit (MQTT 3.1.1; Mosquitto's max_packet_size for 3.1.1
//   clients; a broker that just drops the connection) needs all of:
//   1. the connection dropped while the punch awaited its PUBACK, with no sign that the broker
//      ended it for another reason (a v5 DISCONNECT with a reason other than 0x95 "packet too
//      large", a keepalive timeout: the publisher reports those as `benign`; our own end never
//      reaches the guard);
//   2. the punch is clearly larger than anything this broker ever acknowledged (more than
//      SUSPICION_FACTOR times the largest PUBACKed packet): a size the broker has taken can never be
//      the reason, and ordinary punches, all of a size, never become suspects in an outage;
//   3. two such drops while it was the only punch in flight, with no other packet out that is
//      larger than the largest acknowledged one (the publisher sends a suspect alone: everything
//      before it PUBACKed, nothing after it written until it settles). A drop with other punches
//      aboard (the batch that first made it a suspect) only makes it a suspect, never a strike.
//   A suspect that is PUBACKed is cleared at once. A genuine outage does not correlate with one
//   punch: it would have to cut the connection twice exactly while that punch, unusually large,
//   travelled alone.
// - Suspects are few (at most MAX_SUSPECTS, oldest forgotten first), so hostile input cannot grow memory.

export const SUSPICION_FACTOR = 1.5;
export const STRIKES_TO_CONVICT = 2;
export const MAX_SUSPECTS = 32;

export interface InFlightPacket {
  /** set for punches; statuses are in flight too but are never convicted */
  punchId?: string;
  bytes: number;
}

export type SizeVerdict =
  | { fits: true }
  | { fits: false; limitBytes: number; basis: 'announced' | 'convicted'; reason: string };

export interface Conviction {
  punchId: string;
  bytes: number;
  reason: string;
}

export type DropCause = 'suspicious' | 'benign';

interface Suspect {
  bytes: number;
  strikes: number;
}

export class OversizeGuard {
  /** Maximum Packet Size of the current connection's CONNACK (MQTT 5), if any */
  private announcedBytes: number | undefined;
  /** the smallest packet convicted of being too large; anything this size or larger is refused */
  private convictedBytes = Number.POSITIVE_INFINITY;
  private largestAcked = 0;
  private readonly suspects = new Map<string, Suspect>();

  /** A new connection: its CONNACK's Maximum Packet Size (undefined: none announced). */
  connected(maximumPacketSize: number | undefined): void {
    this.announcedBytes = maximumPacketSize !== undefined && maximumPacketSize > 0 ? maximumPacketSize : undefined;
  }

  get largestAckedBytes(): number {
    return this.largestAcked;
  }

  get hasSuspects(): boolean {
    return this.suspects.size > 0;
  }

  isSuspect(punchId: string): boolean {
    return this.suspects.has(punchId);
  }

  verdict(bytes: number): SizeVerdict {
    if (this.announcedBytes !== undefined && bytes > this.announcedBytes) {
      return { fits: false, limitBytes: this.announcedBytes, basis: 'announced', reason: `PUBLISH packet of ${bytes} bytes exceeds the broker's Maximum Packet Size of ${this.announcedBytes} bytes (MQTT 5 CONNACK)` };
    }
    if (bytes >= this.convictedBytes && bytes > SUSPICION_FACTOR * this.largestAcked) {
      return { fits: false, limitBytes: this.convictedBytes - 1, basis: 'convicted', reason: `PUBLISH packet of ${bytes} bytes is at least as large as the ${this.convictedBytes}-byte packet the broker refused by dropping the connection` };
    }
    return { fits: true };
  }

  acked(packet: InFlightPacket): void {
    if (packet.bytes > this.largestAcked) this.largestAcked = packet.bytes;
    // the broker took a packet this large after all: what was learned from drops no longer holds
    if (this.largestAcked >= this.convictedBytes) this.convictedBytes = Number.POSITIVE_INFINITY;
    if (packet.punchId !== undefined) this.suspects.delete(packet.punchId);
  }

  /** The connection dropped with these packets awaiting PUBACK. Returns a conviction, if one is due. */
  dropped(inFlight: readonly InFlightPacket[], cause: DropCause): Conviction | undefined {
    if (cause === 'benign') return undefined;
    const unproven = inFlight.filter((p) => p.bytes > this.largestAcked);
    const top = largestPunch(unproven.filter((p) => p.bytes > SUSPICION_FACTOR * this.largestAcked));
    if (!top) return undefined;
    // alone: the only punch in flight, and no other packet of a size the broker never took
    const alone = unproven.length === 1 && inFlight.filter((p) => p.punchId !== undefined).length === 1;
    const suspect = this.suspects.get(top.punchId) ?? this.addSuspect(top.punchId, top.bytes);
    if (alone) suspect.strikes += 1;
    if (suspect.strikes < STRIKES_TO_CONVICT) return undefined;
    this.suspects.delete(top.punchId);
    this.convictedBytes = Math.min(this.convictedBytes, top.bytes);
    return {
      punchId: top.punchId,
      bytes: top.bytes,
      reason: `too large for the broker: the connection dropped each of the ${suspect.strikes} times this ${top.bytes}-byte PUBLISH was sent alone; the largest packet the broker acknowledged was ${this.largestAcked} bytes`,
    };
  }

  private addSuspect(punchId: string, bytes: number): Suspect {
    if (this.suspects.size >= MAX_SUSPECTS) this.suspects.delete(this.suspects.keys().next().value as string);
    const suspect = { bytes, strikes: 0 };
    this.suspects.set(punchId, suspect);
    return suspect;
  }
}

/**
 * Splits a batch into runs that may be published at once: every suspect is a run of its own, so it
 * travels alone, after everything before it and before everything after it.
 */
export function segmentsAroundSuspects<T extends { punch: { id: string } }>(items: readonly T[], isSuspect: (id: string) => boolean): T[][] {
  const segments: T[][] = [];
  let run: T[] = [];
  for (const item of items) {
    if (!isSuspect(item.punch.id)) {
      run.push(item);
      continue;
    }
    if (run.length > 0) segments.push(run);
    segments.push([item]);
    run = [];
  }
  if (run.length > 0) segments.push(run);
  return segments;
}

function largestPunch(packets: readonly InFlightPacket[]): (InFlightPacket & { punchId: string }) | undefined {
  let top: (InFlightPacket & { punchId: string }) | undefined;
  for (const p of packets) {
    if (p.punchId !== undefined && (!top || p.bytes > top.bytes)) top = { punchId: p.punchId, bytes: p.bytes };
  }
  return top;
}
