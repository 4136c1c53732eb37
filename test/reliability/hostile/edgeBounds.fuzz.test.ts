// The edge rules (DESIGN.md "Trust at the edge") under hostile input, through the real DriverContext
// and a real SQLite buffer (edgeHarness.ts): the generic path every driver shares, then the push
// and stream drivers — zk-push's `handle`, serial-line on binding-mock, zk-tcp realtime through the
// simulator. The pulled kinds (Hikvision, zk-soap, Fingerspot) are in edgePull.fuzz.test.ts.
// Properties, whatever the input (checked by the harness after every case):
// - every committed punch has a PIN matching ^[0-9A-Za-z._-]{1,24}$ (NFC), a serial and model of at
//   most 64 printable characters, and at most 4 KiB of JSON; quarantine rows stay bounded;
// - the device state (retained status, /api/devices) holds no identity string over 64 printable;
// - every punch handed over is committed, a duplicate or quarantined (and so counted);
// - nothing throws or rejects out of a driver.
// Inputs are synthetic (mutate.ts: hostilePin, hostileIdentity, hostileExtraFields, hostileText).
import { ok } from 'node:assert/strict';
import fc from 'fast-check';
import { SerialPortMock } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFormat, decodeLine, trimControl } from '../../../drivers/serial-line/codec.js';
import { serialLineConfigSchema } from '../../../drivers/serial-line/config.js';
import { MAX_LINE_CHARS, SerialLineDriver, type PortOptions } from '../../../drivers/serial-line/driver.js';
import { splitLines as pushLines } from '../../../drivers/zk-push/codec.js';
import { zkPushConfigSchema } from '../../../drivers/zk-push/config.js';
import { ZkPushDriver } from '../../../drivers/zk-push/driver.js';
import { zkTcpConfigSchema, ZkTcpDriver } from '../../../drivers/zk-tcp/index.js';
import type { DeviceStatusUpdate } from '../../../src/devices/driver.js';
import { edgePin } from '../../../src/punch/edgeRules.js';
import { PUNCH_STATES, VERIFY_METHODS, type RawPunch } from '../../../src/punch/punch.js';
import { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { DecodeError } from '../../../src/util/errors.js';
import { edgeHarness, type EdgeHarness } from './edgeHarness.js';
import { fcOptions } from './fuzzScale.js';
import { hostileExtraFields, hostileIdentity, hostilePin, hostileText } from './mutate.js';

const pad = (n: number): string => String(n).padStart(2, '0');
/** A distinct wall time per case and line, so a good punch is never a duplicate of an earlier case's. */
let tick = 0;
function nextLocalTime(): string {
  tick += 1;
  const at = new Date(Date.UTC(2026, 0, 1) + tick * 1000);
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}T${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
}

/** Resolves once `check()` holds, looking after every turn of the event loop (the test timeout bounds it). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let turns = 0; !check(); turns++) {
    await new Promise((resolve) => (turns < 1000 ? setImmediate(resolve) : setTimeout(resolve, 5)));
    if (process.env.FUZZ_DEBUG && turns % 1000 === 999) console.log('waiting for', what);
  }
}

/** What the rule makes of a PIN the codec passed: committed under its NFC form, or quarantined. */
const expectedPins = (pins: string[]): string[] => pins.flatMap((pin) => edgePin(pin) ?? []);

describe('edge rules on the generic path (DriverContext)', () => {
  let h: EdgeHarness;
  beforeAll(() => {
    h = edgeHarness({ id: 'generic-1', driver: 'hikvision-isapi', serial: 'GEN-1', host: '192.168.1.64' });
  });
  afterAll(() => h.close());

  const rawPunch: fc.Arbitrary<Omit<RawPunch, 'localTime'>> = fc.record({
    pin: hostilePin,
    state: fc.constantFrom(...PUNCH_STATES),
    verify: fc.constantFrom(...VERIFY_METHODS),
    workCode: fc.option(fc.integer({ min: 0, max: 99 })),
    address: fc.option(fc.constantFrom('10.0.0.7', '127.0.0.2', '/dev/ttyUSB0'), { nil: undefined }),
    raw: hostileExtraFields,
  });

  it('raw punches with hostile PINs and fields: only rule PINs commit, as NFC; the rest is quarantined and counted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rawPunch, { minLength: 1, maxLength: 6 }), async (drafts) => {
        const raws = drafts.map((d) => ({ ...d, localTime: nextLocalTime() }));
        const result = await h.ctx.emitMany(raws);
        ok(result.inserted + result.duplicates + result.quarantined === raws.length, 'every punch accounted for');
        const { punches } = await h.check();
        for (const p of punches) ok(raws.some((r) => edgePin(r.pin) === p.pin), `pin ${p.pin} was sent`);
        const fitting = raws.filter((r) => edgePin(r.pin) !== undefined && JSON.stringify(r).length < 3000);
        ok(punches.length >= fitting.length, 'every small punch with a rule PIN commits');
      }),
      fcOptions('edge generic raw punches'),
    );
  });

  const statusUpdate: fc.Arbitrary<DeviceStatusUpdate> = fc.record(
    {
      serial: hostileIdentity,
      model: hostileIdentity,
      firmware: hostileIdentity,
      platform: hostileIdentity,
      online: fc.boolean(),
      lastError: fc.option(hostileText.map((message) => ({ code: 'GW_ERR_DEVICE_PROTOCOL' as const, message }))),
      // keys that change from update to update, values of every kind: merged details must stay bounded too
      details: fc.dictionary(hostileText.map((k) => k.slice(0, 200)), fc.oneof(hostileText, fc.integer(), fc.dictionary(fc.string({ maxLength: 8 }), hostileText, { maxKeys: 80 })), { maxKeys: 40 }),
    },
    { requiredKeys: [] },
  );

  it('status updates with hostile identity text never reach the state or a punch unbounded', async () => {
    await fc.assert(
      fc.asyncProperty(statusUpdate, async (change) => {
        h.ctx.status.update(change);
        await h.ctx.emit({ pin: '1001', localTime: nextLocalTime(), state: 'check-in', verify: 'face' });
        const { punches } = await h.check();
        ok(punches.length === 1, 'the good punch commits under whatever serial the device keeps');
        const snapshot = h.snapshot();
        ok(punches[0]?.device.serial === (snapshot.serial ?? 'GEN-1'), 'the punch id uses the serial the state shows');
        ok((punches[0]?.device.model ?? null) === (snapshot.model || null), 'the punch carries the model the state shows');
      }),
      fcOptions('edge status updates'),
    );
  });
});

describe('edge rules through zk-push handle()', () => {
  const SN = 'BOCK200961014';
  let h: EdgeHarness;
  let driver: ZkPushDriver;
  beforeAll(() => {
    h = edgeHarness({ id: 'loket-1', driver: 'zk-push', serial: SN });
    driver = new ZkPushDriver(zkPushConfigSchema.parse({ id: 'loket-1', driver: 'zk-push', serial: SN }), h.ctx);
  });
  afterAll(async () => {
    await driver.stop();
    h.close();
  });

  const attlogLine = fc.tuple(fc.oneof(hostilePin, fc.constant('1001')), fc.constantFrom('0', '1', '255'), fc.constantFrom('1', '4', '15'), fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, fc.integer({ min: 1, max: 20_000 }).map((n) => `\t${'x'.repeat(n)}`), fc.integer({ min: 1, max: 500 }).map((n) => `\t${'9\t'.repeat(n)}`)));
  const request = fc.oneof(
    fc.array(attlogLine, { minLength: 1, maxLength: 5 }).map((lines) => ({ kind: 'attlog' as const, body: lines.map(([pin, status, verify, tail]) => `${pin.replace(/[\r\n]/g, '')}\t${nextLocalTime().replace('T', ' ')}\t${status}\t${verify}\t0${tail}`).join('\n') })),
    fc.record({ name: hostileIdentity, firmware: hostileIdentity, platform: hostileIdentity }).map((v) => ({ kind: 'info' as const, body: `~DeviceName=${v.name.replace(/[\r\n]/g, ' ')}\nFWVersion=${v.firmware.replace(/[\r\n]/g, ' ')}\nPlatform=${v.platform.replace(/[\r\n]/g, ' ')}\n` })),
    hostileText.map((info) => ({ kind: 'getrequest' as const, body: info })),
  );

  it('ATTLOG lines, INFO answers and getrequest INFO: bounded punches and status, every line answered and accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        if (r.kind === 'attlog') {
          const reply = await driver.handle({ method: 'POST', endpoint: 'cdata', query: { SN, table: 'ATTLOG' }, body: r.body, remoteAddress: '127.0.0.1' });
          expect(reply).toEqual({ status: 200, body: `OK: ${pushLines(r.body).length}` });
        } else if (r.kind === 'info') {
          // the command id the terminal answers: queued by the gateway (a handshake queues INFO)
          await driver.handle({ method: 'GET', endpoint: 'cdata', query: { SN, options: 'all' }, body: '', remoteAddress: '127.0.0.1' });
          const poll = await driver.handle({ method: 'GET', endpoint: 'getrequest', query: { SN }, body: '', remoteAddress: '127.0.0.1' });
          const id = /C:([^:]+):INFO/.exec(poll.body)?.[1] ?? 'unsolicited';
          expect((await driver.handle({ method: 'POST', endpoint: 'devicecmd', query: { SN }, body: `ID=${id}&Return=0&CMD=INFO\n${r.body}`, remoteAddress: '127.0.0.1' })).status).toBe(200);
        } else {
          expect((await driver.handle({ method: 'GET', endpoint: 'getrequest', query: { SN, INFO: r.body }, body: '', remoteAddress: '127.0.0.1' })).status).toBe(200);
        }
        await h.check();
      }),
      fcOptions('edge zk-push driver requests'),
    );
  });
});

describe('edge rules through the serial-line driver (binding-mock)', () => {
  const MockBinding = SerialPortMock.binding;
  // a custom format that lets any text through as the PIN: the rule, not the format, must stop it
  const FORMAT = '^(?<pin>[^,]*),(?<date>\\d{4}-\\d{2}-\\d{2}) (?<time>\\d{2}:\\d{2}:\\d{2})$';
  let h: EdgeHarness;
  let driver: SerialLineDriver;
  let port: NonNullable<SerialPortMock['port']> | undefined;

  beforeAll(async () => {
    MockBinding.reset();
    MockBinding.createPort('/dev/ttyEDGE0');
    const entry = { id: 'kiosk-3', driver: 'serial-line', path: '/dev/ttyEDGE0', format: FORMAT, dateFormat: 'YYYY-MM-DD', timeFormat: 'HH:mm:ss', encoding: 'utf8', timezone: 'Asia/Jakarta' };
    h = edgeHarness(entry);
    driver = new SerialLineDriver(serialLineConfigSchema.parse(entry), h.ctx, {
      now: () => Date.parse('2026-06-01T00:00:00Z'),
      openPort: (options: PortOptions) => {
        const mock = new SerialPortMock({ ...options, autoOpen: false });
        mock.on('open', () => (port = mock.port as NonNullable<SerialPortMock['port']>));
        return mock;
      },
    });
    await driver.start();
    await until(() => port !== undefined, 'port open');
  });
  afterAll(async () => {
    await driver.stop();
    h.close();
    MockBinding.reset();
  });

  it('lines with hostile PINs commit exactly the rule PINs (NFC); every other PIN is quarantined', async () => {
    const compiled = compileFormat(FORMAT, { dateFormat: 'YYYY-MM-DD', timeFormat: 'HH:mm:ss' });
    const line = hostilePin.map((pin) => `${pin.replace(/[\n,]/g, '')},${nextLocalTime().replace('T', ' ')}`.slice(0, MAX_LINE_CHARS));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 4 }), async (lines) => {
        const decoded = lines.map(trimControl).filter((l) => l !== '').flatMap((l) => {
          try {
            return [decodeLine(l, compiled, { zone: 'Asia/Jakarta', nowMs: Date.now() })];
          } catch (error) {
            if (error instanceof DecodeError) return [];
            throw error;
          }
        });
        const before = h.handled();
        port?.emitData(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
        await until(() => h.handled() - before >= lines.filter((l) => trimControl(l) !== '').length, 'every line committed or counted');
        const { punches } = await h.check();
        expect(punches.map((p) => p.pin)).toEqual(expectedPins(decoded.map((r) => r.pin)));
      }),
      fcOptions('edge serial-line driver lines'),
    );
  });
});

describe('edge rules through the zk-tcp driver (realtime events from the simulator)', () => {
  let h: EdgeHarness;
  let sim: ZkTcpSimulator;
  let driver: ZkTcpDriver;

  beforeAll(async () => {
    // SYNTHETIC identity: a terminal naming itself with control codes and 2,000 characters
    sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, records: 2, model: `K40\u0001${'P'.repeat(2000)}`, platform: '\u202eZMM220', serial: 'BRC7204500123' });
    await sim.start();
    const cfg = zkTcpConfigSchema.parse({ id: 'lobby-1', driver: 'zk-tcp', host: '127.0.0.1', port: sim.address.port, timeout: '2s', realtime: true, pollInterval: '1h', timezone: sim.options.timeZone });
    h = edgeHarness(cfg);
    driver = new ZkTcpDriver(cfg, h.ctx, { backoffMinMs: 10, backoffMaxMs: 100 });
    await driver.start();
    await until(() => h.snapshot().punchesCommitted === 2, 'log downloaded, realtime registered');
  });
  afterAll(async () => {
    await driver.stop();
    await sim.stop();
    h.close();
  });

  it('realtime punches with hostile user ids: only rule PINs commit; the identity in every punch is bounded', async () => {
    await fc.assert(
      fc.asyncProperty(hostilePin, async (pin) => {
        const before = h.handled();
        sim.addPunch({ pin, localTime: nextLocalTime() }, { realtime: true });
        await until(() => h.handled() > before, 'realtime event committed or counted');
        const { punches } = await h.check();
        for (const p of punches) ok(p.device.model === `K40${'P'.repeat(61)}`, `model ${p.device.model}`);
      }),
      fcOptions('edge zk-tcp driver realtime'),
    );
  });
});
