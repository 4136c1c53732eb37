// The centre's employee list (src/users/employeeCsv.ts): good lists in the shapes spreadsheets
// write them, and every bad row named by its line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEmployeeCsv, readEmployeeCsv, splitCsvLine } from '../../src/users/employeeCsv.js';
import { user } from '../helpers/usersTable.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const employee = (pin: string, name: string, card = '', privilege = 0) => user(pin, { name, card, privilege, password: '', group: 1 });

describe('splitCsvLine', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    [' a , b ,c', ['a', 'b', 'c']],
    ['"Santoso, Budi",2', ['Santoso, Budi', '2']],
    ['"say ""hi""",x', ['say "hi"', 'x']],
    ['a,,', ['a', '', '']],
    ['"",x', ['', 'x']],
  ])('%s', (line, fields) => {
    expect(splitCsvLine(line)).toEqual(fields);
  });

  it.each([
    ['"open,x', /not closed/],
    ['"a"b,c', /text after a closing quote at column 4/],
    ['ab"c,d', /a quote inside an unquoted field at column 3/],
  ])('refuses %s', (line, message) => {
    expect(splitCsvLine(line)).toMatch(message);
  });
});

describe('parseEmployeeCsv', () => {
  it('keeps PINs exactly as written, leading zeros too', () => {
    const list = parseEmployeeCsv('pin,name,card,privilege\n00123,Budi Santoso,0004455,0\n007,"Santoso, Ani",,14\n42,Rina,,admin\n');
    expect(list.problems).toEqual([]);
    expect(list.users).toEqual([employee('00123', 'Budi Santoso', '0004455'), employee('007', 'Santoso, Ani', '', 14), employee('42', 'Rina', '', 14)]);
    expect(list.fields).toEqual(['name', 'card', 'privilege']);
  });

  it('reads a spreadsheet export: BOM, CRLF, capitalised header, columns in another order, blank lines', () => {
    const list = parseEmployeeCsv('\uFEFFName,PIN,Privilege,Card\r\nBudi,00123,user,77\r\n\r\nAni,00124,,\r\n');
    expect(list.problems).toEqual([]);
    expect(list.users).toEqual([employee('00123', 'Budi', '77'), employee('00124', 'Ani')]);
  });

  it('speaks only for the columns it has: no card column leaves cards alone', () => {
    const list = parseEmployeeCsv('pin,name\n1,Budi\n');
    expect(list.users).toEqual([employee('1', 'Budi')]);
    expect(list.fields).toEqual(['name']);
  });

  it('names the line of every bad row and imports none of the list', () => {
    const text = [
      'pin,name,card,privilege',
      '00123,Budi,,0', // 2 good
      '12 3,Spasi,,0', // 3 PIN with a space
      '00124,Ani,12a,0', // 4 card not digits
      '00125,Rina,,boss', // 5 privilege
      '00126,Joko,,0,extra', // 6 a field too many
      '00123,Budi again,,0', // 7 duplicate
      ',No PIN,,0', // 8 empty PIN
      '00127,"open quote,,0', // 9
      `00128,${'x'.repeat(65)},,0`, // 10 name too long
    ].join('\n');
    const list = parseEmployeeCsv(text);
    expect(list.users).toEqual([]);
    expect(list.problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(list.problems.find((p) => p.line === 3)?.message).toMatch(/^pin: a PIN is 1 to 24 letters, digits/);
    expect(list.problems.find((p) => p.line === 4)?.message).toMatch(/^card: a card number is decimal digits/);
    expect(list.problems.find((p) => p.line === 5)?.message).toBe('privilege "boss" is not 0-255, user or admin');
    expect(list.problems.find((p) => p.line === 6)?.message).toBe('5 field(s), the header has 4');
    expect(list.problems.find((p) => p.line === 7)?.message).toBe('PIN 00123 is already on line 2');
    expect(list.problems.find((p) => p.line === 8)?.message).toMatch(/^pin:/);
    expect(list.problems.find((p) => p.line === 10)?.message).toMatch(/^name:/);
  });

  it.each([
    ['pin;name;card;privilege\n1;Budi;;0\n', 'the header is separated by semicolons; save the list as CSV with commas'],
    ['pin,nama,card\n1,Budi,\n', 'unknown column(s) "nama"; expected pin,name,card,privilege'],
    ['name,card\nBudi,1\n', 'no "pin" column; expected pin,name,card,privilege'],
    ['pin,name,pin\n1,Budi,1\n', 'column "pin" appears twice'],
    ['', 'no header row; expected pin,name,card,privilege'],
  ])('refuses a header: %j', (text, message) => {
    expect(parseEmployeeCsv(text).problems).toEqual([{ line: 1, message }]);
  });

  it('reads a file and says file:line for each problem', () => {
    const good = join(tmp.dir, 'good.csv');
    writeFileSync(good, 'pin,name,card,privilege\n0001,Budi,,0\n');
    expect(readEmployeeCsv(good).users).toEqual([employee('0001', 'Budi')]);
    const bad = join(tmp.dir, 'bad.csv');
    writeFileSync(bad, 'pin,name,card,privilege\n0001,Budi,x,0\n');
    expect(() => readEmployeeCsv(bad)).toThrow(`${bad}:2: card: a card number is decimal digits`);
    expect(() => readEmployeeCsv(join(tmp.dir, 'none.csv'))).toThrow(/cannot read .*none\.csv: ENOENT/);
  });
});
