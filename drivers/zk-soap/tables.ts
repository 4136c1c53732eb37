// ZK SOAP web service (port 80, `POST /iWsService`) device knowledge as data.
// Invariants:
// - Every name and code here comes from a public source cited per table (other-terminals.md "ZK SOAP",
//   cobisja/tad-php, the Solution vendor samples); codec.ts interprets these rows and holds none.
// - Element names are matched case-insensitively (the codec lower-cases every tag), so the keys
//   below are lower case; `element` is the spelling the vendor samples use, kept for raw audit fields.
// - `Verified` and `Status` carry the ZK-wide codes of drivers/zk-common/codes.ts (the same
//   verify-mode and in/out codes as the PUSH and standalone protocols).
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
