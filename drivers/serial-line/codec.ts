// Pure codec of serial-line: text in, lines and punches out. No I/O, no clock (callers pass `nowMs`).
// Invariants:
// - `splitLines` returns the complete lines and the text it has not consumed; feeding a stream in
//   any split gives the same lines as feeding it whole.
// - `decodeLine` either returns a RawPunch or throws DecodeError with a short reason code
//   (line-no-match, line-checksum, line-bad-time, card-unknown); it never logs.
// - A line's format is the whole line: patterns are anchored (^…$) when compiled.
import type { PunchState, RawPunch, VerifyMethod } from '../../src/punch/punch.js';
import { parseLocalTime, formatLocal, zoneOffsetMinutes } from '../../src/punch/time.js';
import { DecodeError } from '../../src/util/errors.js';
import { shippedFormat, type LineCheck, type SerialFormat } from './tables.js';

export interface LineFormat {
  name: string;
  regex: RegExp;
  dateFormat: string;
  timeFormat: string;
  cardHex: boolean;
  check?: LineCheck;
  state: PunchState;
  verify: VerifyMethod;
  stateMap: Record<string, PunchState>;
  verifyMap: Record<string, VerifyMethod>;
  lineTimeoutMs: number;
  /** whether lines carry their own date and time (else they are stamped with the gateway clock) */
  hasTime: boolean;
}

export interface FormatOverrides {
  dateFormat?: string;
  timeFormat?: string;
  state?: PunchState;
  verify?: VerifyMethod;
  stateMap?: Record<string, PunchState>;
  verifyMap?: Record<string, VerifyMethod>;
  lineTimeoutMs?: number;
}

/** The format keys of a device entry (serial-line config.ts). */
export interface DeviceFormatKeys extends Omit<FormatOverrides, 'lineTimeoutMs'> {
  format: string;
  lineTimeout?: number;
}

/** A device entry's format: its `format` with the entry's own dates, defaults and maps over the row's. */
export function formatOf(cfg: DeviceFormatKeys): LineFormat {
  return compileFormat(cfg.format, {
    dateFormat: cfg.dateFormat,
    timeFormat: cfg.timeFormat,
    state: cfg.state,
    verify: cfg.verify,
    stateMap: cfg.stateMap,
    verifyMap: cfg.verifyMap,
    lineTimeoutMs: cfg.lineTimeout,
  });
}

const KNOWN_GROUPS = ['pin', 'card', 'date', 'time', 'datetime', 'state', 'verify', 'workcode', 'check'];

/** A shipped format name or a regex with named groups → a LineFormat; throws Error with a readable message. */
export function compileFormat(format: string, overrides: FormatOverrides = {}): LineFormat {
  const row: SerialFormat = shippedFormat(format) ?? { name: 'custom', description: 'custom', pattern: format, source: 'device config' };
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${row.pattern})$`);
  } catch (error) {
    throw new Error(`format is neither a shipped format name nor a valid regex: ${(error as Error).message}`);
  }
  const groups = [...row.pattern.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1] as string);
  if (!groups.includes('pin') && !groups.includes('card')) throw new Error('format needs a named group (?<pin>…) or (?<card>…)');
  const unknown = groups.filter((g) => !KNOWN_GROUPS.includes(g));
  if (unknown.length > 0) throw new Error(`format has unknown named group(s) ${unknown.join(', ')}; known: ${KNOWN_GROUPS.join(', ')}`);
  const hasDate = groups.includes('datetime') || groups.includes('date');
  if (groups.includes('date') !== groups.includes('time') && !groups.includes('datetime')) throw new Error('format has (?<date>…) without (?<time>…) or the reverse');
  return {
    name: row.name,
    regex,
    dateFormat: overrides.dateFormat ?? row.dateFormat ?? 'YYYY-MM-DD',
    timeFormat: overrides.timeFormat ?? row.timeFormat ?? 'HH:mm:ss',
    cardHex: row.cardHex ?? false,
    ...(row.check ? { check: row.check } : {}),
    state: overrides.state ?? row.state ?? 'unknown',
    verify: overrides.verify ?? row.verify ?? 'other',
    stateMap: { ...row.stateMap, ...overrides.stateMap },
    verifyMap: { ...row.verifyMap, ...overrides.verifyMap },
    lineTimeoutMs: overrides.lineTimeoutMs ?? row.lineTimeoutMs ?? 0,
    hasTime: hasDate,
  };
}

export interface DecodeOptions {
  /** IANA zone of the device clock: lines without a time are stamped with `nowMs` in it */
  zone: string;
  nowMs: number;
  /** card number → PIN; undefined: the card number is the PIN */
  cardMap?: ReadonlyMap<string, string>;
  /** with a card map, what to do with a card not in it */
  unknownCard?: 'use-card' | 'reject';
}

/** One line (no delimiter) → a RawPunch, or DecodeError. */
export function decodeLine(line: string, format: LineFormat, o: DecodeOptions): RawPunch {
  const match = format.regex.exec(line);
  if (!match?.groups) throw new DecodeError('line-no-match', `line does not match format ${format.name}`);
  const g = match.groups;
  if (format.check) verifyCheck(format.check, g.card ?? '', g.check ?? '');
  const card = g.card !== undefined ? cardNumber(g.card, format.cardHex) : undefined;
  const pin = g.pin ?? pinOfCard(card as string, o);
  const localTime = format.hasTime ? wallTimeOf(g, format) : formatLocal(o.nowMs, zoneOffsetMinutes(o.zone, o.nowMs));
  const raw: Record<string, unknown> = { line };
  if (card !== undefined) raw.card = card;
  if (g.state !== undefined) raw.state = g.state;
  if (g.verify !== undefined) raw.verify = g.verify;
  const workCode = g.workcode ? Number(g.workcode) : null;
  return {
    pin,
    localTime,
    state: g.state !== undefined ? (ownValue(format.stateMap, g.state.trim()) ?? 'unknown') : format.state,
    verify: g.verify !== undefined ? (ownValue(format.verifyMap, g.verify.trim()) ?? 'other') : format.verify,
    workCode: Number.isSafeInteger(workCode) ? workCode : null,
    raw,
  };
}

/** A map's own entry only: a line saying `constructor` must not find Object.prototype.constructor. */
function ownValue<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function pinOfCard(card: string, o: DecodeOptions): string {
  if (!o.cardMap) return card;
  const pin = o.cardMap.get(card);
  if (pin !== undefined) return pin;
  if (o.unknownCard === 'reject') throw new DecodeError('card-unknown', `card ${card} is not in the card map`);
  return card;
}

/** Hex cards become the 10-digit decimal of their low 32 bits (the number printed on EM4100 cards). */
export function cardNumber(text: string, hex: boolean): string {
  if (!hex) return normalizeCard(text);
  const low32 = Number.parseInt(text.slice(-8), 16);
  return String(low32).padStart(10, '0');
}

/** Digits-only card numbers compare as 10-digit zero-padded decimals; others upper-cased. */
export function normalizeCard(card: string): string {
  const text = card.trim();
  return /^\d{1,10}$/.test(text) ? text.padStart(10, '0') : text.toUpperCase();
}

function verifyCheck(check: LineCheck, data: string, given: string): void {
  // xor8-hex: XOR of the data bytes (pairs of hex chars) equals the check byte (EM-18 datasheet)
  let xor = 0;
  for (let i = 0; i + 1 < data.length; i += 2) xor ^= Number.parseInt(data.slice(i, i + 2), 16);
  if (xor !== Number.parseInt(given, 16)) {
    throw new DecodeError('line-checksum', `${check}: data ${data} gives ${xor.toString(16).padStart(2, '0').toUpperCase()}, line says ${given.toUpperCase()}`);
  }
}

const TOKEN_PATTERN = /YYYY|YY|MM|DD|HH|hh|mm|ss/g;

const formatCache = new Map<string, { regex: RegExp; tokens: string[] }>();

function compileDateFormat(format: string): { regex: RegExp; tokens: string[] } {
  let compiled = formatCache.get(format);
  if (!compiled) {
    const tokens: string[] = [];
    let source = '';
    let last = 0;
    for (const m of format.matchAll(TOKEN_PATTERN)) {
      source += escapeRegex(format.slice(last, m.index)) + (m[0] === 'YYYY' ? '(\\d{4})' : '(\\d{1,2})');
      tokens.push(m[0]);
      last = (m.index ?? 0) + m[0].length;
    }
    source += escapeRegex(format.slice(last));
    compiled = { regex: new RegExp(`^${source}$`), tokens };
    formatCache.set(format, compiled);
  }
  return compiled;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Date and time groups, read with the format's date/time templates, → `YYYY-MM-DDTHH:mm:ss`. */
export function wallTimeOf(g: Record<string, string | undefined>, format: Pick<LineFormat, 'dateFormat' | 'timeFormat'>): string {
  const text = g.datetime ?? `${g.date ?? ''} ${g.time ?? ''}`;
  const { regex, tokens } = compileDateFormat(`${format.dateFormat} ${format.timeFormat}`);
  const m = regex.exec(text.trim());
  if (!m) throw new DecodeError('line-bad-time', `"${text}" does not fit ${format.dateFormat} ${format.timeFormat}`);
  const v: Record<string, number> = { YYYY: 0, MM: 0, DD: 0, HH: 0, mm: 0, ss: 0 };
  tokens.forEach((token, i) => {
    const n = Number(m[i + 1]);
    if (token === 'YY') v.YYYY = 2000 + n;
    else if (token === 'hh') v.HH = n;
    else v[token] = n;
  });
  const p = (n: number | undefined, w = 2): string => String(n ?? 0).padStart(w, '0');
  const local = `${p(v.YYYY, 4)}-${p(v.MM)}-${p(v.DD)}T${p(v.HH)}:${p(v.mm)}:${p(v.ss)}`;
  if (!parseLocalTime(local)) throw new DecodeError('line-bad-time', `"${text}" is not a real date and time`);
  return local;
}

/**
 * Splits text at `delimiter`; returns complete lines (control characters other than tab stripped
 * from both ends: CR, STX/ETX framing) and the unconsumed rest. Empty lines are dropped.
 */
export function splitLines(text: string, delimiter: string): { lines: string[]; rest: string } {
  const parts = text.split(delimiter);
  const rest = parts.pop() ?? '';
  const lines: string[] = [];
  for (const part of parts) {
    const line = trimControl(part);
    if (line !== '') lines.push(line);
  }
  return { lines, rest };
}

export function trimControl(text: string): string {
  return text.replace(/^[\u0000-\u0008\u000a-\u001f\u007f]+|[\u0000-\u0008\u000a-\u001f\u007f]+$/g, '');
}
