// AcsEventRecord (pulled or pushed) → RawPunch, with the device's table overrides.
// Invariants:
// - Pure: the same record gives the same RawPunch whether it was pulled or pushed, so the punch
//   id (serial, pin, localTime, state, verify) dedupes the two paths; `raw.source` is the only
//   difference and is not part of the id.
// - Only major 5 events whose minor is an attendance code become punches; everything else is
//   `ignored`. An attendance event without an employee number or with an unreadable time is an
//   `invalid` punch (empty pin) so the gateway quarantines it instead of losing it silently.
import type { PunchState, RawPunch, VerifyMethod } from '../../src/punch/punch.js';
import type { RejectionReason } from '../../src/util/catalogue.js';
import { localTimeOf, parseIsapiTime, type AcsEventRecord } from './codec.js';
import type { HikvisionConfig } from './config.js';
import { ATTENDANCE_MINORS, ATTENDANCE_STATUS_MAP, MAJOR_EVENT, VERIFY_MODE_MAP } from './tables.js';

export type PunchOutcome =
  | { kind: 'punch'; raw: RawPunch; zoneMismatchMin: number }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; raw: RawPunch; reason: RejectionReason; detail: string };

export type MappingConfig = Pick<HikvisionConfig, 'minorMap' | 'verifyModeMap' | 'stateMap' | 'timeFrom'> & { zone: string };

export function verifyOf(record: AcsEventRecord, cfg: MappingConfig): VerifyMethod | undefined {
  const byMinor = cfg.minorMap[String(record.minor)] ?? ATTENDANCE_MINORS.get(record.minor);
  if (byMinor !== 'other' || record.currentVerifyMode === undefined) return byMinor;
  return cfg.verifyModeMap[record.currentVerifyMode] ?? VERIFY_MODE_MAP.get(record.currentVerifyMode) ?? 'other';
}

export function stateOf(record: AcsEventRecord, cfg: MappingConfig): PunchState {
  const status = record.attendanceStatus;
  if (status === undefined) return 'unknown';
  return cfg.stateMap[status] ?? ATTENDANCE_STATUS_MAP.get(status) ?? 'unknown';
}

export function toPunch(record: AcsEventRecord, source: 'acs-event' | 'push', cfg: MappingConfig): PunchOutcome {
  if (record.major !== MAJOR_EVENT) return { kind: 'ignored', reason: `major-${record.major}` };
  const verify = verifyOf(record, cfg);
  if (verify === undefined) return { kind: 'ignored', reason: `minor-${record.minor}` };
  const state = stateOf(record, cfg);
  const raw = { source, ...record.fields };
  const time = parseIsapiTime(record.time);
  if (!time) return invalid(raw, 'acs-time', `time "${record.time.slice(0, 40)}" is not ISO 8601`);
  if (record.employeeNo === '') return invalid(raw, 'acs-no-employee', `serialNo ${record.serialNo ?? '?'}: attendance event without employeeNoString`);
  const { localTime, zoneMismatchMin } = localTimeOf(time, cfg.zone, cfg.timeFrom);
  return { kind: 'punch', zoneMismatchMin, raw: { pin: record.employeeNo, localTime, state, verify, workCode: null, raw } };
}

function invalid(raw: Record<string, unknown>, reason: RejectionReason, detail: string): PunchOutcome {
  return { kind: 'invalid', reason, detail, raw: { pin: '', localTime: '', state: 'unknown', verify: 'other', raw: { ...raw, error: detail } } };
}
