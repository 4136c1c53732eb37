// The users-and-templates codecs (drivers/zk-tcp/userCodec.ts) on real bytes where public ones
// exist (users-fixtures/, and the pyzk captures of fixtures/), and on the documented struct formats
// with round trips where none does (28-byte records, the template table, the upload, the deletes).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFields, decodePacket, decodeUsers, encodeReadRequest } from '../../../drivers/zk-tcp/codec.js';
import {
  UserFitError, decodeDeleteTemplate, decodeDeleteTemplateByPin, decodeDeleteUser, decodeTemplateEntryHeader, decodeTemplateTable,
  decodeUpload, decodeUserRecord, decodeUserTable, encodeDeleteTemplate, encodeDeleteTemplateByPin, encodeDeleteUser,
  encodeSaveUserTemps, encodeTemplateTable, encodeUpload, encodeUserRecord, encodeUserTable, type ZkUserRecord,
} from '../../../drivers/zk-tcp/userCodec.js';
import { USER_LAYOUTS } from '../../../drivers/zk-tcp/tables.js';
import { DecodeError } from '../../../src/util/errors.js';
import { byKind, datasetOf, deframeAll, FIXTURE_DIR } from './cases.js';

const USERS_DIR = join(import.meta.dirname, 'users-fixtures');

interface UserCase {
  name: string;
  input: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expected: any;
}

function userCases(kind: string): [string, UserCase][] {
  return readdirSync(USERS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(USERS_DIR, d.name);
      const input = existsSync(join(dir, 'input.bin')) ? readFileSync(join(dir, 'input.bin')) : Buffer.alloc(0);
      return { name: d.name, input, expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) };
    })
    .filter((c) => c.expected.kind === kind)
    .map((c) => [c.name, c]);
}

/** The byte offsets where two buffers differ. */
function differences(a: Buffer, b: Buffer): number[] {
  return [...a].flatMap((byte, i) => (byte === b[i] ? [] : [i]));
}

/** pyzk test.py test_tcp_get_template_1f: the template of uid 14, finger 1 (pyzk drops the last byte of the burst). */
function pyzkTemplate(): Buffer {
  const stream = readFileSync(join(FIXTURE_DIR, 'template-burst-merged_pyzk-test', 'input.bin'));
  const data = datasetOf(deframeAll([stream]).frames.map((f) => decodePacket(f)));
  return data.subarray(0, data.length - 1);
}

function expectDecodeError(run: () => unknown, code: string): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe(code);
    return;
  }
  throw new Error(`expected DecodeError ${code}`);
}

describe('user records on real bytes (zk-protocol data-user.md)', () => {
  it('every fixture kind is checked here', () => {
    const kinds = new Set(readdirSync(USERS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory())
      .map((d) => JSON.parse(readFileSync(join(USERS_DIR, d.name, 'expected.json'), 'utf8')).kind as string));
    expect([...kinds].sort()).toEqual(['read-request', 'template-entry-head', 'user-record', 'user-wrq-frame']);
  });

  it.each(userCases('user-record'))('%s decodes to what the source states', (_name, c) => {
    const user = decodeUserRecord(c.input, c.expected.size);
    expect(user).toEqual(c.expected.user);
    expect(decodeFields(c.input, USER_LAYOUTS.get(c.expected.size)!)).toMatchObject(c.expected.fields);
    const again = encodeUserRecord(user, c.expected.size);
    expect(decodeUserRecord(again, c.expected.size)).toEqual(user);
    expect(differences(again, c.input)).toEqual(c.expected.reencodeDiffers);
  });

  it.each(userCases('user-wrq-frame'))('%s: a real CMD_USER_WRQ frame; our encoder writes the same entry', (_name, c) => {
    expect(c.input.subarray(0, 4).toString('hex')).toBe('5050827d');
    const packet = decodePacket(c.input.subarray(8));
    expect({ command: packet.command, sessionId: packet.sessionId, replyId: packet.replyId, checksumOk: packet.checksumOk })
      .toEqual({ command: c.expected.command, sessionId: c.expected.sessionId, replyId: c.expected.replyId, checksumOk: c.expected.checksumOk });
    expect(decodeUserRecord(packet.data, 72)).toEqual(c.expected.user);
    expect(differences(encodeUserRecord(c.expected.user as ZkUserRecord, 72), packet.data)).toEqual(c.expected.reencodeDiffers);
  });

  it.each(userCases('template-entry-head'))('%s: the head of a real template entry', (_name, c) => {
    expect(decodeTemplateEntryHeader(c.input)).toEqual(c.expected.head);
    // the printed bytes are the start of a 1,220-byte entry: as a table they are cut short
    const table = Buffer.concat([Buffer.from([c.input.length, 0, 0, 0]), c.input]);
    expectDecodeError(() => decodeTemplateTable(table), 'zk-template-entry');
  });

  it.each(userCases('read-request'))('%s: our template read request is the documented one', (_name, c) => {
    expect(encodeReadRequest(c.expected.command, c.expected.fct).toString('hex')).toBe(c.expected.dataHex);
  });

  it.each(byKind('tcp-stream').filter(([, c]) => c.expected.users))('the pyzk user table %s decodes as the probe decodes it', (_name, c) => {
    const packets = deframeAll([c.input]).frames.map((f) => decodePacket(f));
    const dataset = datasetOf(packets);
    const count = c.expected.freeSizes?.users ?? 0;
    const table = decodeUserTable(dataset, count);
    expect(table.recordSize).toBe(72);
    expect(table.users.map(({ uid, pin, name, privilege }) => ({ uid, pin, name, privilege })))
      .toEqual(decodeUsers(dataset, count).map(({ uid, pin, name, privilege }) => ({ uid, pin, name, privilege })));
    expect(table.users).toHaveLength(c.expected.users.count);
  });
});

describe('the real pyzk template in the documented table and upload layouts (no public capture of either)', () => {
  const template = pyzkTemplate();

  it('is the template pyzk test.py asserts (1,243 bytes, mark 4d98535332310000...feff03d56454ccc1)', () => {
    expect(template.length).toBe(1243);
    expect(`${template.subarray(0, 8).toString('hex')}...${template.subarray(-8).toString('hex')}`).toBe('4d98535332310000...feff03d56454ccc1');
  });

  it('a template table (zk-protocol "Read All Templates": u32 total, entries <HHbb> + bytes) round-trips it', () => {
    const table = encodeTemplateTable([{ uid: 14, finger: 1, flag: 1, data: template }, { uid: 2, finger: 0, flag: 3, data: template.subarray(0, 10) }]);
    expect(table.readUInt32LE(0)).toBe(table.length - 4);
    expect(table.subarray(4, 10).toString('hex')).toBe('e1040e000101'); // 1243 + 6 = 0x04e1, uid 14, finger 1, valid
    expect(table.subarray(10, 10 + 1243).equals(template)).toBe(true);
    const entries = decodeTemplateTable(table);
    expect(entries.map(({ uid, finger, flag, data }) => ({ uid, finger, flag, length: data.length }))).toEqual([
      { uid: 14, finger: 1, flag: 1, length: 1243 }, { uid: 2, finger: 0, flag: 3, length: 10 },
    ]);
    expect(entries[0]?.data.equals(template)).toBe(true);
    expect(decodeTemplateTable(encodeTemplateTable([]))).toEqual([]);
  });

  it.each([72, 28] as const)('the upload for %i-byte terminals has pyzk HR_save_usertemplates layout and round-trips', (size) => {
    const users: ZkUserRecord[] = [
      { uid: 14, pin: '14', name: 'Nuevo', privilege: 0, card: '6543', password: '123', group: 1 },
      { uid: 15, pin: '15', name: 'Budi', privilege: 14, card: '', password: '', group: 1 },
    ];
    const templates = [{ uid: 14, finger: 1, data: template }, { uid: 14, finger: 6, data: template.subarray(0, 100) }];
    const upload = encodeUpload(users, templates, size);
    const record = size + 1;
    // head `III`: user bytes, table bytes, template bytes
    expect([upload.readUInt32LE(0), upload.readUInt32LE(4), upload.readUInt32LE(8)]).toEqual([2 * record, 16, 2 + 1243 + 2 + 100]);
    // each record after a byte 2 (repack73 / repack29), the record itself as CMD_USER_WRQ carries it
    expect(upload[12]).toBe(2);
    expect(upload.subarray(13, 13 + size).equals(encodeUserRecord(users[0]!, size))).toBe(true);
    expect(upload[12 + record]).toBe(2);
    // table `<bHbI`: 2, uid, 0x10 + finger, offset into the templates
    const table = 12 + 2 * record;
    expect(upload.subarray(table, table + 16).toString('hex')).toBe('020e0011000000000' + '20e0016dd040000');
    // templates `<H` size + bytes
    const data = table + 16;
    expect(upload.readUInt16LE(data)).toBe(1243);
    expect(upload.subarray(data + 2, data + 2 + 1243).equals(template)).toBe(true);
    const back = decodeUpload(upload, size);
    expect(back.users).toEqual(users);
    expect(back.templates.map((t) => ({ ...t, data: Buffer.from(t.data).toString('hex') }))).toEqual(templates.map((t) => ({ ...t, data: Buffer.from(t.data).toString('hex') })));
  });

  it('refuses an upload whose parts do not add up', () => {
    const upload = encodeUpload([{ uid: 1, pin: '1', name: '', privilege: 0, card: '', password: '', group: 1 }], [{ uid: 1, finger: 0, data: template }], 72);
    expectDecodeError(() => decodeUpload(upload.subarray(0, upload.length - 1), 72), 'zk-upload-buffer');
    expectDecodeError(() => decodeUpload(upload, 28), 'zk-upload-buffer');
    expectDecodeError(() => decodeUpload(upload.subarray(0, 11), 72), 'zk-upload-buffer');
  });
});

describe('records by the documented struct formats (no public capture)', () => {
  const user: ZkUserRecord = { uid: 300, pin: '4294967295', name: 'Siti Aminah', privilege: 14, card: '16777216', password: '9876', group: 3 };

  it('a 28-byte record is pyzk <HB5s8sIxBhI>: uid, privilege, password 5, name 8, card u32, pad, group, time zone, PIN u32', () => {
    const bytes = encodeUserRecord(user, 28);
    expect(bytes.length).toBe(28);
    expect(bytes.readUInt16LE(0)).toBe(300);
    expect(bytes[2]).toBe(14);
    expect(bytes.subarray(3, 8).toString('latin1')).toBe('9876\0');
    expect(bytes.subarray(8, 16).toString('latin1')).toBe('Siti Ami'); // the name is cut to the field
    expect(bytes.readUInt32LE(16)).toBe(16777216);
    expect(bytes[20]).toBe(0);
    expect(bytes[21]).toBe(3);
    expect(bytes.readUInt16LE(22)).toBe(0);
    expect(bytes.readUInt32LE(24)).toBe(4294967295);
    expect(decodeUserRecord(bytes, 28)).toEqual({ ...user, name: 'Siti Ami' });
  });

  it('a 72-byte record keeps a PIN with leading zeros and letters, and a UTF-8 name', () => {
    const record = { ...user, pin: '00420A', name: 'Añé Śląski' };
    expect(decodeUserRecord(encodeUserRecord(record, 72), 72)).toEqual(record);
    // a name cut at the 24 bytes of the field never splits a character
    const long = { ...user, name: 'ś'.repeat(20) };
    expect(decodeUserRecord(encodeUserRecord(long, 72), 72).name).toBe('ś'.repeat(12));
    // bytes that are not UTF-8 read as latin1, so nothing is lost
    const latin = encodeUserRecord(user, 72);
    latin[11] = 0xe9;
    expect(decodeUserRecord(latin, 72).name).toBe('éiti Aminah');
  });

  it.each([
    ['a PIN with a leading zero on a 28-byte terminal', { pin: '0042' }, 28, 'pin'],
    ['a PIN with a letter on a 28-byte terminal', { pin: '42A' }, 28, 'pin'],
    ['a PIN over 24 bytes', { pin: '1'.repeat(25) }, 72, 'pin'],
    ['a password over 5 bytes on a 28-byte terminal', { password: '123456' }, 28, 'password'],
    ['a password over 8 bytes', { password: '123456789' }, 72, 'password'],
    ['a card over 32 bits', { card: '4294967296' }, 72, 'card'],
    ['uid 0', { uid: 0 }, 72, 'uid'],
    ['a group over 255', { group: 256 }, 72, 'group'],
  ] as const)('refuses %s', (_what, change, size, field) => {
    expect(() => encodeUserRecord({ ...user, ...change }, size)).toThrow(UserFitError);
    try {
      encodeUserRecord({ ...user, ...change }, size);
    } catch (error) {
      expect((error as UserFitError).field).toBe(field);
    }
  });

  it('a user table round-trips and picks its record size from the count', () => {
    const users = [user, { ...user, uid: 301, pin: '7', name: 'B' }];
    expect(decodeUserTable(encodeUserTable(users, 72), 2)).toEqual({ recordSize: 72, users });
    expect(decodeUserTable(encodeUserTable(users, 28), 2).recordSize).toBe(28);
    expect(decodeUserTable(Buffer.from([0, 0, 0, 0]), 0)).toEqual({ recordSize: undefined, users: [] });
    expectDecodeError(() => decodeUserTable(encodeUserTable(users, 72).subarray(0, 100), 2), 'zk-dataset-size');
    expectDecodeError(() => decodeUserTable(Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 5]), 1), 'zk-user-layout');
  });

  it('commands: _CMD_SAVE_USERTEMPS <IHH> 12,0,8; CMD_DELETE_USER h; CMD_DELETE_USERTEMP hb; _CMD_DEL_USER_TEMP <24sB>', () => {
    expect(encodeSaveUserTemps().toString('hex')).toBe('0c00000000000800');
    expect(encodeDeleteUser(14).toString('hex')).toBe('0e00');
    expect(encodeDeleteTemplate(14, 1).toString('hex')).toBe('0e0001');
    expect(encodeDeleteTemplateByPin('831', 6).toString('hex')).toBe(`383331${'00'.repeat(21)}06`);
    expect(decodeDeleteUser(encodeDeleteUser(300))).toBe(300);
    expect(decodeDeleteTemplate(encodeDeleteTemplate(300, 9))).toEqual({ uid: 300, finger: 9 });
    expect(decodeDeleteTemplateByPin(encodeDeleteTemplateByPin('00420A', 2))).toEqual({ pin: '00420A', finger: 2 });
    expectDecodeError(() => decodeDeleteUser(Buffer.alloc(1)), 'zk-short-record');
  });
});

describe('fuzz: random bytes only ever throw DecodeError', () => {
  it('10,000 inputs through every decoder', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 10_000; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      // a plausible size prefix half of the time, so the decoders get past it
      if (bytes.length >= 4 && i % 2 === 0) bytes.writeUInt32LE(bytes.length - 4, 0);
      for (const decode of [() => decodeTemplateTable(bytes), () => decodeUserTable(bytes, i % 5), () => decodeUpload(bytes, i % 3 ? 72 : 28)]) {
        try {
          decode();
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
        }
      }
    }
  });
});
