// zk-push users codec: table-driven over bodies quoted from public sources (fixtures/README.md) where
// they exist (getrequest commands, devicecmd results), round trips where none do (USER lines), and
// FP lines rebuilt from the saifulcoder capture's header fields with a synthetic TMP (said so below).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserEncodeError } from '../../../src/users/user.js';
import { decodeCommandResults, encodeCommands } from '../../../drivers/zk-push/codec.js';
import {
  decodeCommandLines, decodeDataCommand, decodeOperlogUsers, encodeCommandResults, encodeFingerQuery, encodeFingerUpdate,
  encodeOperlogFinger, encodeOperlogUser, encodeUserDelete, encodeUserQuery, encodeUserUpdate,
} from '../../../drivers/zk-push/userCodec.js';
import type { TerminalUser } from '../../../src/users/user.js';

const FIXTURE_DIR = join(import.meta.dirname, 'fixtures');
const cases = readdirSync(FIXTURE_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => ({
    name: d.name,
    input: readFileSync(join(FIXTURE_DIR, d.name, 'input.txt'), 'utf8'),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expected: JSON.parse(readFileSync(join(FIXTURE_DIR, d.name, 'expected.json'), 'utf8')) as any,
  }));
const ofKind = (kind: string): (readonly [string, (typeof cases)[number]])[] => cases.filter((c) => c.expected.kind === kind).map((c) => [c.name, c] as const);

const rina: TerminalUser = { pin: '0021', name: 'Rina Wati', privilege: 0, card: '12345678', password: '4321', group: 1 };
const admin: TerminalUser = { pin: '7', name: 'Admin', privilege: 14, card: '', password: '', group: 2 };

describe('zk-push users codec on quoted bodies', () => {
  it('there are quoted cases of each kind', () => {
    expect(ofKind('devicecmd').length).toBeGreaterThanOrEqual(2);
    expect(ofKind('getrequest').length).toBeGreaterThanOrEqual(1);
  });

  it.each(ofKind('devicecmd'))('%s: every result, batched or one field per line', (_name, c) => {
    expect(decodeCommandResults(c.input)).toEqual(c.expected.results);
  });

  it.each(ofKind('getrequest'))('%s: every C:<id>:<command> line', (_name, c) => {
    expect(decodeCommandLines(c.input)).toEqual(c.expected.commands);
    // and the gateway's encoder writes that body back byte for byte (LF, no trailing line end)
    expect(encodeCommands(c.expected.commands)).toBe(c.input.replace(/\n$/, ''));
  });

  it('an OK reply carries no command; CRLF line ends are read alike', () => {
    expect(decodeCommandLines('OK')).toEqual([]);
    const crlf = cases.find((c) => c.expected.kind === 'getrequest')!.input.replace(/\n/g, '\r\n');
    expect(decodeCommandLines(crlf).map((c) => c.id)).toEqual(['1', '2', '3']);
  });
});

describe('zk-push user commands', () => {
  it.each([
    ['update', encodeUserUpdate(rina), 'DATA UPDATE USERINFO PIN=0021\tName=Rina Wati\tPri=0\tPasswd=4321\tCard=12345678\tGrp=1'],
    ['update admin, empty fields', encodeUserUpdate(admin), 'DATA UPDATE USERINFO PIN=7\tName=Admin\tPri=14\tPasswd=\tCard=\tGrp=2'],
    ['delete', encodeUserDelete('0021'), 'DATA DELETE USERINFO PIN=0021'],
    ['query all users', encodeUserQuery(), 'DATA QUERY USERINFO'],
    ['query one user', encodeUserQuery('0021'), 'DATA QUERY USERINFO PIN=0021'],
    ['query all fingers', encodeFingerQuery(), 'DATA QUERY FINGERTMP'],
    ['query one finger', encodeFingerQuery('0021', 3), 'DATA QUERY FINGERTMP PIN=0021\tFID=3'],
    ['finger', encodeFingerUpdate({ pin: '0021', index: 6, valid: true, data: Buffer.from('ABC') }), 'DATA UPDATE FINGERTMP PIN=0021\tFID=6\tSize=4\tValid=1\tTMP=QUJD'],
  ])('%s', (_name, got, want) => {
    expect(got).toBe(want);
  });

  it.each([
    ['a tab in a name', () => encodeUserUpdate({ ...rina, name: 'Rina\tPri=14' })],
    ['a line break in a password', () => encodeUserUpdate({ ...rina, password: '1\nC:9:REBOOT' })],
    ['a PIN with a space', () => encodeUserDelete('1 2')],
    ['finger 10', () => encodeFingerUpdate({ pin: '1', index: 10, valid: true, data: Buffer.from('x') })],
    ['an empty template', () => encodeFingerUpdate({ pin: '1', index: 0, valid: true, data: Buffer.alloc(0) })],
  ])('refuses %s before anything is queued', (_name, encode) => {
    expect(encode).toThrow(UserEncodeError);
  });

  it('a command is read back by the terminal side as it was meant', () => {
    expect(decodeDataCommand(encodeUserUpdate(rina))).toEqual({ action: 'UPDATE', table: 'USERINFO', fields: { PIN: '0021', Name: 'Rina Wati', Pri: '0', Passwd: '4321', Card: '12345678', Grp: '1' } });
    expect(decodeDataCommand('DATA DELETE USERINFO PIN=5')).toEqual({ action: 'DELETE', table: 'USERINFO', fields: { PIN: '5' } });
    expect(decodeDataCommand('DATA QUERY FINGERTMP')).toEqual({ action: 'QUERY', table: 'FINGERTMP', fields: {} });
    expect(decodeDataCommand('USER ADD PIN=1')).toBeUndefined();
  });

  it('devicecmd results round-trip, several per body', () => {
    const results = [{ id: '101', returnCode: 0, cmd: 'DATA' }, { id: '102', returnCode: -10, cmd: 'DATA' }];
    expect(decodeCommandResults(encodeCommandResults(results))).toEqual(results.map((r) => ({ ...r, values: {} })));
  });
});

describe('zk-push OPERLOG user and template lines', () => {
  // No traceable public capture quotes a USER line: round trips of the encoder the simulator uses
  it('USER lines round-trip; leading zeros kept', () => {
    const body = `${[rina, admin].map(encodeOperlogUser).join('\r\n')}\r\nOPLOG 4\t0\t2024-03-12 11:03:53\t0\t0\t0\t0\r\n`;
    const out = decodeOperlogUsers(body);
    expect(out.users).toEqual([rina, admin]);
    expect(out.errors).toEqual([]);
    expect(out.otherLines).toBe(1);
  });

  it('USER lines with more fields than it knows (TZ, Verify, ViceCard, …) and Privilege= for Pri=', () => {
    const out = decodeOperlogUsers('USER PIN=4\tName=User3\tPrivilege=14\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=1\tViceCard=\n');
    expect(out.users).toEqual([{ pin: '4', name: 'User3', privilege: 14, card: '', password: '', group: 1 }]);
  });

  // Derived from saifulcoder's "operationLog record": its header fields (PIN=1, FID=1, Size=332,
  // Valid=1) verbatim, a synthetic TMP of the same 332 base64 characters in place of the real one
  const synthetic332 = Buffer.alloc(249, 7).toString('base64').slice(0, 332 - 4) + 'AAA=';
  it('derived (saifulcoder FP header, synthetic TMP): Size is the base64 length; `\\/` is read as `/`', () => {
    expect(synthetic332).toHaveLength(332);
    const escaped = `${synthetic332.slice(0, 10)}\\/${synthetic332.slice(11)}`;
    const out = decodeOperlogUsers(`OPLOG 6\t0\t2024-06-13 12:55:42\t1\t0\t1\t1218\r\nFP PIN=1\tFID=1\tSize=332\tValid=1\tTMP=${escaped}\r\n`);
    expect(out.errors).toEqual([]);
    expect(out.fingers).toHaveLength(1);
    expect(out.fingers[0]).toMatchObject({ pin: '1', fid: 1, valid: true });
    expect(out.fingers[0]!.data.toString('base64')).toBe(`${synthetic332.slice(0, 10)}/${synthetic332.slice(11)}`);
  });

  it('derived (saifulcoder first FP line, broken by a CRLF inside TMP): an error that shows no template text', () => {
    const head = synthetic332.slice(0, 100);
    const out = decodeOperlogUsers(`FP PIN=1\tFID=0\tSize=440\tValid=1\tTMP=${head}\r\n${synthetic332.slice(100)}\r\n`);
    expect(out.fingers).toEqual([]);
    expect(out.errors).toEqual([{ line: 1, code: 'size', message: 'Size=440 but TMP= holds 100 base64 characters', excerpt: JSON.stringify('FP PIN=1\tFID=0\tSize=440\tValid=1\tTMP=…') }]);
    expect(out.otherLines).toBe(1);
    expect(JSON.stringify(out.errors)).not.toContain(head.slice(0, 20));
  });

  it('FP lines round-trip', () => {
    const f = { pin: '0021', fid: 9, valid: false, data: Buffer.from([0, 1, 2, 250, 251, 252]) };
    expect(decodeOperlogUsers(encodeOperlogFinger(f)).fingers).toEqual([f]);
  });

  it.each([
    ['USER PIN=\tName=x', 'pin'],
    ['USER PIN=1\tPri=admin', 'number'],
    ['USER PIN=1\tCard=12ab', 'number'],
    ['FP PIN=1\tFID=12\tSize=4\tValid=1\tTMP=QUJD', 'number'],
    ['FP PIN=1\tFID=1\tSize=4\tValid=1\tTMP=QU*D', 'base64'],
    ['FP PIN=1\tFID=1\tSize=4\tValid=1', 'base64'],
  ])('%j is a %s error, never a record', (line, code) => {
    const out = decodeOperlogUsers(line);
    expect(out.users).toEqual([]);
    expect(out.fingers).toEqual([]);
    expect(out.errors.map((e) => e.code)).toEqual([code]);
  });

  it('never throws on hostile bodies', () => {
    for (let i = 0; i < 300; i += 1) {
      const bytes = Buffer.from(Array.from({ length: 1 + (i % 97) }, (_, j) => (i * 31 + j * 17) % 256));
      const text = (i % 2 ? 'USER PIN=' : 'FP PIN=1\tTMP=') + bytes.toString('latin1');
      expect(() => decodeOperlogUsers(text)).not.toThrow();
    }
  });
});
