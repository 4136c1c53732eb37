// The rule that tells a punch too large for the broker from a network outage (oversizeGuard.ts):
// scenarios as sequences of PUBACKs and connection drops, no broker, no clock.
import { describe, expect, it } from 'vitest';
import { OversizeGuard, MAX_SUSPECTS, segmentsAroundSuspects, type InFlightPacket } from '../../src/publish/oversizeGuard.js';

const punch = (id: string, bytes: number): InFlightPacket => ({ punchId: id, bytes });
const status = (bytes: number): InFlightPacket => ({ bytes });
const ordinary = (n: number, from = 0): InFlightPacket[] => Array.from({ length: n }, (_, i) => punch(`p${from + i}`, 480 + ((from + i) % 40)));

/** a guard that has seen the broker acknowledge a gateway status and a run of ordinary punches */
function warmGuard(): OversizeGuard {
  const guard = new OversizeGuard();
  guard.connected(undefined);
  guard.acked(status(230));
  for (const p of ordinary(50)) guard.acked(p);
  return guard;
}

describe('OversizeGuard: announced limit (MQTT 5 CONNACK)', () => {
  it('refuses a packet above the Maximum Packet Size, naming both sizes, and takes one at it', () => {
    const guard = new OversizeGuard();
    guard.connected(2048);
    expect(guard.verdict(2048)).toEqual({ fits: true });
    const verdict = guard.verdict(2049);
    expect(verdict).toMatchObject({ fits: false, limitBytes: 2048, basis: 'announced' });
    expect(verdict.fits === false && verdict.reason).toMatch(/2049 bytes exceeds the broker's Maximum Packet Size of 2048 bytes/);
  });

  it('follows the limit of each connection (a 3.1.1 fallback or another broker announces none)', () => {
    const guard = new OversizeGuard();
    guard.connected(1000);
    expect(guard.verdict(5000).fits).toBe(false);
    guard.connected(undefined);
    expect(guard.verdict(5000).fits).toBe(true);
    guard.connected(0);
    expect(guard.verdict(5000).fits).toBe(true);
  });
});

describe('OversizeGuard: a broker that drops the connection instead', () => {
  it('convicts a punch far larger than any acknowledged after two drops while it travelled alone', () => {
    const guard = warmGuard();
    const poison = punch('poison', 3100);
    // the batch that carried it: the poison becomes a suspect, nothing more (others were in flight too)
    expect(guard.dropped([...ordinary(20, 100), poison, ...ordinary(5, 200)].map((p, i) => (i < 3 ? { ...p, bytes: 900 } : p)), 'suspicious')).toBeUndefined();
    expect(guard.isSuspect('poison')).toBe(true);
    expect(guard.hasSuspects).toBe(true);
    // alone once: one strike
    expect(guard.dropped([poison], 'suspicious')).toBeUndefined();
    // alone twice: convicted, with a reason naming the sizes
    const conviction = guard.dropped([poison], 'suspicious');
    expect(conviction).toMatchObject({ punchId: 'poison', bytes: 3100 });
    expect(conviction?.reason).toMatch(/3100-byte PUBLISH was sent alone; the largest packet the broker acknowledged was 519 bytes/);
    expect(guard.hasSuspects).toBe(false);
  });

  it('then refuses a punch at least that large before it is written, and forgets that once the broker takes one', () => {
    const guard = warmGuard();
    const poison = punch('poison', 3100);
    guard.dropped([poison], 'suspicious');
    guard.dropped([poison], 'suspicious');
    expect(guard.verdict(3100)).toMatchObject({ fits: false, basis: 'convicted' });
    expect(guard.verdict(250_000)).toMatchObject({ fits: false, basis: 'convicted' });
    expect(guard.verdict(3099)).toEqual({ fits: true });
    guard.acked(status(3500));
    expect(guard.verdict(250_000)).toEqual({ fits: true });
  });

  it('counts only drops while it was the one punch out: the batch that made it a suspect is no strike', () => {
    const guard = warmGuard();
    const poison = punch('poison', 3100);
    // even when every other punch of the batch is a size the broker already took
    expect(guard.dropped([...ordinary(10), poison], 'suspicious')).toBeUndefined();
    expect(guard.dropped([...ordinary(3), poison], 'suspicious')).toBeUndefined();
    expect(guard.dropped([poison, status(230)], 'suspicious')).toBeUndefined();
    // a status of a size the broker took does not spoil "alone"
    expect(guard.dropped([poison, status(230)], 'suspicious')).toMatchObject({ punchId: 'poison' });
  });

  it('clears a suspect the moment the broker acknowledges it', () => {
    const guard = warmGuard();
    const big = punch('big-but-fine', 2000);
    guard.dropped([big], 'suspicious');
    guard.acked(big);
    expect(guard.isSuspect('big-but-fine')).toBe(false);
    expect(guard.dropped([big], 'suspicious')).toBeUndefined();
    expect(guard.dropped([big], 'suspicious')).toBeUndefined();
  });
});

describe('OversizeGuard: a genuine outage never convicts a good punch', () => {
  it('ordinary punches, however often the connection drops under them, never become suspects', () => {
    const guard = warmGuard();
    for (let round = 0; round < 1000; round += 1) {
      const inFlight = ordinary(1 + (round % 100), round);
      expect(guard.dropped(inFlight, 'suspicious')).toBeUndefined();
      // the network also dies while a single ordinary punch is out, again and again
      expect(guard.dropped(inFlight.slice(0, 1), 'suspicious')).toBeUndefined();
    }
    expect(guard.hasSuspects).toBe(false);
  });

  it('a punch only a little larger than any acknowledged is never a suspect', () => {
    const guard = warmGuard();
    for (let i = 0; i < 10; i += 1) expect(guard.dropped([punch('p', 700)], 'suspicious')).toBeUndefined();
    expect(guard.hasSuspects).toBe(false);
  });

  it('drops the broker or the client explains (v5 DISCONNECT with another reason, keepalive timeout) are no evidence', () => {
    const guard = warmGuard();
    const large = punch('large', 5000);
    for (let i = 0; i < 10; i += 1) expect(guard.dropped([large], 'benign')).toBeUndefined();
    expect(guard.hasSuspects).toBe(false);
  });

  it('a drop with two unusually large punches out strikes neither', () => {
    const guard = warmGuard();
    const a = punch('a', 4000);
    const b = punch('b', 3900);
    for (let i = 0; i < 10; i += 1) expect(guard.dropped([a, b], 'suspicious')).toBeUndefined();
    expect(guard.isSuspect('a')).toBe(true);
    // b is not blamed for a's drops
    expect(guard.isSuspect('b')).toBe(false);
  });

  it('a status is never convicted, and a large status in flight keeps a drop from counting as alone', () => {
    const guard = warmGuard();
    const poison = punch('poison', 3100);
    guard.dropped([poison], 'suspicious');
    expect(guard.dropped([poison, status(3000)], 'suspicious')).toBeUndefined();
    expect(guard.dropped([status(90_000)], 'suspicious')).toBeUndefined();
    expect(guard.dropped([status(90_000)], 'suspicious')).toBeUndefined();
  });

  it('keeps at most MAX_SUSPECTS suspects, forgetting the oldest', () => {
    const guard = warmGuard();
    for (let i = 0; i < MAX_SUSPECTS + 10; i += 1) guard.dropped([punch(`s${i}`, 5000 + i), ...ordinary(3)].concat(punch(`t${i}`, 100_000 + i)), 'suspicious');
    expect(guard.isSuspect('t0')).toBe(false);
    expect(guard.isSuspect(`t${MAX_SUSPECTS + 9}`)).toBe(true);
  });
});

describe('segmentsAroundSuspects', () => {
  const items = (ids: string): { punch: { id: string } }[] => [...ids].map((id) => ({ punch: { id } }));
  const shape = (segments: { punch: { id: string } }[][]): string[] => segments.map((seg) => seg.map((i) => i.punch.id).join(''));

  it.each([
    ['abcdef', '', ['abcdef']],
    ['abcdef', 'c', ['ab', 'c', 'def']],
    ['abcdef', 'a', ['a', 'bcdef']],
    ['abcdef', 'f', ['abcde', 'f']],
    ['abcdef', 'cd', ['ab', 'c', 'd', 'ef']],
    ['a', 'a', ['a']],
    ['', 'a', []],
  ])('%s with suspects "%s" → %j (order kept, each suspect alone)', (ids, suspects, expected) => {
    expect(shape(segmentsAroundSuspects(items(ids), (id) => suspects.includes(id)))).toEqual(expected);
  });
});
