// What counts as loopback: the real loopback literals and the name `localhost`, nothing else.
// Invariants:
// - Addresses are parsed (net.isIP), never matched as text: 127.0.0.0/8, ::1 and the IPv4-mapped
//   ::ffff:127.0.0.0/104 in any spelling (::ffff:7f00:1, 0:0:…:1) are loopback; a name that merely
//   starts with `127.` (`127.0.0.1.nip.io`, which resolves wherever its DNS says) is not.
// - The only name taken as loopback is `localhost` (any case, with or without the root dot): it is
//   what the resolver and browsers keep on the machine itself (RFC 6761 §6.3).
// - Brackets around an IPv6 address ([::1], as URLs write it) are accepted.
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** `[::1]` → `::1`; anything else as it is. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export function isLoopbackHost(host: string): boolean {
  const bare = unbracket(host.trim());
  if (/^localhost\.?$/i.test(bare)) return true;
  return isLoopbackAddress(bare);
}
