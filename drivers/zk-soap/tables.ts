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
export const SOAP_CALLS = [
  'GetAttLog', 'GetUserInfo', 'GetAllUserInfo', 'GetDate', 'SetDate', 'ClearData', 'GetOption',
  // the users side (tad-php TADSoap.php `$soap_commands_available`: set_user_info, set_user_template, delete_user, delete_template, refresh_db)
  'SetUserInfo', 'GetUserTemplate', 'SetUserTemplate', 'DeleteUser', 'DeleteTemplate', 'RefreshDB',
] as const;
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
 * A user row of `GetAllUserInfo` / `GetUserInfo`: `<Row><PIN/><Name/><Password/><Group/><Privilege/>
 * <Card/><PIN2/><TZ1/><TZ2/><TZ3/></Row>` (tad-php TADResponseTest `xmlUserInfoFixture`). `PIN` is
 * the terminal's internal number, `PIN2` the user id staff key in and punches carry; request
 * arguments `<PIN>` of GetUserInfo, DeleteUser and GetUserTemplate name the PIN2 (tad-php RealTADTest:
 * a user set with PIN2 123 is read, given templates and deleted as `<PIN>123</PIN>`).
 */
export const USER_ROW = {
  internalPin: 'pin', name: 'name', password: 'password', group: 'group', privilege: 'privilege', card: 'card', pin: 'pin2',
} as const;

/** Time zone fields SetUserInfo carries (tad-php set_user_info); the gateway's user has none: 0, "none", as every public row shows. */
export const USER_TIME_ZONES = ['TZ1', 'TZ2', 'TZ3'] as const;

/**
 * A template row of `GetUserTemplate`: `<Row><PIN/><FingerID/><Size/><Valid/><Template/></Row>`
 * (the Solution/Indonesian vendor sample that reads it, and pablodanielrey/firmware ZkSoftware Test.java,
 * which checks `Size` against the base64-decoded length: Size is bytes, not characters, as tad-php's
 * README says of its 514-byte VX 9.0 sample).
 */
export const TEMPLATE_ROW = { pin: 'pin', finger: 'fingerid', size: 'size', valid: 'valid', template: 'template' } as const;

/** Finger numbers a terminal keeps (tad-php README: "until 10 templates per user", 0 the first). */
export const MAX_FINGER_ID = 9;

/** The option naming the fingerprint algorithm (tad-php TADZKLib `get_fingerprint_algorithm` reads `~ZKFPVersion`; asked here through SOAP GetOption). */
export const FINGER_ALGORITHM_OPTION = '~ZKFPVersion';

/**
 * What tells a ZKFinger 10.0 template from its bytes, for terminals that do not answer the option:
 * bytes 2..5 are ASCII `SS21`. Seen in every public v10 template (the EasyLink SDK User Guide's
 * sample with `alg_ver` 10, the ZK SOAP template in pablodanielrey/firmware Test.java) and absent
 * from tad-php's VX 9.0 sample. A template without it is taken as 9.0: the only other version
 * these terminals ship (tad-php README "BioBridge … VX 9.0 and … VX 10.0").
 */
export const V10_TEMPLATE_MARK = { offset: 2, bytes: 'SS21' } as const;

/** Information text of a Result 1 answer (tad-php RealTADTest build_expected_response). */
export const SUCCESS_INFORMATION = 'Successfully!';
