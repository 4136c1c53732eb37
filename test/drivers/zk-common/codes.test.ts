// The ZK-wide state and verify codes (drivers/zk-common/codes.ts): every row sourced, the settled
// mapping code by code, and the same answer from every ZK decode path (4370 record, SOAP row,
// USB attlog line), since they all read the one table.
import { describe, expect, it } from 'vitest';
import { SOURCES, ZK_STATE_CODES, ZK_STATE_MAP, ZK_VERIFY_CODES, ZK_VERIFY_MAP, zkStateOf, zkVerifyOf } from '../../../drivers/zk-common/codes.js';
import { decodeLine, compileFormat } from '../../../drivers/serial-line/codec.js';
import { toRawPunch } from '../../../drivers/zk-soap/sync.js';
import { decodeAttendanceRecord, encodeFields } from '../../../drivers/zk-tcp/codec.js';
import { ATTLOG_LAYOUTS } from '../../../drivers/zk-tcp/tables.js';
import type { PunchState, VerifyMethod } from '../../../src/punch/punch.js';

/** The settled verify mapping (README.md of drivers/zk-common says why, code by code). */
const SETTLED_VERIFY: [number, VerifyMethod][] = [
  [0, 'other'], // disputed: "any method" / written always by older terminals vs password on B&W firmware
  [1, 'fingerprint'],
  [2, 'other'], // disputed: PIN alone vs card on B&W firmware
  [3, 'password'],
  [4, 'card'],
  [5, 'other'], [8, 'other'], [11, 'other'], [14, 'other'], // combinations
  [15, 'face'],
  [16, 'other'], [20, 'other'],
  [25, 'palm'],
  [26, 'other'], [99, 'other'], [255, 'other'],
];

const SETTLED_STATE: [number, PunchState][] = [
  [0, 'check-in'], [1, 'check-out'], [2, 'break-out'], [3, 'break-in'], [4, 'overtime-in'], [5, 'overtime-out'],
  [6, 'unknown'], [8, 'unknown'], [9, 'unknown'], [255, 'unknown'],
];

const LAYOUT_40 = ATTLOG_LAYOUTS.get(40)!;
const ZK_ATTLOG = compileFormat('zk-attlog');

/** The punch/v1 values each ZK decode path gives for one (state, verify) pair. */
function viaEveryPath(state: number, verify: number): { path: string; state: PunchState; verify: VerifyMethod }[] {
  const tcp = decodeAttendanceRecord(encodeFields(LAYOUT_40, { uid: 1, pin: '7', verify, state, time: 0x2368b36b }), LAYOUT_40);
  const soap = toRawPunch({ row: 0, pin: '7', localTime: '2026-01-19T07:31:05', verified: verify, status: state, workCode: null, fields: {} }, { stateMap: {}, verifyMap: {} });
  const usb = decodeLine(`7\t2026-01-19 07:31:05\t${state}\t${verify}\t0`, ZK_ATTLOG, { zone: 'Asia/Jakarta', nowMs: 0 });
  return [
    { path: 'zk-tcp 40-byte record', state: tcp.state, verify: tcp.verify },
    { path: 'zk-soap row', state: soap.state, verify: soap.verify },
    { path: 'serial-line zk-attlog', state: usb.state, verify: usb.verify },
    { path: 'zk-push (zkStateOf/zkVerifyOf)', state: zkStateOf(state), verify: zkVerifyOf(verify) },
  ];
}

describe('ZK code tables', () => {
  it.each([...ZK_VERIFY_CODES, ...ZK_STATE_CODES].map((row) => [row.code, row] as const))('row %i names its sources and its meaning', (_code, row) => {
    expect(row.sources.length).toBeGreaterThan(0);
    for (const source of row.sources) expect(SOURCES[source]).toEqual(expect.any(String));
    expect(row.meaning).not.toBe('');
  });

  it('has one row per code', () => {
    expect(new Set(ZK_VERIFY_CODES.map((r) => r.code)).size).toBe(ZK_VERIFY_CODES.length);
    expect(new Set(ZK_STATE_CODES.map((r) => r.code)).size).toBe(ZK_STATE_CODES.length);
  });

  it('derives its maps from the rows', () => {
    expect([...ZK_VERIFY_MAP]).toEqual([[1, 'fingerprint'], [3, 'password'], [4, 'card'], [15, 'face'], [25, 'palm']]);
    expect([...ZK_STATE_MAP]).toEqual([[0, 'check-in'], [1, 'check-out'], [2, 'break-out'], [3, 'break-in'], [4, 'overtime-in'], [5, 'overtime-out']]);
  });

  it('maps a disputed code to other and says so in its row', () => {
    for (const code of [0, 2]) {
      const row = ZK_VERIFY_CODES.find((r) => r.code === code)!;
      expect(row).toMatchObject({ method: 'other', meaning: expect.stringMatching(/^disputed: /) });
    }
  });
});

describe.each(SETTLED_VERIFY)('verify %i', (code, method) => {
  it(`is ${method} on every ZK decode path`, () => {
    for (const got of viaEveryPath(0, code)) expect({ path: got.path, verify: got.verify }).toEqual({ path: got.path, verify: method });
  });
});

describe.each(SETTLED_STATE)('state %i', (code, state) => {
  it(`is ${state} on every ZK decode path`, () => {
    for (const got of viaEveryPath(code, 1)) expect({ path: got.path, state: got.state }).toEqual({ path: got.path, state });
  });
});

describe('per-device overrides', () => {
  it.each([
    ['a code the table maps', 1, { '1': 'card' }, 'card'],
    ['a disputed code, for a black-and-white terminal', 0, { '0': 'password' }, 'password'],
    ['an unmapped code', 30, { '30': 'palm' }, 'palm'],
    ['an override for another code', 15, { '1': 'card' }, 'face'],
  ] as const)('%s', (_what, code, overrides, method) => {
    expect(zkVerifyOf(code, overrides)).toBe(method);
  });

  it('gives the fallback for a missing or non-integer code', () => {
    expect([zkVerifyOf(null), zkVerifyOf(undefined), zkVerifyOf(1.5), zkStateOf(null), zkStateOf(Number.NaN)]).toEqual(['other', 'other', 'other', 'unknown', 'unknown']);
  });
});
