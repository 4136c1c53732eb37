// Source addresses of push requests: one spelling per host, and the allow lists of `allowFrom`.
// Invariants:
// - An IPv4-mapped IPv6 address (`::ffff:192.168.1.5`, what a listener bound to `::` sees) is
//   the IPv4 address, in requests and in allowFrom entries alike: one terminal has one address
//   whichever way the listener is bound. Scope ids (`fe80::1%eth0`) are dropped.
// - allowFrom entries are validated when the config loads (an IPv4/IPv6 address, or one with a
//   /prefix); `AddressList.admits` matches with node:net's BlockList, never by string prefix.
// - Something that is no IP address at all is admitted by no list.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/;

/** `::ffff:10.0.0.5` → `10.0.0.5`; IPv6 lower-cased, scope id dropped; anything else as given. */
export function normalizeAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const scope = lower.indexOf('%');
  const bare = scope >= 0 ? lower.slice(0, scope) : lower;
  return MAPPED_V4.exec(bare)?.[1] ?? bare;
}

interface AddressEntry {
  address: string;
  family: 'ipv4' | 'ipv6';
  /** absent: this one address */
  prefix?: number;
}

/** `192.168.1.5`, `10.0.0.0/8`, `fd00::/8`, `::ffff:10.0.0.0/104` → the entry; undefined when malformed. */
export function parseAddressEntry(text: string): AddressEntry | undefined {
  const [rawAddress = '', rawPrefix, ...rest] = text.trim().split('/');
  if (rest.length > 0 || rawAddress.includes('%') || (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix))) return undefined;
  const address = normalizeAddress(rawAddress);
  const family = isIP(address);
  if (family === 0) return undefined;
  if (rawPrefix === undefined) return { address, family: family === 4 ? 'ipv4' : 'ipv6' };
  // a mapped entry's prefix counts the 96 bits of ::ffff: too
  const prefix = Number(rawPrefix) - (MAPPED_V4.test(rawAddress.toLowerCase()) ? 96 : 0);
  if (prefix < 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, family: family === 4 ? 'ipv4' : 'ipv6', prefix };
}

/** The `allowFrom` key of a push device entry. */
export const allowFromSchema = z
  .array(
    z.string().refine((entry) => parseAddressEntry(entry) !== undefined, {
      error: (issue) => `expected an IP address or CIDR such as 192.168.1.201, 192.168.10.0/24 or fd00::/64, got "${String(issue.input)}"`,
    }),
  )
  .min(1, 'list at least one address or CIDR (leave allowFrom out to accept any source)')
  .describe('source addresses (IPv4/IPv6, or CIDR) this terminal may call from; a request from any other address is refused (403) and never committed');

/** The addresses of an `allowFrom` list. */
export class AddressList {
  private readonly list = new BlockList();

  constructor(readonly entries: readonly string[]) {
    for (const text of entries) {
      const entry = parseAddressEntry(text);
      if (!entry) throw new Error(`not an address or CIDR: ${JSON.stringify(text)}`);
      if (entry.prefix === undefined) this.list.addAddress(entry.address, entry.family);
      else this.list.addSubnet(entry.address, entry.prefix, entry.family);
    }
  }

  admits(address: string): boolean {
    const normal = normalizeAddress(address);
    const family = isIP(normal);
    if (family === 0) return false;
    return this.list.check(normal, family === 4 ? 'ipv4' : 'ipv6');
  }
}
