// Hostile lines for serial-line: every shipped format on lines mutated from its fixtures
// (test/drivers/serial-line/fixtures; quoted or labelled synthetic there), random lines, control
// characters and very long runs; and the driver itself on a binding-mock port fed in random splits.
// Properties:
// - `decodeLine` returns a well-typed RawPunch (punch/v1 state and verify, wall time shape) or
//   throws DecodeError; nothing else, whatever the line;
// - `splitLines` gives the same lines whatever the split of the stream;
// - the driver decodes exactly what the codec decodes, counts every other non-empty line, at any split.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok } from 'node:assert/strict';
import fc from 'fast-check';
import { SerialPortMock } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFormat, decodeLine, splitLines, trimControl, type LineFormat } from '../../../drivers/serial-line/codec.js';
import { serialLineConfigSchema } from '../../../drivers/serial-line/config.js';
import { MAX_LINE_CHARS, SerialLineDriver, type PortOptions } from '../../../drivers/serial-line/driver.js';
import { SERIAL_FORMAT_NAMES } from '../../../drivers/serial-line/tables.js';
import { PUNCH_STATES, VERIFY_METHODS } from '../../../src/punch/punch.js';
import { DecodeError } from '../../../src/util/errors.js';
import { checkStoredPunches } from '../../helpers/edgeChecks.js';
import { MemoryContext } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { fcOptions } from './fuzzScale.js';
import { cutsOf, hostileText, mutatedText, splitAt } from './mutate.js';

const FIXTURES = join(import.meta.dirname, '../../drivers/serial-line/fixtures');
const NOW_MS = Date.parse('2026-01-19T00:31:05Z');
const OPTIONS = { zone: 'Asia/Jakarta', nowMs: NOW_MS };
const CARD_MAP = new Map([['0000000042', 'P42']]);

/** The fixture lines of each shipped format, by format name. */
const LINES_BY_FORMAT = new Map<string, string[]>(
  SERIAL_FORMAT_NAMES.map((name) => [
    name,
    readdirSync(FIXTURES)
      .filter((dir) => dir.startsWith(`${name}_`))
      .flatMap((dir) => splitLines(readFileSync(join(FIXTURES, dir, 'input.txt'), 'latin1'), '\n').lines),
  ]),
);
const FORMATS: LineFormat[] = SERIAL_FORMAT_NAMES.map((name) => compileFormat(name));
const ALL_LINES = [...LINES_BY_FORMAT.values()].flat();

function decodeOrReason(line: string, format: LineFormat, cardMap?: ReadonlyMap<string, string>) {
  try {
    return decodeLine(line, format, { ...OPTIONS, ...(cardMap ? { cardMap, unknownCard: 'reject' as const } : {}) });
  } catch (error) {
    if (error instanceof DecodeError) return error.code;
    throw error;
  }
}

function checkPunchShape(line: string, format: LineFormat, cardMap?: ReadonlyMap<string, string>): void {
  // plain checks, no `expect`, in a loop of tens of thousands of lines
  const out = decodeOrReason(line, format, cardMap);
  if (typeof out === 'string') return ok(['line-no-match', 'line-checksum', 'line-bad-time', 'card-unknown'].includes(out), `reason ${out}`);
  ok((PUNCH_STATES as readonly unknown[]).includes(out.state), `state ${String(out.state)}`);
  ok((VERIFY_METHODS as readonly unknown[]).includes(out.verify), `verify ${String(out.verify)}`);
  ok(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(out.localTime), `time ${out.localTime}`);
  ok(typeof out.pin === 'string', 'pin is text');
  ok(out.workCode === null || Number.isSafeInteger(out.workCode), `workCode ${out.workCode}`);
}

/** Words a state/verify group may carry that are also Object.prototype members. */
const PROTOTYPE_WORDS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

describe('serial-line hostile lines', () => {
  it('has fixture lines for every shipped format', () => {
    for (const name of SERIAL_FORMAT_NAMES) expect(LINES_BY_FORMAT.get(name)?.length, name).toBeGreaterThan(0);
  });

  it('every shipped format gives a well-typed punch or DecodeError on mutated fixture lines', () => {
    const line = fc.oneof(
      mutatedText(ALL_LINES, 4),
      // a known field replaced by a word JavaScript objects already have
      fc.tuple(fc.constantFrom(...ALL_LINES), fc.constantFrom(...PROTOTYPE_WORDS), fc.nat(6)).map(([l, word, i]) => {
        const parts = l.split('\t');
        parts[i % parts.length] = word;
        return parts.join('\t');
      }),
    );
    fc.assert(
      fc.property(line, fc.constantFrom(...FORMATS), fc.boolean(), (text, format, withCardMap) => checkPunchShape(text, format, withCardMap ? CARD_MAP : undefined)),
      fcOptions('serial-line shipped formats'),
    );
  });

  it('random lines, control characters and very long lines give a punch or DecodeError, and split the same at any cut', () => {
    fc.assert(
      fc.property(hostileText, fc.constantFrom(...FORMATS), fc.array(fc.nat(1 << 16), { maxLength: 5 }), (text, format, cuts) => {
        checkPunchShape(text, format);
        checkPunchShape(trimControl(text), format);
        const whole = splitLines(text, '\n');
        let rest = '';
        const lines: string[] = [];
        for (const piece of splitAt(text, cutsOf(text.length, cuts))) {
          const out = splitLines(rest + piece, '\n');
          lines.push(...out.lines);
          rest = out.rest;
        }
        expect(lines).toEqual(whole.lines);
        expect(rest).toBe(whole.rest);
      }),
      fcOptions('serial-line random lines'),
    );
  });
});

const MockBinding = SerialPortMock.binding;
/** One turn of the event loop: the mock port and the buffer's commit each take a few (the test timeout bounds the wait). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
type MockPortBinding = NonNullable<SerialPortMock['port']>;

describe('serial-line driver on a hostile stream', () => {
  const format = 'zk-attlog';
  const cfg = serialLineConfigSchema.parse({ id: 'kiosk-3', driver: 'serial-line', path: '/dev/ttyHOSTILE0', format, timezone: 'Asia/Jakarta' });
  const ctx = new MemoryContext({ device: cfg });
  let binding: MockPortBinding | undefined;
  let driver: SerialLineDriver;

  beforeAll(async () => {
    MockBinding.reset();
    MockBinding.createPort('/dev/ttyHOSTILE0');
    driver = new SerialLineDriver(cfg, ctx, {
      now: () => NOW_MS,
      openPort: (options: PortOptions) => {
        const port = new SerialPortMock({ ...options, autoOpen: false });
        port.on('open', () => (binding = port.port as MockPortBinding));
        return port;
      },
    });
    await driver.start();
    await until(() => binding !== undefined, 'port open');
  });
  afterAll(async () => {
    await driver.stop();
    MockBinding.reset();
  });

  it('commits what the codec decodes and counts every other line, whatever the split', async () => {
    const compiled = compileFormat(format);
    // lines without the delimiter and under the run-on limit, so the codec is the exact oracle
    const line = fc.oneof(mutatedText(LINES_BY_FORMAT.get(format) ?? [], 3), hostileText).map((t) => t.replace(/\n/g, ' ').slice(0, MAX_LINE_CHARS));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(1 << 16), { maxLength: 6 }), async (lines, cuts) => {
        // the port delivers bytes read as latin1: the oracle reads the same bytes the same way
        const stream = Buffer.from(`${lines.join('\n')}\n`, 'latin1');
        const received = stream.toString('latin1').split('\n').slice(0, -1);
        const expected = received.map(trimControl).filter((l) => l !== '').map((l) => decodeOrReason(l, compiled));
        const rejectionsBefore = ctx.rejections.length;
        const emittedBefore = ctx.emitted.length;
        for (const piece of splitAt(stream, cutsOf(stream.length, cuts))) binding?.emitData(piece);
        while (ctx.rejections.length - rejectionsBefore + ctx.emitted.length - emittedBefore < expected.length) await nextTurn();
        expect(ctx.rejections.slice(rejectionsBefore).map((r) => r.reason)).toEqual(expected.filter((e) => typeof e === 'string'));
        expect(ctx.emitted.slice(emittedBefore).map((p) => `${p.pin}|${p.localTime}|${p.state}|${p.verify}`)).toEqual(
          expected.flatMap((e) => (typeof e === 'string' ? [] : [`${e.pin}|${e.localTime}|${e.state}|${e.verify}`])),
        );
      }),
      fcOptions('serial-line driver stream'),
    );
    expect(ctx.failures).toEqual([]);
    // through the real normalize: every decoded line was committed, a duplicate or quarantined
    // (PINs the codec takes but the edge rule refuses), and what was committed holds the edge rules
    await until(() => ctx.commits === ctx.emitted.length, 'every emit settled');
    const quarantined = Object.values((await ctx.counted()).quarantined).reduce((a, b) => a + b, 0);
    expect(ctx.inserted + ctx.duplicates + quarantined).toBe(ctx.emitted.length);
    checkStoredPunches(ctx.store.buffer.database);
  });

  it('a run-on line is rejected per limit reached and the next good line still commits', async () => {
    const before = ctx.rejections.length;
    const emitted = ctx.emitted.length;
    binding?.emitData(Buffer.from('7'.repeat(MAX_LINE_CHARS * 3 + 10)));
    binding?.emitData(Buffer.from('\n1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t\n'));
    await until(() => ctx.emitted.length > emitted, 'good line after run-on text');
    // the port may deliver the run in several reads: one line-too-long per limit reached, then its tail
    const reasons = ctx.rejections.slice(before).map((r) => r.reason);
    expect(reasons[0]).toBe('line-too-long');
    expect(new Set(reasons)).toEqual(new Set(['line-too-long', 'line-no-match']));
    expect(reasons.length).toBeLessThanOrEqual(4);
    expect(ctx.emitted.at(-1)).toMatchObject({ pin: '1', localTime: '2024-07-28T01:25:24' });
  });
});
