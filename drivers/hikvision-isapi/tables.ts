// Hikvision ISAPI access-control knowledge as data: which events are punches and how their fields
// map to punch/v1. Every map can be overridden per device from config (minorMap, verifyModeMap,
// stateMap). Sources: MAJOR_EVENT-0x5.json of Supergiovane/node-red-contrib-hikvision-ultimate
// (minor codes), the HCNetSDK V6.1.9.4 Card-Based Access Control developer guide (verify modes),
// /work/shared/protocols/other-terminals.md "Hikvision ISAPI".
import type { PunchState, VerifyMethod } from '../../src/punch/punch.js';

/** `major` of access-control "event" records (MAJOR_EVENT = 0x5); alarms, exceptions, operations are never punches. */
export const MAJOR_EVENT = 5;

/**
 * Minor codes of MAJOR_EVENT that are a completed authentication, i.e. a punch, and the method
 * that passed. Failures (0x27 fingerprint mismatched, 0x4c face failed, …) and door events
 * (0x15 unlocked, 0x16 locked, …) are absent: they are ignored, not punches.
 */
export const ATTENDANCE_MINORS: ReadonlyMap<number, VerifyMethod> = new Map([
  [0x01, 'card'], // MINOR_LEGAL_CARD_PASS
  [0x02, 'card'], // MINOR_CARD_AND_PSW_PASS
  [0x10, 'other'], // MINOR_MULTI_VERIFY_SUCCESS (the method comes from currentVerifyMode)
  [0x26, 'fingerprint'], // MINOR_FINGERPRINT_COMPARE_PASS
  [0x28, 'fingerprint'], // MINOR_CARD_FINGERPRINT_VERIFY_PASS
  [0x2b, 'fingerprint'], // MINOR_CARD_FINGERPRINT_PASSWD_VERIFY_PASS
  [0x2e, 'fingerprint'], // MINOR_FINGERPRINT_PASSWD_VERIFY_PASS
  [0x45, 'fingerprint'], // MINOR_EMPLOYEENO_AND_FP_VERIFY_PASS
  [0x48, 'fingerprint'], // MINOR_EMPLOYEENO_AND_FP_AND_PW_VERIFY_PASS
  [0x4b, 'face'], // MINOR_FACE_VERIFY_PASS
  [0x4d, 'face'], // MINOR_EMPLOYEENO_AND_FACE_VERIFY_PASS
  [0x65, 'password'], // MINOR_EMPLOYEENO_AND_PW_PASS
]);

/**
 * `currentVerifyMode` (the reader's configured mode) → method, used only when the minor code says
 * `other`. Combined "or" modes (`cardOrFaceOrFp`) do not tell which one passed, so they are absent.
 */
export const VERIFY_MODE_MAP: ReadonlyMap<string, VerifyMethod> = new Map([
  ['card', 'card'],
  ['cardAndPw', 'card'],
  ['fp', 'fingerprint'],
  ['fingerPrint', 'fingerprint'],
  ['fpAndPw', 'fingerprint'],
  ['fpAndCard', 'fingerprint'],
  ['face', 'face'],
  ['faceAndPw', 'face'],
  ['faceAndCard', 'face'],
  ['faceAndFp', 'face'],
  ['employeeNoAndFace', 'face'],
  ['employeeNoAndPw', 'password'],
  ['employeeNoAndFp', 'fingerprint'],
]);

/** `attendanceStatus` (the key the person pressed, or the schedule) → punch/v1 state; anything else is unknown. */
export const ATTENDANCE_STATUS_MAP: ReadonlyMap<string, PunchState> = new Map([
  ['checkIn', 'check-in'],
  ['checkOut', 'check-out'],
  ['breakOut', 'break-out'],
  ['breakIn', 'break-in'],
  ['overtimeIn', 'overtime-in'],
  ['overtimeOut', 'overtime-out'],
]);

/** Multipart form fields that carry the event JSON, by firmware (other-terminals.md "Push"). */
export const PUSH_JSON_FIELDS = ['event_log', 'AccessControllerEvent'] as const;

/** ISAPI paths the driver uses. */
export const ISAPI_PATHS = {
  deviceInfo: '/ISAPI/System/deviceInfo',
  time: '/ISAPI/System/time',
  acsEvent: '/ISAPI/AccessControl/AcsEvent?format=json',
} as const;

/** `responseStatusStrg` values of an AcsEvent search page. */
export const SEARCH_STATUSES = ['OK', 'MORE', 'NO MATCH'] as const;
export type SearchStatus = (typeof SEARCH_STATUSES)[number];
