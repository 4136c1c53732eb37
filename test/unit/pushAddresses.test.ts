// allowFrom entries and source addresses (src/push/addresses.ts): IPv4, IPv6, CIDR, IPv4-mapped
// IPv6 written either way, scope ids, and what the config refuses. Table-driven.
import { describe, expect, it } from 'vitest';
import { AddressList, allowFromSchema, normalizeAddress } from '../../src/push/addresses.js';

const LIST = new AddressList(['192.168.1.201', '10.20.0.0/16', 'fd00:ab::/32', '::1', '::ffff:172.16.5.0/120']);

describe('allowFrom', () => {
  it.each([
    ['192.168.1.201', true],
    ['::ffff:192.168.1.201', true], // what a listener bound to :: sees for an IPv4 terminal
    ['::FFFF:192.168.1.201', true],
    ['192.168.1.202', false],
    ['10.20.255.1', true],
    ['10.21.0.1', false],
    ['fd00:ab:1::5', true],
    ['FD00:AB::1', true],
    ['fd00:ac::1', false],
    ['::1', true],
    ['172.16.5.77', true], // a mapped CIDR entry is the IPv4 subnet 172.16.5.0/24
    ['172.16.6.1', false],
    ['fe80::1%eth0', false],
    ['not-an-address', false],
    ['', false],
  ])('%s → %s', (address, admitted) => {
    expect(LIST.admits(address)).toBe(admitted);
  });

  it('normalizes a source address to one spelling', () => {
    expect(normalizeAddress('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(normalizeAddress('FE80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('127.0.0.1')).toBe('127.0.0.1');
  });

  it.each([['192.168.1.0/33'], ['10.0.0.1/'], ['10.0.0.1/8/9'], ['::ffff:10.0.0.0/95'], ['fe80::1%eth0'], ['example.org'], ['192.168.1']])('the config refuses %s', (entry) => {
    const parsed = allowFromSchema.safeParse([entry]);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/expected an IP address or CIDR/);
  });

  it('the config refuses an empty list (leave allowFrom out to accept any source)', () => {
    expect(allowFromSchema.safeParse([]).success).toBe(false);
    expect(allowFromSchema.safeParse(['0.0.0.0/0', '::/0']).success).toBe(true);
  });
});
