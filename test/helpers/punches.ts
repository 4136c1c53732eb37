// Test helpers to build punches the way the pipeline does.
import type { OutgoingPunch } from '../../src/buffer/punchBuffer.js';
import { normalizePunch, type UnsequencedPunch } from '../../src/punch/normalize.js';
import type { Punch, RawPunch } from '../../src/punch/punch.js';

export function rawPunch(i: number, overrides: Partial<RawPunch> = {}): RawPunch {
  const second = i % 60;
  const minute = Math.floor(i / 60) % 60;
  const hour = 6 + (Math.floor(i / 3600) % 12);
  const day = 1 + (Math.floor(i / 43_200) % 28);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return {
    pin: String(1000 + (i % 500)),
    localTime: `2026-01-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}`,
    state: i % 2 === 0 ? 'check-in' : 'check-out',
    verify: 'fingerprint',
    workCode: 0,
    raw: { i },
    ...overrides,
  };
}

export function unsequenced(i: number, deviceId = 'dev-1', overrides: Partial<RawPunch> = {}): UnsequencedPunch {
  const outcome = normalizePunch(rawPunch(i, overrides), {
    gateway: 'gw-test',
    site: 'TEST',
    device: { id: deviceId, serial: `SN-${deviceId}`, protocol: 'test' },
    zone: 'Asia/Jakarta',
    clockSkewSec: null,
    nowMs: Date.now(),
    minYear: 2000,
    maxFutureMs: 86_400_000 * 3650,
  });
  if (outcome.kind !== 'ok') throw new Error(`test punch ${i} did not normalize: ${JSON.stringify(outcome)}`);
  return outcome.punch;
}

/** A punch as the buffer hands it to a publisher (committed JSON plus routing fields). */
export function toOutgoing(punch: Punch): OutgoingPunch {
  return { seq: punch.seq, id: punch.id, deviceId: punch.device.id, receivedAt: punch.receivedAt, json: JSON.stringify(punch) };
}

/** The punches of an outgoing batch, parsed back. */
export function parsedBatch(batch: OutgoingPunch[]): Punch[] {
  return batch.map((o) => JSON.parse(o.json) as Punch);
}
