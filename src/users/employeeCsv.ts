// The centre's employee list as CSV (`users import --csv FILE`): a header row naming the columns
// `pin,name,card,privilege`, then one employee per line. A small strict parser: no CSV library is a
// dependency of this project, and the format is one table of four short columns.
// Invariants:
// - A PIN is kept exactly as written (leading zeros: `00123` stays `00123`); it must be what a
//   terminal holds (terminalUserSchema: the punch PIN rule, 1-24 letters, digits, '.', '_', '-').
// - Every bad row is reported with its line number and what is wrong; a file with any bad row is
//   refused whole (parseEmployeeCsv returns problems, no users), so a half-right list never reaches
//   a terminal.
// - Fields are comma-separated; a field may be double-quoted (RFC 4180: `""` is one quote, a comma
//   inside quotes is text); a line break inside quotes is refused, as is a semicolon-separated
//   file (a spreadsheet saved in a locale that uses `;`). A UTF-8 BOM and CRLF line ends are accepted.
// - Columns may come in any order; `pin` and `name` are required, `card` (default none) and
//   `privilege` (default 0) may be left out, and then the import leaves that field of a user the
//   terminal holds as it is (`fields`). Any other column is an error (a typo must not be ignored).
import { readFileSync } from 'node:fs';
import { GatewayError, errorMessage } from '../util/errors.js';
import type { UserField } from './diff.js';
import { terminalUserSchema, type TerminalUser } from './user.js';

export const CSV_COLUMNS = ['pin', 'name', 'card', 'privilege'] as const;
type Column = (typeof CSV_COLUMNS)[number];

export interface CsvProblem {
  line: number;
  message: string;
}

export interface EmployeeList {
  users: TerminalUser[];
  /** the fields the list speaks for: its columns but the PIN (a list without `card` leaves cards alone) */
  fields: UserField[];
  problems: CsvProblem[];
}

/** The fields of one CSV line; a string says what is wrong with it. */
export function splitCsvLine(line: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= line.length) return 'a quoted field is not closed (a line break inside quotes is not accepted)';
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += line[i];
        i += 1;
      }
      if (i < line.length && line[i] !== ',') return `text after a closing quote at column ${i + 1}`;
      fields.push(value);
    } else {
      const end = line.indexOf(',', i);
      const value = line.slice(i, end === -1 ? line.length : end);
      if (value.includes('"')) return `a quote inside an unquoted field at column ${i + 1 + value.indexOf('"')}`;
      fields.push(value.trim());
      i = end === -1 ? line.length : end;
    }
    if (i >= line.length) return fields;
    i += 1; // the comma
    if (i === line.length) {
      fields.push('');
      return fields;
    }
  }
}

const PRIVILEGE_WORDS: Record<string, number> = { user: 0, admin: 14 };

function privilegeOf(text: string): number | undefined {
  if (text === '') return 0;
  const word = PRIVILEGE_WORDS[text.toLowerCase()];
  if (word !== undefined) return word;
  return /^\d{1,3}$/.test(text) && Number(text) <= 255 ? Number(text) : undefined;
}

function headerOf(fields: string[]): Column[] | string {
  const names = fields.map((f) => f.trim().toLowerCase());
  const unknown = names.filter((n) => !(CSV_COLUMNS as readonly string[]).includes(n));
  if (unknown.length > 0) return `unknown column(s) ${unknown.map((n) => `"${n}"`).join(', ')}; expected ${CSV_COLUMNS.join(',')}`;
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) return `column "${twice[0]}" appears twice`;
  for (const required of ['pin', 'name'] as const) if (!names.includes(required)) return `no "${required}" column; expected ${CSV_COLUMNS.join(',')}`;
  return names as Column[];
}

function userOf(fields: string[], columns: Column[]): TerminalUser | string {
  if (fields.length !== columns.length) return `${fields.length} field(s), the header has ${columns.length}`;
  const value = (c: Column): string => fields[columns.indexOf(c)] ?? '';
  const privilege = privilegeOf(value('privilege'));
  if (privilege === undefined) return `privilege "${value('privilege')}" is not 0-255, user or admin`;
  const parsed = terminalUserSchema.safeParse({ pin: value('pin'), name: value('name'), privilege, card: value('card'), password: '', group: 1 });
  if (parsed.success) return parsed.data;
  return parsed.error.issues.map((issue) => `${String(issue.path[0] ?? 'row')}: ${issue.message}`).join('; ');
}

/** The employees of a CSV text; with problems (and no users) when any line is bad. */
export function parseEmployeeCsv(text: string): EmployeeList {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const problems: CsvProblem[] = [];
  const users: TerminalUser[] = [];
  const firstPinLine = new Map<string, number>();
  let columns: Column[] | undefined;
  let headerRefused = false;
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (line.trim() === '' || headerRefused) return;
    const fields = splitCsvLine(line);
    if (typeof fields === 'string') {
      headerRefused = columns === undefined;
      return void problems.push({ line: lineNo, message: fields });
    }
    if (!columns) {
      // the rest cannot be read without its columns: one problem, for the header
      const header = fields.length === 1 && line.includes(';') ? 'the header is separated by semicolons; save the list as CSV with commas' : headerOf(fields);
      if (typeof header === 'string') {
        headerRefused = true;
        return void problems.push({ line: lineNo, message: header });
      }
      columns = header;
      return;
    }
    const user = userOf(fields, columns);
    if (typeof user === 'string') return void problems.push({ line: lineNo, message: user });
    const earlier = firstPinLine.get(user.pin);
    if (earlier !== undefined) return void problems.push({ line: lineNo, message: `PIN ${user.pin} is already on line ${earlier}` });
    firstPinLine.set(user.pin, lineNo);
    users.push(user);
  });
  if (!columns && problems.length === 0) problems.push({ line: 1, message: `no header row; expected ${CSV_COLUMNS.join(',')}` });
  const fields = (columns ?? []).filter((c): c is Exclude<Column, 'pin'> => c !== 'pin');
  return problems.length > 0 ? { users: [], fields, problems } : { users, fields, problems };
}

const MAX_PROBLEMS = 20;

/** The employees of a CSV file; a GatewayError GW_ERR_USERS_INPUT_INVALID listing each bad line otherwise. */
export function readEmployeeCsv(file: string): { users: TerminalUser[]; fields: UserField[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GatewayError('GW_ERR_USERS_INPUT_INVALID', `cannot read ${file}: ${errorMessage(error)}`, { cause: error });
  }
  return employeeListOf(text, file);
}

/** The employees of a CSV text, named `name` in the problems (`name:line: …`); throws as readEmployeeCsv. */
export function employeeListOf(text: string, name: string): { users: TerminalUser[]; fields: UserField[] } {
  const { users, fields, problems } = parseEmployeeCsv(text);
  if (problems.length === 0) return { users, fields };
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `${name}:${p.line}: ${p.message}`);
  const more = problems.length > shown.length ? `\n… and ${problems.length - shown.length} more` : '';
  throw new GatewayError('GW_ERR_USERS_INPUT_INVALID', `${name}: ${problems.length} bad line(s), nothing imported:\n${shown.join('\n')}${more}`);
}
