// Pure codec of face templates on the PUSH protocol, in its two forms: the old FACE table
// (`DATA UPDATE FACE PIN=…⇥FID=…⇥Size=…⇥Valid=…⇥TMP=…`, uploaded as `FACE PIN=…` lines on
// table=OPERLOG) and the unified BIODATA table (`DATA UPDATE BIODATA Pin=…⇥No=…⇥Index=…⇥Valid=…⇥
// Duress=…⇥Type=…⇥MajorVer=…⇥MinorVer=…⇥Format=…⇥Tmp=…`, uploaded as `BIODATA Pin=…` lines on
// table=BIODATA); and what a terminal's INFO says of its faces (`FaceVersion`, `FaceFunOn`,
// `MultiBioDataSupport`, `MultiBioVersion`).
// Sources: users-templates.md "ADMS / iclock PUSH" (PUSH SDK V3.2.0); the ZKTeco "考勤 PUSH 通讯协议
// V5.8" (PUSH 2.4.2) transcription in the code index, §3.2, §6, §9.9, §9.11, §10.1.4, §10.1.6,
// §10.2, §10.3 (repository not traced); s0x90/zkteco-adms datasheet/ADMS.md (a face terminal pushes
// its templates on table=BIODATA). A public uFace server reads `FACE PIN=⇥FID=⇥SIZE=⇥VALID=⇥TMP=`
// with upper-case keys: keys are read case-insensitively.
// Invariants:
// - Never throws on a line: a line is a face record, a BIODATA record or a UserLineError.
// - A UserLineError's excerpt never holds template text: it is cut before `TMP=` / `Tmp=`.
// - Encoding refuses (UserEncodeError) what a PUSH line cannot carry: a PIN outside the punch edge
//   rule, a FID outside 0–11 (FACE) or an Index outside 0–15 (BIODATA), an empty template.
// - `Size` is the length of the base64 text (as for FINGERTMP); a BIODATA line has no Size, and
//   one that carries it anyway is held to it.
// - The algorithm of a face is named from what the terminal says, never guessed: `face:<FaceVersion>`
//   for the FACE table, `face:vl:<MajorVer>.<MinorVer>` (Type 9, visible light) and
//   `face:nir:<MajorVer>.<MinorVer>` (Type 2, near infrared) for BIODATA. A FACE-table face and a
//   BIODATA face are never the same algorithm: nothing public says FaceVersion 7 is BIODATA 7.0.
import { PIN_PATTERN } from '../../src/punch/edgeRules.js';
import { UserEncodeError } from '../../src/users/user.js';
import { BIODATA_FACE_TYPES, MAX_BIODATA_INDEX, MAX_FACE_FID } from './tables.js';
import type { UserLineError } from './lineError.js';

/** A face template of the FACE table: no algorithm (the terminal's FaceVersion, read elsewhere). */
export interface PushFace {
  pin: string;
  /** template number within the face, 0–11 */
  fid: number;
  valid: boolean;
  data: Buffer;
}

/** One BIODATA record: any Type (1 finger, 2 NIR face, 9 visible-light face, …), its own version. */
export interface PushBiodata {
  pin: string;
  /** which finger / eye / palm; 0 for a face */
  no: number;
  /** template number within it */
  index: number;
  valid: boolean;
  duress: boolean;
  type: number;
  majorVer: string;
  minorVer: string;
  format: number;
  data: Buffer;
}

/** How a terminal stores faces, from its INFO: the BIODATA table (with a face Type) or the FACE table. */
export type FaceCapability =
  | { form: 'BIODATA'; type: number; version?: { major: string; minor: string } }
  | { form: 'FACE'; version: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const VERSION_PART = /^\d{1,3}$/;

function checkedPin(pin: string): string {
  if (!PIN_PATTERN.test(pin)) throw new UserEncodeError(`PIN ${JSON.stringify(pin.slice(0, 30))} is not 1-24 letters, digits, '.', '_' or '-'`);
  return pin;
}

function templateText(pin: string, what: string, data: Buffer): string {
  if (data.length === 0) throw new UserEncodeError(`${what} of PIN ${pin} is empty`);
  return data.toString('base64');
}

/** `DATA UPDATE FACE PIN=…⇥FID=…⇥Size=<base64 length>⇥Valid=…⇥TMP=<base64>` (PUSH SDK's field order). */
export function encodeFaceUpdate(f: { pin: string; index: number; valid: boolean; data: Buffer }): string {
  if (!Number.isInteger(f.index) || f.index < 0 || f.index > MAX_FACE_FID) throw new UserEncodeError(`face template ${f.index} of PIN ${f.pin}: the FACE table has templates 0-${MAX_FACE_FID}`);
  const tmp = templateText(f.pin, `face template ${f.index}`, f.data);
  return `DATA UPDATE FACE PIN=${checkedPin(f.pin)}\tFID=${f.index}\tSize=${tmp.length}\tValid=${f.valid ? 1 : 0}\tTMP=${tmp}`;
}

/** `DATA DELETE FACE PIN=…`: every face template of the user. */
export function encodeFaceDelete(pin: string): string {
  return `DATA DELETE FACE PIN=${checkedPin(pin)}`;
}

/**
 * `DATA QUERY FACE PIN=…`: answered with `FACE` lines on OPERLOG. Not in the V5.8 query table;
 * public PUSH servers queue it for FACE-table terminals (*unverified* on real firmware): a refusal
 * (-1004, -1002) means the terminal's faces cannot be read.
 */
export function encodeFaceQuery(pin: string): string {
  return `DATA QUERY FACE PIN=${checkedPin(pin)}`;
}

/** `DATA UPDATE BIODATA Pin=…⇥No=…⇥Index=…⇥Valid=…⇥Duress=…⇥Type=…⇥MajorVer=…⇥MinorVer=…⇥Format=…⇥Tmp=…` (V5.8 §10.1.6). */
export function encodeBiodataUpdate(b: Omit<PushBiodata, 'data'> & { data: Buffer }): string {
  if (!Number.isInteger(b.index) || b.index < 0 || b.index > MAX_BIODATA_INDEX) throw new UserEncodeError(`template ${b.index} of PIN ${b.pin}: BIODATA indexes are 0-${MAX_BIODATA_INDEX}`);
  if (!VERSION_PART.test(b.majorVer) || !VERSION_PART.test(b.minorVer)) throw new UserEncodeError(`template ${b.index} of PIN ${b.pin}: version ${b.majorVer}.${b.minorVer} is not digits`);
  const tmp = templateText(b.pin, `template ${b.index}`, b.data);
  const parts = [`Pin=${checkedPin(b.pin)}`, `No=${b.no}`, `Index=${b.index}`, `Valid=${b.valid ? 1 : 0}`, `Duress=${b.duress ? 1 : 0}`, `Type=${b.type}`, `MajorVer=${b.majorVer}`, `MinorVer=${b.minorVer}`, `Format=${b.format}`, `Tmp=${tmp}`];
  return `DATA UPDATE BIODATA ${parts.join('\t')}`;
}

/** `DATA QUERY BIODATA Type=…[⇥Pin=…]` (V5.8 §10.3): answered with `BIODATA` lines on table=BIODATA. */
export function encodeBiodataQuery(type: number, pin?: string): string {
  return `DATA QUERY BIODATA Type=${type}${pin === undefined ? '' : `\tPin=${checkedPin(pin)}`}`;
}

/** `DATA DELETE BIODATA Pin=…[⇥Type=…]` (V5.8 §10.2). */
export function encodeBiodataDelete(pin: string, type?: number): string {
  return `DATA DELETE BIODATA Pin=${checkedPin(pin)}${type === undefined ? '' : `\tType=${type}`}`;
}

/** An upload line of a FACE-table template, as the terminal writes it (the simulator's, a test's). */
export function encodeOperlogFace(f: PushFace): string {
  const tmp = f.data.toString('base64');
  return `FACE PIN=${checkedPin(f.pin)}\tFID=${f.fid}\tSize=${tmp.length}\tValid=${f.valid ? 1 : 0}\tTMP=${tmp}`;
}

/** An upload line of a BIODATA record, as the terminal writes it (V5.8 §9.11). */
export function encodeBiodataLine(b: PushBiodata): string {
  return encodeBiodataUpdate(b).replace(/^DATA UPDATE /, '');
}

/** An excerpt that stops before any template text. */
export function safeExcerpt(text: string): string {
  const tmp = text.search(/\bTMP=/i);
  return JSON.stringify((tmp >= 0 ? `${text.slice(0, tmp)}${text.slice(tmp, tmp + 4)}…` : text).slice(0, 80));
}

/** `k=v⇥k=v` with the keys lower-cased (a uFace server writes SIZE=, VALID=; the SDK Size=, Valid=). */
function lowerKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split('\t')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return out;
}

function intIn(text: string | undefined, max: number, fallback?: number): number | undefined {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** TMP text as base64, `\/` (a JSON-escaped capture) read as `/`; an error when it is none or disagrees with Size. */
function templateOf(kv: Record<string, string>, line: number, excerpt: string): Buffer | UserLineError {
  const tmp = (kv.tmp ?? '').replace(/\\\//g, '/');
  if (tmp === '' || !BASE64.test(tmp)) return { line, code: 'base64', message: 'TMP= is not base64', excerpt };
  if (kv.size !== undefined) {
    const size = intIn(kv.size, 10_000_000);
    if (size !== tmp.length) return { line, code: 'size', message: `Size=${kv.size.slice(0, 12)} but TMP= holds ${tmp.length} base64 characters`, excerpt };
  }
  return Buffer.from(tmp, 'base64');
}

/** A `FACE PIN=…⇥FID=…⇥Size=…⇥Valid=…⇥TMP=…` line (keys in any case). */
export function decodeFaceLine(line: number, text: string): PushFace | UserLineError {
  const excerpt = safeExcerpt(text);
  const kv = lowerKeyValues(text.slice('FACE '.length));
  const pin = kv.pin ?? '';
  if (!PIN_PATTERN.test(pin)) return { line, code: 'pin', message: 'PIN= must be 1-24 letters or digits', excerpt };
  const fid = intIn(kv.fid, MAX_FACE_FID);
  if (fid === undefined || kv.size === undefined) return { line, code: 'number', message: `FID (0-${MAX_FACE_FID}) and Size must be integers`, excerpt };
  const data = templateOf(kv, line, excerpt);
  if (!Buffer.isBuffer(data)) return data;
  return { pin, fid, valid: (kv.valid ?? '1') !== '0', data };
}

/** A `BIODATA Pin=…⇥No=…⇥Index=…⇥Valid=…⇥Duress=…⇥Type=…⇥MajorVer=…⇥MinorVer=…⇥Format=…⇥Tmp=…` line. */
export function decodeBiodataLine(line: number, text: string): PushBiodata | UserLineError {
  const excerpt = safeExcerpt(text);
  const kv = lowerKeyValues(text.slice('BIODATA '.length));
  const pin = kv.pin ?? '';
  if (!PIN_PATTERN.test(pin)) return { line, code: 'pin', message: 'Pin= must be 1-24 letters or digits', excerpt };
  const no = intIn(kv.no, 9, 0);
  const index = intIn(kv.index, MAX_BIODATA_INDEX, 0);
  const type = intIn(kv.type, 99);
  const format = intIn(kv.format, 99, 0);
  const majorVer = kv.majorver ?? '';
  const minorVer = kv.minorver ?? '0';
  if (no === undefined || index === undefined || type === undefined || format === undefined || !VERSION_PART.test(majorVer) || !VERSION_PART.test(minorVer)) {
    return { line, code: 'number', message: `No (0-9), Index (0-${MAX_BIODATA_INDEX}), Type, MajorVer, MinorVer and Format must be integers`, excerpt };
  }
  const data = templateOf(kv, line, excerpt);
  if (!Buffer.isBuffer(data)) return data;
  return { pin, no, index, valid: (kv.valid ?? '1') !== '0', duress: (kv.duress ?? '0') === '1', type, majorVer, minorVer, format, data };
}

/** The algorithm a BIODATA face carries (`face:vl:58.0`), or undefined for a Type that is no face. */
export function biodataFaceAlgorithm(type: number, majorVer: string, minorVer: string): string | undefined {
  const light = BIODATA_FACE_TYPES[type];
  return light === undefined ? undefined : `face:${light}:${Number(majorVer)}.${Number(minorVer)}`;
}

/** `0:1:0:…:1`: the Types whose position holds 1 (V5.8 §3.2: "type 按位定义, 冒号隔开"). */
function typesOf(bitmap: string | undefined): Set<number> {
  const out = new Set<number>();
  (bitmap ?? '').split(':').forEach((bit, type) => {
    if (bit.trim() === '1') out.add(type);
  });
  return out;
}

/** `MultiBioVersion=0:10.0:7.0:…` at a Type's position, as major and minor (none when 0 or no version). */
function versionAt(versions: string | undefined, type: number): { major: string; minor: string } | undefined {
  const v = (versions ?? '').split(':')[type]?.trim() ?? '';
  const m = /^(\d{1,3})(?:\.(\d{1,3}))?$/.exec(v);
  if (!m || Number(m[1]) === 0) return undefined;
  return { major: String(Number(m[1])), minor: String(Number(m[2] ?? '0')) };
}

/**
 * How the terminal stores faces, from its INFO keys (`~` dropped): BIODATA when MultiBioDataSupport
 * names a face Type (visible light first), else the FACE table when it reports a FaceVersion; none
 * when FaceFunOn is 0 or it says neither.
 */
export function faceCapabilityOf(info: Readonly<Record<string, string>>): FaceCapability | undefined {
  if (info.FaceFunOn?.trim() === '0') return undefined;
  const types = typesOf(info.MultiBioDataSupport);
  for (const type of Object.keys(BIODATA_FACE_TYPES).map(Number).sort((a, b) => b - a)) {
    if (!types.has(type)) continue;
    const version = versionAt(info.MultiBioVersion, type);
    return { form: 'BIODATA', type, ...(version ? { version } : {}) };
  }
  const v = (info.FaceVersion ?? info.ZKFaceVersion)?.trim();
  return v && /^\d{1,3}$/.test(v) ? { form: 'FACE', version: v } : undefined;
}

/** The face algorithm a terminal of that capability holds; undefined when it does not say. */
export function faceAlgorithmOf(capability: FaceCapability | undefined): string | undefined {
  if (!capability) return undefined;
  if (capability.form === 'FACE') return `face:${capability.version}`;
  return capability.version ? biodataFaceAlgorithm(capability.type, capability.version.major, capability.version.minor) : undefined;
}
