// Clock suite (issue 8): terminals whose clocks are hours off, a clock set back while the gateway
// runs, zones without DST (WIB, WITA, WIT) and with it (America/New_York, incl. the repeated and
// the skipped hour). punch/v1 must carry what the contract says — `time` is the device's wall time
// with the offset of the device zone at that instant, `utc` the same instant, `clockSkewSec` the
// last measured device-minus-gateway difference — and the device status must report the skew.
// The gateway never "corrects" a punch time by the skew: that is the centre's decision.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import type { Punch } from '../../src/punch/punch.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { until } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';

const HOUR = 3600;
const tmp = tempDir();
// device id → simulator; zones as the terminal keeps its clock
const sims = {
  ahead: new ZkTcpSimulator({ serial: 'CLKAHEAD0001', records: 0, users: 10, timeZone: 'Asia/Jakarta', clockOffsetSec: 3 * HOUR }),
  jumper: new ZkTcpSimulator({ serial: 'CLKJUMP00001', records: 0, users: 10, timeZone: 'Asia/Jayapura' }),
  wita: new ZkTcpSimulator({ serial: 'CLKWITA00001', records: 0, users: 10, timeZone: 'Asia/Makassar', clockOffsetSec: -2 * HOUR }),
  dst: new ZkTcpSimulator({ serial: 'CLKDST000001', records: 0, users: 10, timeZone: 'America/New_York' }),
};
type SimId = keyof typeof sims;
let gateway: Gateway;

beforeAll(async () => {
  const entries: string[] = [];
  const zones: Record<SimId, string | undefined> = { ahead: 'Asia/Jakarta', jumper: 'Asia/Jayapura', wita: undefined, dst: 'America/New_York' };
  for (const [id, sim] of Object.entries(sims) as [SimId, ZkTcpSimulator][]) {
    const { port } = await sim.start();
    const zone = zones[id] ? `, timezone: ${zones[id]}` : '';
    entries.push(`  - {id: ${id}, driver: zk-tcp, host: 127.0.0.1, port: ${port}, realtime: true, pollInterval: 300ms, heartbeatInterval: 1s, timeout: 2s${zone}}`);
  }
  const yaml = [
    `gateway: {id: gw-clock, site: CLOCK, timezone: Asia/Makassar, dataDir: ${join(tmp.dir, 'data')}, logLevel: silent}`,
    'devices:',
    ...entries,
    'supervisor: {restartMin: 50ms, restartMax: 300ms, shutdownTimeout: 2s}',
  ].join('\n');
  gateway = new Gateway(parseConfigText(`${yaml}\n`, 'clock.yaml', { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), api: false, drivers: BUILTIN_DRIVERS });
  await gateway.start();
  await until(() => Object.keys(sims).every((id) => gateway.states.get(id)?.online === true), 20_000, 'every terminal online');
});
afterAll(async () => {
  await gateway.stop();
  for (const sim of Object.values(sims)) await sim.stop();
  tmp.cleanup();
});

function punchesOf(device: SimId): Punch[] {
  const rows = gateway.buffer.database.prepare('SELECT body FROM punches WHERE device_id = ? ORDER BY seq').all(device) as { body: string }[];
  return rows.map((r) => JSON.parse(r.body) as Punch);
}

/** What the contract says `time` is: the wall time with the zone's offset at that instant. */
function offsetOf(zone: string, localTime: string): string {
  // the zone's offset for this wall time, found from the instant that shows this wall time there;
  // largest offset first, so a repeated hour gives the earlier instant
  const guessUtc = Date.parse(`${localTime}Z`);
  for (let candidate = 14; candidate >= -12; candidate -= 1) {
    const instant = guessUtc - candidate * HOUR * 1000;
    const wall = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(instant).replace(' ', 'T');
    if (wall === localTime) return `${candidate >= 0 ? '+' : '-'}${String(Math.abs(candidate)).padStart(2, '0')}:00`;
  }
  throw new Error(`${localTime} does not exist in ${zone}`);
}

async function punchAt(device: SimId, pin: string, localTime?: string): Promise<Punch> {
  const before = punchesOf(device).length;
  sims[device].addPunch({ pin, ...(localTime ? { localTime } : {}) });
  await until(() => punchesOf(device).length > before, 10_000, `${device} punch committed`);
  const punch = punchesOf(device).findLast((p) => p.pin === pin);
  if (!punch) throw new Error(`no punch for ${pin}`);
  return punch;
}

it('a terminal 3 hours ahead: time is its own wall time in its zone, utc the same instant, skew reported', async () => {
  const punch = await punchAt('ahead', '1', undefined);
  const local = punch.time.slice(0, 19);
  expect(punch.time).toBe(`${local}+07:00`);
  expect(punch.utc).toBe(new Date(punch.time).toISOString().replace('.000Z', 'Z'));
  expect(punch.clockSkewSec).toBeGreaterThan(3 * HOUR - 5);
  expect(punch.clockSkewSec).toBeLessThan(3 * HOUR + 5);
  expect(Math.abs(gateway.states.get('ahead')!.clockSkewSec! - 3 * HOUR)).toBeLessThan(5);
  // the punch says when the terminal thinks it was: three hours after it really happened
  expect(Date.parse(punch.utc) - Date.parse(punch.receivedAt)).toBeGreaterThan((3 * HOUR - 60) * 1000);
});

it('a terminal without its own zone takes the gateway zone (WITA +08:00), 2 hours behind', async () => {
  const punch = await punchAt('wita', '2');
  expect(punch.time.endsWith('+08:00')).toBe(true);
  expect(Math.abs(punch.clockSkewSec! + 2 * HOUR)).toBeLessThan(5);
});

it('a clock set back an hour while running: later punches carry earlier times, all kept, new skew reported', async () => {
  const first = await punchAt('jumper', '3');
  expect(first.time.endsWith('+09:00')).toBe(true);
  expect(Math.abs(first.clockSkewSec!)).toBeLessThan(5);
  sims.jumper.clockOffset = -HOUR;
  await until(() => Math.abs(gateway.states.get('jumper')!.clockSkewSec! + HOUR) < 5, 10_000, 'the new skew measured');
  const second = await punchAt('jumper', '3');
  expect(second.seq).toBeGreaterThan(first.seq);
  expect(Date.parse(second.utc)).toBeLessThan(Date.parse(first.utc));
  expect(second.id).not.toBe(first.id);
  expect(Math.abs(second.clockSkewSec! + HOUR)).toBeLessThan(5);
});

it('a DST zone: summer and winter offsets, the repeated hour takes the earlier instant, the skipped hour moves forward', async () => {
  const cases: { localTime: string; time: string; utc: string }[] = [
    { localTime: '2026-07-15T08:00:00', time: '2026-07-15T08:00:00-04:00', utc: '2026-07-15T12:00:00Z' },
    { localTime: '2026-01-15T08:00:00', time: '2026-01-15T08:00:00-05:00', utc: '2026-01-15T13:00:00Z' },
    // 2026-11-01 01:30 happens twice in New York: the earlier (EDT) instant
    { localTime: '2026-11-01T01:30:00', time: '2026-11-01T01:30:00-04:00', utc: '2026-11-01T05:30:00Z' },
  ];
  for (const [k, c] of cases.entries()) {
    expect(offsetOf('America/New_York', c.localTime)).toBe(c.time.slice(19));
    const punch = await punchAt('dst', String(10 + k), c.localTime);
    expect({ time: punch.time, utc: punch.utc }).toEqual({ time: c.time, utc: c.utc });
  }
  // 2026-03-08 02:30 does not exist in New York (clocks jump 02:00 → 03:00): kept, moved forward
  const gap = await punchAt('dst', '20', '2026-03-08T02:30:00');
  expect({ time: gap.time, utc: gap.utc }).toEqual({ time: '2026-03-08T03:30:00-04:00', utc: '2026-03-08T07:30:00Z' });
});

it('DST-less Indonesian zones keep one offset all year', () => {
  for (const [zone, offset] of [['Asia/Jakarta', '+07:00'], ['Asia/Makassar', '+08:00'], ['Asia/Jayapura', '+09:00']] as const) {
    for (const localTime of ['2026-01-15T08:00:00', '2026-07-15T08:00:00', '2026-03-08T02:30:00', '2026-11-01T01:30:00']) {
      expect(offsetOf(zone, localTime)).toBe(offset);
    }
  }
});
