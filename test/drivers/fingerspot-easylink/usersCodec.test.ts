// EasyLink users codec: the guide's /user/all/paging sample (fixtures/userpage-*, run with the other
// fixtures by codec.test.ts) read here field by field, /user/set bodies with the guide's keys and
// `+` as %2B, per-user refusals and a fuzz run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserEncodeError } from '../../../src/users/user.js';
import { decodeUserPage, encodeUserDel, encodeUserSet } from '../../../drivers/fingerspot-easylink/userCodec.js';
import type { TemplateRecord, TerminalUser } from '../../../src/users/user.js';
import { DecodeError } from '../../../src/util/errors.js';
import { FIXTURES } from './cases.js';

const guide = readFileSync(join(FIXTURES, 'userpage-guide-sample_easylink-user-guide', 'input.json'), 'utf8');
const user: TerminalUser = { pin: '0042', name: 'Budi Santoso', privilege: 0, card: '4085563', password: '2', group: 1 };
const template = (over: Partial<TemplateRecord> = {}): TemplateRecord => ({ pin: '0042', kind: 'finger', index: 0, algorithm: 'finger:10', valid: true, data: Buffer.from([0xfb, 0xef, 0xff, 0x00, 0x3e]), ...over });

describe('decodeUserPage', () => {
  it('reads the guide sample: users, RFID as card, the alg_ver 10 template as finger:10', () => {
    const reply = decodeUserPage(guide);
    if (reply.kind !== 'users') throw new Error(reply.kind);
    expect(reply.users.map((u) => u.user)).toEqual([
      { pin: '1', name: 'satu', privilege: 0, card: '2341073', password: '1', group: 1 },
      { pin: '2', name: 'dua', privilege: 0, card: '4085563', password: '2', group: 1 },
    ]);
    const [t] = reply.users[1]!.templates;
    expect(t).toMatchObject({ pin: '2', kind: 'finger', index: 0, algorithm: 'finger:10' });
    expect(t!.data.subarray(0, 6).toString('latin1')).toBe('LSSS21');
    expect(reply.isSession).toBeUndefined();
  });

  it('keeps good users next to bad ones, and reads idx/alg_ver given as strings', () => {
    const body = JSON.stringify({ Result: true, IsSession: true, Data: [
      { PIN: '7', Name: 'a', RFID: '0', Password: '', Privilege: 0, Template: [{ pin: '7', idx: '5', alg_ver: '10', template: 'QUJD' }] },
      { PIN: 'x y', Name: 'b' },
      { PIN: '8', Template: [{ pin: '8', idx: 0, alg_ver: 10, template: 'not base64!' }] },
      { PIN: '9', Template: [{ pin: '10', idx: 0, alg_ver: 10, template: 'QUJD' }] },
    ] });
    const reply = decodeUserPage(body);
    if (reply.kind !== 'users') throw new Error(reply.kind);
    expect(reply.users.map((u) => u.user.pin)).toEqual(['7']);
    expect(reply.users[0]!.user.card).toBe('');
    expect(reply.users[0]!.templates[0]).toMatchObject({ index: 5, algorithm: 'finger:10', data: Buffer.from('ABC') });
    expect(reply.errors.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(reply.isSession).toBe(true);
  });

  it('reads "No data" as an empty table and Result:false as a failure; refuses what is not a reply', () => {
    expect(decodeUserPage('{"Result":false,"message_code":0,"message":"No data"}')).toEqual({ kind: 'no-data' });
    expect(decodeUserPage('{"Result":false}')).toEqual({ kind: 'failed', message: 'Result:false without a message' });
    expect(() => decodeUserPage('<html>')).toThrow(DecodeError);
    expect(() => decodeUserPage('{"Data":[]}')).toThrow(DecodeError);
  });
});

describe('encodeUserSet', () => {
  it('sends sn then the guide\'s keys (pin, nama, pwd, rfid, priv, tmp), the templates as the vendor sample builds them', () => {
    const form = new URLSearchParams(encodeUserSet('FIO66208021230737', user, [template()]));
    expect([...form.keys()]).toEqual(['sn', 'pin', 'nama', 'pwd', 'rfid', 'priv', 'tmp']);
    expect(Object.fromEntries(form)).toMatchObject({ sn: 'FIO66208021230737', pin: '0042', nama: 'Budi Santoso', pwd: '2', rfid: '4085563', priv: '0' });
    expect(JSON.parse(form.get('tmp')!)).toEqual([{ pin: '0042', idx: '0', alg_ver: '10', template: '++//AD4=' }]);
  });

  it('sends a template\'s + as %2B, never as a + the bridge would read as a space', () => {
    const body = encodeUserSet('SN1', user, [template()]);
    expect(body).toContain('%2B%2B%2F%2FAD4%3D');
    expect(body).not.toMatch(/\+\+/);
    const back = JSON.parse(new URLSearchParams(body).get('tmp')!) as { template: string }[];
    expect(Buffer.from(back[0]!.template, 'base64').equals(template().data)).toBe(true);
  });

  it.each([
    ['a PIN outside the rule', () => encodeUserSet('SN1', { ...user, pin: '1 2' }, [])],
    ['a card that is not digits', () => encodeUserSet('SN1', { ...user, card: 'A1' }, [])],
    ['a template of no EasyLink alg_ver', () => encodeUserSet('SN1', user, [template({ algorithm: 'face:7' })])],
    ['an empty template', () => encodeUserSet('SN1', user, [template({ data: Buffer.alloc(0) })])],
    ['a bad PIN to delete', () => encodeUserDel('SN1', '')],
  ])('refuses %s', (_what, encode) => {
    expect(encode).toThrow(UserEncodeError);
  });

  it('deletes by sn and pin', () => {
    expect(encodeUserDel('SN1', '0042')).toBe('sn=SN1&pin=0042');
  });
});

describe('fuzz', () => {
  it('never throws anything but DecodeError on 3000 random replies', () => {
    let seed = 11;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const values: unknown[] = [null, 1, -1, 'x', '', 'QUJD', [], {}, true, '12', 99999999999];
    const keys = ['PIN', 'Name', 'RFID', 'Password', 'Privilege', 'Template', 'pin', 'idx', 'alg_ver', 'template'];
    const obj = (depth: number): Record<string, unknown> => Object.fromEntries(Array.from({ length: rand(6) }, () => [keys[rand(keys.length)]!, depth > 0 && rand(3) === 0 ? [obj(depth - 1)] : values[rand(values.length)]]));
    for (let i = 0; i < 3000; i++) {
      const body = JSON.stringify({ Result: rand(4) > 0, IsSession: rand(2) === 0, Data: Array.from({ length: rand(4) }, () => obj(2)) });
      try {
        decodeUserPage(body);
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
      }
    }
  });
});
