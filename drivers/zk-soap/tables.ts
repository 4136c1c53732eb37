// ZK SOAP web service (port 80, `POST /iWsService`) device knowledge as data.
// Invariants:
// - Every name and code here comes from a public source cited per table (other-terminals.md "ZK SOAP",
//   cobisja/tad-php, the Solution vendor samples); codec.ts interprets these rows and holds none.
// - Element names are matched case-insensitively (the codec lower-cases every tag), so the keys
//   below are lower case; `element` is the spelling the vendor samples use, kept for raw audit fields.
import type { VerifyMethod } from '../../src/punch/punch.js';

export const SOAP_PATH = '/iWsService';

/** Calls the gateway makes (tad-php TADSoap.php `$soap_commands_available`; Solution vendor samples). */
export const SOAP_CALLS = ['GetAttLog', 'GetUserInfo', 'GetAllUserInfo', 'GetDate', 'SetDate', 'ClearData', 'GetOption'] as const;
export type SoapCall = (typeof SOAP_CALLS)[number];

/** `ClearData` Value 3 clears the attendance log only (tad-php README "Clearing out data"; Solution clear-data.php). */
export const CLEAR_DATA_ATTLOG = 3;

/** The "all users" selector in `<Arg><PIN>All</PIN></Arg>` (Solution tarik-data.php). */
export const ALL_PINS = 'All';

export interface RowField {
  /** lower-cased element name inside `<Row>` */
  key: string;
  /** the spelling devices use, for punch/v1 `raw` */
  element: string;
}

/** `<Row><PIN/><DateTime/><Verified/><Status/>[<WorkCode/>]</Row>` (tad-php TADResponseTest fixture). */
export const ATTLOG_ROW = {
  pin: { key: 'pin', element: 'PIN' },
  time: { key: 'datetime', element: 'DateTime' },
  verify: { key: 'verified', element: 'Verified' },
  status: { key: 'status', element: 'Status' },
  workCode: { key: 'workcode', element: 'WorkCode' },
} as const satisfies Record<string, RowField>;

/** A result row `<Row><Result>1|0</Result><Information>…</Information></Row>` (tad-php TADResponse). */
export const RESULT_ROW = { result: 'result', information: 'information' } as const;

/** Information texts that mean "nothing there", not a failure (tad-php TADHelpers XML_NO_DATA_FOUND). */
export const NO_DATA_PATTERN = /^no data/i;

/** `GetDate` answers `<Row><Date>YYYY-MM-DD</Date><Time>HH:MM:SS</Time></Row>` (tad-php TADTest mock). */
export const DATE_ROW = { date: 'date', time: 'time' } as const;

/**
 * Verified code → punch/v1. The SOAP log carries the same verify-mode codes as the PUSH protocol
 * (zk-push.md appendix 7: 1 fingerprint, 3 password, 4 card, 15 face), and ZK's own enum adds
 * 25 palm (ludovicgerrard/projectLauncher `com/zktechnology/android/base/ZkUserVerifyType.java`).
 * 0 means "any method" on ZK firmware (same enum: FINGER_OR_PW_OR_CARD_OR_FACE_OR_PALM): `other`.
 */
export const VERIFY_MAP: ReadonlyMap<number, VerifyMethod> = new Map([
  [1, 'fingerprint'],
  [3, 'password'],
  [4, 'card'],
  [15, 'face'],
  [25, 'palm'],
]);

/** Status (in/out state) → punch/v1: the same codes as the standalone protocol, so the same table. */
export { STATE_MAP } from '../zk-tcp/tables.js';
