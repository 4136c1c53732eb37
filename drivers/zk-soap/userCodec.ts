// Pure codec of the ZK SOAP users side: the argument lists of SetUserInfo, SetUserTemplate,
// DeleteUser, DeleteTemplate and GetUserTemplate, and the user, template and option rows of their
// answers (shapes in tables.ts, each with its public source).
// Invariants:
// - Pure: no I/O, no logging. A bad row is a UserRowError next to the good rows; an argument that
//   the wire cannot carry (a name outside ISO-8859-1, a PIN outside the rule) throws DecodeError-free
//   `UserEncodeError` before anything is sent.
// - PINs stay strings (leading zeros kept); `pin` is the PIN2 (the user id), never the internal PIN.
// - Template bytes travel as base64 with `Size` = their byte length, checked both ways.
import { UserEncodeError, type TemplateRecord, type TerminalUser } from '../../src/users/user.js';
import type { SoapArg, SoapDocument } from './codec.js';
import { FINGER_ALGORITHM_OPTION, MAX_FINGER_ID, TEMPLATE_ROW, USER_ROW, USER_TIME_ZONES, V10_TEMPLATE_MARK } from './tables.js';

export interface UserRowError {
  row: number;
  message: string;
}

export interface DecodedRows<T> {
  items: T[];
  errors: UserRowError[];
}

/** A template row as the terminal sent it, before an algorithm is given to it. */
export interface SoapTemplate {
  pin: string;
  index: number;
  valid: boolean;
  data: Buffer;
}

const PIN_RULE = /^[0-9A-Za-z]{1,24}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const int = (name: string, value: string): SoapArg => ({ name, value, type: 'integer' });
const str = (name: string, value: string): SoapArg => ({ name, value, type: 'string' });

function checkPin(pin: string): string {
  if (!PIN_RULE.test(pin)) throw new UserEncodeError(`PIN ${JSON.stringify(pin.slice(0, 30))} is not 1-24 letters or digits`);
  return pin;
}

function latin1Text(what: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[^\x20-\x7e\xa0-\xff]/.test(value)) throw new UserEncodeError(`${what} has characters the terminal's ISO-8859-1 cannot carry`);
  return value;
}

/** `<Arg><PIN>pin</PIN></Arg>`: GetUserInfo, DeleteUser, DeleteTemplate (tad-php TADSoap.php). */
export function encodePinArg(pin: string): SoapArg[] {
  return [int('PIN', checkPin(pin))];
}

/** GetUserTemplate of one user, every finger (`FingerID` All, as the Indonesian vendor-derived C# client sends it). */
export function encodeGetTemplates(pin: string): SoapArg[] {
  return [int('PIN', checkPin(pin)), int('FingerID', 'All')];
}

/**
 * SetUserInfo's Arg in tad-php's order: Name, Password, Group, Privilege, Card, PIN2, TZ1-3. The
 * call creates a user every time (tad-php README, ZkSoftware.java "lo duplica"): the session sends
 * DeleteUser first.
 */
export function encodeSetUserInfo(user: TerminalUser): SoapArg[] {
  checkPin(user.pin);
  if (user.password.length > 16) throw new UserEncodeError('the password is longer than 16 characters');
  if (!/^\d{0,10}$/.test(user.card)) throw new UserEncodeError('the card number is not 0-10 digits');
  return [
    str('Name', latin1Text('the name', user.name)),
    str('Password', latin1Text('the password', user.password)),
    int('Group', String(user.group)),
    int('Privilege', String(user.privilege)),
    int('Card', user.card === '' ? '0' : user.card),
    int('PIN2', user.pin),
    ...USER_TIME_ZONES.map((tz) => int(tz, '0')),
  ];
}

/** SetUserTemplate's Arg: PIN, FingerID, Size (bytes), Valid, Template (base64) (tad-php TADSoap.php). */
export function encodeSetTemplate(template: Pick<TemplateRecord, 'pin' | 'index' | 'valid' | 'data'>): SoapArg[] {
  if (!Number.isInteger(template.index) || template.index < 0 || template.index > MAX_FINGER_ID) throw new UserEncodeError(`finger ${template.index} is not 0-${MAX_FINGER_ID}`);
  if (template.data.length === 0) throw new UserEncodeError('an empty template');
  return [
    int('PIN', checkPin(template.pin)),
    int('FingerID', String(template.index)),
    int('Size', String(template.data.length)),
    int('Valid', template.valid ? '1' : '0'),
    str('Template', template.data.toString('base64')),
  ];
}

/** GetOption's Arg for the fingerprint algorithm. */
export function encodeAlgorithmOption(): SoapArg[] {
  return [str('Name', FINGER_ALGORITHM_OPTION)];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function smallInt(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined || value === '') return fallback;
  return /^\d{1,3}$/.test(value) && Number(value) <= 255 ? Number(value) : undefined;
}

function decodeUserRow(row: Record<string, unknown>): TerminalUser | string {
  const pin = text(row[USER_ROW.pin]) || text(row[USER_ROW.internalPin]) || '';
  if (!PIN_RULE.test(pin)) return `PIN2 ${JSON.stringify(pin.slice(0, 30))} is not 1-24 letters or digits`;
  const privilege = smallInt(text(row[USER_ROW.privilege]), 0);
  const group = smallInt(text(row[USER_ROW.group]), 1);
  if (privilege === undefined || group === undefined) return 'Privilege and Group must be integers 0-255';
  const card = text(row[USER_ROW.card]) ?? '';
  if (!/^\d*$/.test(card)) return 'Card must be decimal digits';
  const name = text(row[USER_ROW.name]) ?? '';
  const password = text(row[USER_ROW.password]) ?? '';
  if (name.length > 64 || password.length > 16) return 'Name or Password longer than a terminal holds';
  return { pin, name, privilege, card: /^0*$/.test(card) ? '' : card, password, group };
}

/** The rows of a `GetAllUserInfoResponse` / `GetUserInfoResponse` as users (card 0 = none). */
export function decodeUserRows(doc: SoapDocument): DecodedRows<TerminalUser> {
  const out: DecodedRows<TerminalUser> = { items: [], errors: [] };
  doc.rows.forEach((row, index) => {
    if (!(USER_ROW.pin in row) && !(USER_ROW.internalPin in row)) return; // a Result row ("No data!")
    const user = decodeUserRow(row);
    if (typeof user === 'string') out.errors.push({ row: index, message: user });
    else out.items.push(user);
  });
  return out;
}

function decodeTemplateRow(row: Record<string, unknown>, pin: string): SoapTemplate | string {
  const finger = text(row[TEMPLATE_ROW.finger]) ?? '';
  if (!/^\d$/.test(finger)) return `FingerID ${JSON.stringify(finger.slice(0, 10))} is not 0-${MAX_FINGER_ID}`;
  const encoded = (text(row[TEMPLATE_ROW.template]) ?? '').replace(/\s+/g, '');
  if (!BASE64.test(encoded)) return 'Template is not base64';
  const data = Buffer.from(encoded, 'base64');
  const size = text(row[TEMPLATE_ROW.size]);
  if (size !== undefined && size !== '' && Number(size) !== data.length) return `Size ${size} differs from the ${data.length} bytes of Template`;
  const valid = text(row[TEMPLATE_ROW.valid]) ?? '1';
  return { pin, index: Number(finger), valid: valid !== '0', data };
}

/**
 * The rows of a `GetUserTemplateResponse` asked for one PIN; "No data!" is no templates. Rows are
 * the asked user's whatever their own `<PIN>` holds (the internal number on some firmware).
 */
export function decodeTemplateRows(doc: SoapDocument, pin: string): DecodedRows<SoapTemplate> {
  const out: DecodedRows<SoapTemplate> = { items: [], errors: [] };
  doc.rows.forEach((row, index) => {
    if (!(TEMPLATE_ROW.template in row) && !(TEMPLATE_ROW.finger in row)) return;
    const template = decodeTemplateRow(row, pin);
    if (typeof template === 'string') out.errors.push({ row: index, message: template });
    else out.items.push(template);
  });
  return out;
}

/** `<Row><Value>~ZKFPVersion=10</Value></Row>` → `10`; undefined when the answer holds no version. */
export function decodeAlgorithmOption(doc: SoapDocument): string | undefined {
  for (const row of doc.rows) {
    const value = text(row.value)?.trim();
    const version = value?.replace(/^~?ZKFPVersion\s*=\s*/i, '');
    if (version && /^\d{1,2}$/.test(version)) return version;
  }
  return undefined;
}

/** The algorithm a template's own bytes show, for terminals that do not answer the option (tables.ts V10_TEMPLATE_MARK). */
export function templateAlgorithmOf(data: Buffer): string {
  const { offset, bytes } = V10_TEMPLATE_MARK;
  return data.subarray(offset, offset + bytes.length).toString('latin1') === bytes ? 'finger:10' : 'finger:9';
}
