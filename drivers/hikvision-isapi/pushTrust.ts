// Who may push events for one Hikvision terminal (DESIGN.md "Trust at the edge").
// Invariants:
// - With allowFrom, events are taken from its addresses only. Without it, with `host`, from the
//   host's own address only: an IP literal as written, a name as resolved (cached HOST_TTL_MS and
//   looked up again, at most that often, when an unlisted address calls). With neither the entry
//   is unauthenticated: anyone may push (check warns, /api/devices says so).
// - With macAddress, an event whose macAddress is missing or another one is refused; the MAC is in
//   the body, so it is a check against mistakes, not against a forger (who can copy it).
// - A name that cannot be resolved admits no one: the terminal is refused until it resolves.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AddressList, normalizeAddress } from '../../src/push/addresses.js';

const HOST_TTL_MS = 60_000;

export type Resolve = (host: string) => Promise<string[]>;

const lookupAll: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

const sameMac = (a: string, b: string): boolean => a.replace(/-/g, ':').toLowerCase() === b.replace(/-/g, ':').toLowerCase();

export class HikPushTrust {
  private readonly allowFrom: AddressList | undefined;
  private readonly host: string | undefined;
  private hostAddresses = new Set<string>();
  private resolvedAtMs = Number.NEGATIVE_INFINITY;
  private resolving: Promise<void> | undefined;

  constructor(
    private readonly cfg: { allowFrom?: readonly string[] | undefined; host?: string | undefined; macAddress?: string | undefined },
    private readonly resolve: Resolve = lookupAll,
  ) {
    this.allowFrom = cfg.allowFrom ? new AddressList(cfg.allowFrom) : undefined;
    this.host = cfg.allowFrom ? undefined : cfg.host;
    if (this.host && isIP(normalizeAddress(this.host))) {
      this.hostAddresses = new Set([normalizeAddress(this.host)]);
      this.resolvedAtMs = Number.POSITIVE_INFINITY;
    }
  }

  /** Does anything authenticate the pushing terminal (allowFrom, or a host to compare with)? */
  get authenticated(): boolean {
    return this.allowFrom !== undefined || this.host !== undefined;
  }

  /** Synchronous (connection limits): allowFrom, or the host's addresses as last resolved. */
  knowsAddress(address: string): boolean {
    if (this.allowFrom) return this.allowFrom.admits(address);
    return this.hostAddresses.has(normalizeAddress(address));
  }

  async admitsSource(address: string): Promise<boolean> {
    if (this.allowFrom) return this.allowFrom.admits(address);
    if (!this.host) return true;
    if (this.knowsAddress(address)) return true;
    if (Date.now() - this.resolvedAtMs < HOST_TTL_MS) return false;
    await this.refreshHost();
    return this.knowsAddress(address);
  }

  /** With macAddress configured: the event must carry that MAC. */
  macMatches(eventMac: string | undefined): boolean {
    if (!this.cfg.macAddress) return true;
    return eventMac !== undefined && sameMac(this.cfg.macAddress, eventMac);
  }

  private refreshHost(): Promise<void> {
    this.resolving ??= this.resolve(this.host as string)
      .then(
        (addresses) => {
          this.hostAddresses = new Set(addresses.map(normalizeAddress));
        },
        () => {
          this.hostAddresses = new Set();
        },
      )
      .finally(() => {
        this.resolvedAtMs = Date.now();
        this.resolving = undefined;
      });
    return this.resolving;
  }
}
