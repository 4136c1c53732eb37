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
  /** users and their templates, paged like the scanlog (IsSession); the guide's "Download User (With Pagination)" */
  userPaging: '/user/all/paging',
  /** create or replace one user with the templates it carries (the guide's "Upload User") */
  userSet: '/user/set',
  /** delete one user by PIN (the guide's "Delete user PIN") */
  userDel: '/user/del',
} as const;

/**
 * Form keys of /user/set as the EasyLink SDK User Guide lists them ("Upload User": sn, pin, nama,
 * pwd, rfid, priv, tmp) and the vendor PHP sample sends them (easylink-frontend docs/learning/user.php).
 * yuswa-arba/easyLink-SDK's UserController sends PIN, Name, Password, RFID instead: one source
 * against two, the guide's are used (README.md "Users and templates").
 */
export const USER_SET_KEYS = { pin: 'pin', name: 'nama', password: 'pwd', card: 'rfid', privilege: 'priv', templates: 'tmp' } as const;

/**
 * Users per /user/all/paging call: a page carries every user's templates, and big pages time the
 * bridge out (easylink-frontend docs: "prone to timeout because returned payload can include large
 * templates … start with batch size 10").
 */
export const USER_PAGE_SIZE = 10;

/** DEVINFO key naming the fingerprint algorithm, where the firmware gives it (the guide's sample: "Algoritma":"10"). */
export const DEVINFO_ALGORITHM_KEY = 'Algoritma';

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
