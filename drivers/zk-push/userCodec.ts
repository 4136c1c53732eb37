// Pure codec of the zk-push users side: the `DATA UPDATE|DELETE|QUERY USERINFO|FINGERTMP` commands
// the gateway queues, the `C:<id>:<command>` lines of a getrequest reply and the devicecmd result
// lines (what the simulator reads and writes), and the `USER PIN=…` / `FP PIN=…` / `FACE PIN=…` lines a
// terminal uploads to table=OPERLOG, and the `BIODATA Pin=…` lines of table=BIODATA, when it answers
// a query or someone enrols at it (faces: faceCodec.ts).
// Sources: users-templates.md "ADMS / iclock PUSH" (PUSH SDK V3.2.0, s0x90/zkteco-adms ADMS.md).
// Invariants:
// - Never throws on a body: an upload line is a user, a template, an OPLOG line or a UserLineError.
// - A UserLineError's excerpt never holds template text: an FP line is cut before `TMP=`.
// - Encoding refuses (UserEncodeError, nothing queued) what a tab-separated line cannot carry: a
//   tab, CR or LF in a field, a PIN outside the punch edge rule, a finger number over 9.
// - `Size` is the length of the base64 text (users-templates.md; the saifulcoder capture agrees,
//   fixtures/README.md), checked on decode: a template whose Size disagrees is an error, not data.
import { UserEncodeError, type TemplateRecord, type TerminalUser } from '../../src/users/user.js';
import { PIN_PATTERN } from '../../src/punch/edgeRules.js';
import { decodeKeyValues, splitLines, type CommandResult } from './codec.js';
import { decodeBiodataLine, decodeFaceLine, type PushBiodata, type PushFace } from './faceCodec.js';
import type { UserLineError } from './lineError.js';

/** A finger template as the PUSH protocol carries it: no algorithm (the terminal's, read elsewhere). */
export interface PushFinger {
  pin: string;
  /** finger number 0–9 */
  fid: number;
  valid: boolean;
  data: Buffer;
}

export type { UserLineError } from './lineError.js';

export interface OperlogUsers {
  users: TerminalUser[];
  fingers: PushFinger[];
  /** FACE-table templates (`FACE PIN=…` lines) */
  faces: PushFace[];
  /** BIODATA records of any Type (`BIODATA Pin=…` lines) */
  biodata: PushBiodata[];
  errors: UserLineError[];
  /** OPLOG and other lines that are neither a user nor a template */
  otherLines: number;
}

const MAX_FID = 9;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// eslint-disable-next-line no-control-regex
const LINE_BREAKERS = /[\t\r\n\u0000]/;

function field(name: string, value: string): string {
  if (LINE_BREAKERS.test(value)) throw new UserEncodeError(`${name} holds a tab, line break or NUL, which a PUSH command line cannot carry`);
  return value;
}

function checkedPin(pin: string): string {
  if (!PIN_PATTERN.test(pin)) throw new UserEncodeError(`PIN ${JSON.stringify(pin.slice(0, 30))} is not 1-24 letters, digits, '.', '_' or '-'`);
  return pin;
}

/** `DATA UPDATE USERINFO PIN=…⇥Name=…⇥Pri=…⇥Passwd=…⇥Card=…⇥Grp=…`: creates or replaces the user. */
export function encodeUserUpdate(user: TerminalUser): string {
  const parts = [
    `PIN=${checkedPin(user.pin)}`,
    `Name=${field('Name', user.name)}`,
    `Pri=${user.privilege}`,
    `Passwd=${field('Passwd', user.password)}`,
    `Card=${field('Card', user.card)}`,
    `Grp=${user.group}`,
  ];
  return `DATA UPDATE USERINFO ${parts.join('\t')}`;
}

/** `DATA UPDATE FINGERTMP PIN=…⇥FID=…⇥Size=<base64 length>⇥Valid=1⇥TMP=<base64>`. */
export function encodeFingerUpdate(t: Pick<TemplateRecord, 'pin' | 'index' | 'valid' | 'data'>): string {
  if (!Number.isInteger(t.index) || t.index < 0 || t.index > MAX_FID) throw new UserEncodeError(`finger ${t.index} of PIN ${t.pin}: a PUSH terminal has fingers 0-${MAX_FID}`);
  if (t.data.length === 0) throw new UserEncodeError(`finger ${t.index} of PIN ${t.pin} is empty`);
  const tmp = t.data.toString('base64');
  return `DATA UPDATE FINGERTMP PIN=${checkedPin(t.pin)}\tFID=${t.index}\tSize=${tmp.length}\tValid=${t.valid ? 1 : 0}\tTMP=${tmp}`;
}

/** `DATA DELETE USERINFO PIN=…` (the full word: `DATA DEL` is refused by real terminals, ADMS.md). */
export function encodeUserDelete(pin: string): string {
  return `DATA DELETE USERINFO PIN=${checkedPin(pin)}`;
}

/** `DATA QUERY USERINFO [PIN=…]`: the terminal answers with `USER` lines on table=OPERLOG. */
export function encodeUserQuery(pin?: string): string {
  return pin === undefined ? 'DATA QUERY USERINFO' : `DATA QUERY USERINFO PIN=${checkedPin(pin)}`;
}

/** `DATA QUERY FINGERTMP [PIN=…[⇥FID=…]]`: answered with `FP` lines on table=OPERLOG. */
export function encodeFingerQuery(pin?: string, fid?: number): string {
  if (pin === undefined) return 'DATA QUERY FINGERTMP';
  return `DATA QUERY FINGERTMP PIN=${checkedPin(pin)}${fid === undefined ? '' : `\tFID=${fid}`}`;
}

/** A getrequest reply's commands: `C:<id>:<command>` lines (`OK` and anything else: none). */
export function decodeCommandLines(body: string): { id: string; command: string }[] {
  const out: { id: string; command: string }[] = [];
  for (const { text } of splitLines(body)) {
    const m = /^C:([^:\s]+):(.*)$/.exec(text);
    if (m) out.push({ id: m[1]!, command: m[2]! });
  }
  return out;
}

/** A devicecmd body: one `ID=…&Return=…&CMD=…` line per result (real terminals batch them, ADMS.md). */
export function encodeCommandResults(results: ReadonlyArray<Pick<CommandResult, 'id' | 'returnCode' | 'cmd'>>): string {
  return `${results.map((r) => `ID=${r.id}&Return=${r.returnCode ?? ''}&CMD=${r.cmd}`).join('\n')}\n`;
}

/** An upload line of a user, as the terminal writes it (the simulator's, and a test's). */
export function encodeOperlogUser(user: TerminalUser): string {
  return `USER PIN=${checkedPin(user.pin)}\tName=${field('Name', user.name)}\tPri=${user.privilege}\tPasswd=${field('Passwd', user.password)}\tCard=${field('Card', user.card)}\tGrp=${user.group}`;
}

/** An upload line of a finger template, as the terminal writes it. */
export function encodeOperlogFinger(f: PushFinger): string {
  const tmp = f.data.toString('base64');
  return `FP PIN=${checkedPin(f.pin)}\tFID=${f.fid}\tSize=${tmp.length}\tValid=${f.valid ? 1 : 0}\tTMP=${tmp}`;
}

/** An excerpt that stops before any template text. */
function safeExcerpt(text: string): string {
  const tmp = text.search(/\bTMP=/i);
  return JSON.stringify((tmp >= 0 ? `${text.slice(0, tmp)}TMP=…` : text).slice(0, 80));
}

function intOf(text: string | undefined, fallback: number | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return fallback;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

function decodeUserLine(line: number, text: string): TerminalUser | UserLineError {
  const kv = decodeKeyValues(text.slice('USER '.length), '\t');
  const pin = kv.PIN ?? '';
  if (!PIN_PATTERN.test(pin)) return { line, code: 'pin', message: 'PIN= must be 1-24 letters or digits', excerpt: safeExcerpt(text) };
  // ADMS.md shows `Privilege=` where the SDK writes `Pri=`: either is read
  const privilege = intOf(kv.Pri ?? kv.Privilege, 0);
  const group = intOf(kv.Grp, 1);
  if (privilege === undefined || group === undefined || privilege > 255 || group > 255) return { line, code: 'number', message: 'Pri and Grp must be integers 0-255', excerpt: safeExcerpt(text) };
  const card = (kv.Card ?? '').trim();
  if (!/^\d*$/.test(card)) return { line, code: 'number', message: 'Card must be decimal digits', excerpt: safeExcerpt(text) };
  return { pin, name: kv.Name ?? '', privilege, card, password: kv.Passwd ?? '', group };
}

function decodeFingerLine(line: number, text: string): PushFinger | UserLineError {
  const excerpt = safeExcerpt(text);
  const kv = decodeKeyValues(text.slice('FP '.length), '\t');
  const pin = kv.PIN ?? '';
  if (!PIN_PATTERN.test(pin)) return { line, code: 'pin', message: 'PIN= must be 1-24 letters or digits', excerpt };
  const fid = intOf(kv.FID, undefined);
  const size = intOf(kv.Size, undefined);
  if (fid === undefined || fid > MAX_FID || size === undefined) return { line, code: 'number', message: `FID (0-${MAX_FID}) and Size must be integers`, excerpt };
  // a JSON-escaped capture writes `\/` for `/`; a backslash is never base64, so it is read as `/`
  const tmp = (kv.TMP ?? '').replace(/\\\//g, '/');
  if (tmp === '' || !BASE64.test(tmp)) return { line, code: 'base64', message: 'TMP= is not base64', excerpt };
  if (tmp.length !== size) return { line, code: 'size', message: `Size=${size} but TMP= holds ${tmp.length} base64 characters`, excerpt };
  return { pin, fid, valid: (kv.Valid ?? '1').trim() !== '0', data: Buffer.from(tmp, 'base64') };
}

/** A fresh, empty collection of upload lines. */
export function emptyOperlogUsers(): OperlogUsers {
  return { users: [], fingers: [], faces: [], biodata: [], errors: [], otherLines: 0 };
}

const LINE_DECODERS: readonly { prefix: string; decode: (line: number, text: string) => unknown; into: 'users' | 'fingers' | 'faces' | 'biodata' }[] = [
  { prefix: 'USER ', decode: decodeUserLine, into: 'users' },
  { prefix: 'FP ', decode: decodeFingerLine, into: 'fingers' },
  { prefix: 'FACE ', decode: decodeFaceLine, into: 'faces' },
  { prefix: 'BIODATA ', decode: decodeBiodataLine, into: 'biodata' },
];

/**
 * The users and templates of an upload (table=OPERLOG or table=BIODATA): `USER PIN=…`, `FP PIN=…`,
 * `FACE PIN=…` and `BIODATA Pin=…` lines are read; OPLOG lines (operation log) are counted in
 * `otherLines`, as is anything else.
 */
export function decodeOperlogUsers(body: string): OperlogUsers {
  const out = emptyOperlogUsers();
  for (const { line, text } of splitLines(body)) {
    const decoder = LINE_DECODERS.find((d) => text.startsWith(d.prefix));
    if (!decoder) {
      out.otherLines += 1;
      continue;
    }
    const decoded = decoder.decode(line, text);
    if (typeof decoded === 'object' && decoded !== null && 'excerpt' in decoded) out.errors.push(decoded as UserLineError);
    else (out[decoder.into] as unknown[]).push(decoded);
  }
  return out;
}

/**
 * A command the terminal is sent, read back (the simulator's side): which table, which action and
 * its key=value fields. Template text stays in `fields.TMP`; callers never log `fields`.
 */
export function decodeDataCommand(command: string): { action: 'UPDATE' | 'DELETE' | 'QUERY'; table: string; fields: Record<string, string> } | undefined {
  const m = /^DATA (UPDATE|DELETE|QUERY) ([A-Za-z]+)(?: (.*))?$/.exec(command);
  if (!m) return undefined;
  return { action: m[1] as 'UPDATE' | 'DELETE' | 'QUERY', table: m[2]!.toUpperCase(), fields: m[3] ? decodeKeyValues(m[3], '\t') : {} };
}
