// Fingerspot EasyLink SDK (FService bridge) knowledge as data: endpoints, reply keys, code maps.
// Sources: /work/shared/protocols/other-terminals.md "Fingerspot EasyLink SDK";
// zamzamzhafry/easylink-frontend (the official "EasyLink SDK User Guide" as text, docs/response_testing.md,
// docs/learning/devinfo.json, scanlog_new.json, "sdk response.txt"). The codec interprets these generically.
// Invariants:
// - The guide has no table for VerifyMode / IOMode: these defaults are choices, documented in README.md
//   and overridable per device (`verifyMap`, `ioModeMap`). They are part of the punch id, so an
//   operator fixes them before go-live; a code not in the map becomes `other` / `unknown`.
import type { PunchState, VerifyMethod } from '../../src/punch/punch.js';

/** Bridge endpoints this driver calls: every one a form POST carrying `sn=<SN>`. */
export const ENDPOINTS = {
  info: '/dev/info',
  /** consumes: the bridge marks what it returns as downloaded (single-consumer cursor) */
  scanlogNew: '/scanlog/new',
  /** repeated calls with `limit` page through the whole log while `IsSession` is true */
  scanlogPaging: '/scanlog/all/paging',
  setTime: '/dev/settime',
} as const;

export type Endpoint = (typeof ENDPOINTS)[keyof typeof ENDPOINTS];

/**
 * Form keys the paging endpoint must never get: `from`/`to`/`page` crashed FService on a Revo
 * (easylink-frontend docs/response_testing.md). The client refuses to send them.
 */
export const FORBIDDEN_PAGING_KEYS = ['from', 'to', 'page'] as const;

/** `{"Result":false,"message_code":0,"message":"No data"}` means "nothing new", not an error. */
export const NO_DATA_MESSAGES = ['no data'] as const;

/**
 * VerifyMode → punch/v1. Only 1 is taken as fingerprint: it is the mode of 41 of the 44 public Revo
 * rows and of the guide's fingerprint-only sample. 20 and 30 (seen on a Revo WFV-208BNC, a
 * face/vein/finger model) are not documented anywhere public: `other` until configured.
 */
export const VERIFY_MODE_MAP: ReadonlyMap<number, VerifyMethod> = new Map([[1, 'fingerprint']]);

/**
 * IOMode → punch/v1. 1 check-in and 2 check-out, the in/out convention of Fingerspot terminals'
 * attendance keys; the public Revo rows (evening punches, mostly 2) fit it. 0 (the guide's
 * sample, no key pressed) and anything else: `unknown`.
 */
export const IO_MODE_MAP: ReadonlyMap<number, PunchState> = new Map([
  [1, 'check-in'],
  [2, 'check-out'],
]);

/**
 * `/dev/info` DEVINFO keys per count: newer firmware (Revo) names them "All Presensi" and the like,
 * the guide's older sample "Presensi". All values are decimal strings.
 */
export const DEVINFO_COUNT_KEYS = {
  admins: ['Admin'],
  users: ['User'],
  fingerprints: ['FP'],
  faces: ['Face'],
  veins: ['Vein'],
  cards: ['CARD'],
  passwords: ['PWD'],
  records: ['All Presensi', 'Presensi'],
  newRecords: ['New Presensi'],
  operations: ['All Operasional', 'Operasional'],
  newOperations: ['New Operasional'],
} as const;

export type DevInfoCounts = Partial<Record<keyof typeof DEVINFO_COUNT_KEYS, number>>;

/** DEVINFO key of the terminal clock, `DD/MM/YYYY HH:mm:ss` in the terminal's own zone. */
export const DEVINFO_CLOCK_KEY = 'Jam';

/** `/dev/info` keys that describe the terminal rather than count something. */
export const DEVINFO_VARIANT_KEYS = ['Display', 'Algoritma'] as const;
