// Device knowledge for the ZK standalone protocol (port 4370), as data.
// Invariants:
// - Every number here comes from /work/shared/protocols/zk-standalone.md (cited per table); codec.ts
//   interprets these rows generically and holds no layout knowledge of its own.
// - Layout rows name punch/v1 roles: `pin` (user id as the device stores it), `uid` (internal user
//   serial), `verify`, `state`, `time` (u32 encoded, §4), `timeHex` (6 raw bytes, §4), `workCode`;
//   any other name is kept verbatim in punch/v1 `raw`.
// - The verify and state codes of a record are not here: every ZK family reads them from
//   drivers/zk-common/codes.ts.

/** Command and reply codes (zk-standalone.md §3, §6, §8). */
export const CMD = {
  CONNECT: 1000,
  EXIT: 1001,
  ENABLEDEVICE: 1002,
  DISABLEDEVICE: 1003,
  REFRESHDATA: 1013,
  GET_VERSION: 1100,
  AUTH: 1102,
  PREPARE_DATA: 1500,
  DATA: 1501,
  FREE_DATA: 1502,
  /** pyzk `_CMD_PREPARE_BUFFER` */
  DATA_WRRQ: 1503,
  /** pyzk `_CMD_READ_BUFFER` */
  DATA_RDY: 1504,
  /** read a table by its FCT (templates: FCT.FINGERTMP); users-templates.md */
  DB_RRQ: 7,
  /** write one user record (users-templates.md, zk-protocol data-user.md "Set User Info") */
  USER_WRQ: 8,
  USERTEMP_RRQ: 9,
  DELETE_USER: 18,
  /** `uid u16, fid u8` (pyzk delete_user_template over UDP) */
  DELETE_USERTEMP: 19,
  /** pyzk `_CMD_SAVE_USERTEMPS`: commits the uploaded users-and-templates buffer */
  SAVE_USERTEMPS: 110,
  /** pyzk `_CMD_DEL_USER_TEMP`: `pin 24s, fid u8` (over TCP) */
  DEL_USER_TEMP: 134,
  OPTIONS_RRQ: 11,
  OPTIONS_WRQ: 12,
  ATTLOG_RRQ: 13,
  CLEAR_ATTLOG: 15,
  GET_FREE_SIZES: 50,
  STATE_RRQ: 64,
  GET_TIME: 201,
  SET_TIME: 202,
  REG_EVENT: 500,
  ACK_OK: 2000,
  ACK_ERROR: 2001,
  ACK_DATA: 2002,
  ACK_RETRY: 2003,
  ACK_REPEAT: 2004,
  ACK_UNAUTH: 2005,
  ACK_UNKNOWN: 0xffff,
  ACK_ERROR_CMD: 0xfffd,
  ACK_ERROR_INIT: 0xfffc,
  ACK_ERROR_DATA: 0xfffb,
} as const;

export const CMD_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(CMD).map(([name, code]) => [code, name]));

/** Codes a device uses to answer a request (§3.6); anything else is a request or a realtime event. */
export const REPLY_CODES: ReadonlySet<number> = new Set([
  CMD.ACK_OK, CMD.ACK_ERROR, CMD.ACK_DATA, CMD.ACK_RETRY, CMD.ACK_REPEAT, CMD.ACK_UNAUTH,
  CMD.ACK_UNKNOWN, CMD.ACK_ERROR_CMD, CMD.ACK_ERROR_INIT, CMD.ACK_ERROR_DATA, CMD.PREPARE_DATA, CMD.DATA,
]);

/** Realtime event flags, carried in the session field of CMD_REG_EVENT packets (§3.4). */
export const EF = {
  ATTLOG: 1,
  FINGER: 2,
  ENROLLUSER: 4,
  ENROLLFINGER: 8,
  BUTTON: 16,
  UNLOCK: 32,
  VERIFY: 128,
  FPFTR: 256,
  ALARM: 512,
} as const;

/** `50 50 82 7d`: the TCP frame prefix (§1). */
export const TCP_MAGIC = Uint8Array.of(0x50, 0x50, 0x82, 0x7d);
export const TCP_PREFIX_BYTES = 8;
export const ZK_HEADER_BYTES = 8;
/** Chunk sizes for CMD_DATA_RDY (§6.4): pyzk uses 0xFFC0 on TCP and 16 KiB on UDP. */
export const CHUNK_BYTES_TCP = 0xffc0;
export const CHUNK_BYTES_UDP = 16_384;
/** Most data bytes per CMD_DATA packet inside a chunk burst (§6.4). */
export const DATA_PACKET_BYTES = 1008;
/** `ticks` byte of make_commkey (§5): 50 in pyzk and node-zklib. */
export const COMMKEY_TICKS = 50;

export type FieldType = 'u8' | 'u16' | 'u32' | 'zstr' | 'time' | 'timeHex' | 'bytes';

export interface FieldRow {
  name: string;
  offset: number;
  type: FieldType;
  /** byte length for `zstr` and `bytes` */
  length?: number;
}

export interface Layout {
  size: number;
  fields: readonly FieldRow[];
  source: string;
}

/** Attendance record layouts keyed by record size (zk-standalone.md §7). */
export const ATTLOG_LAYOUTS: ReadonlyMap<number, Layout> = new Map([
  [8, {
    size: 8,
    source: 'zk-standalone.md §7 (pyzk#99 data: ZEM500; also pyzk#56, #92); byte 2 is kept raw as `status`',
    fields: [
      { name: 'uid', offset: 0, type: 'u16' },
      { name: 'status', offset: 2, type: 'u8' },
      { name: 'state', offset: 3, type: 'u8' },
      { name: 'time', offset: 4, type: 'time' },
    ],
  }],
  [16, {
    size: 16,
    source: 'zk-standalone.md §7 (pyzk get_attendance; js_zklib#50): status is in/out, punch byte kept raw',
    fields: [
      { name: 'pin', offset: 0, type: 'u32' },
      { name: 'time', offset: 4, type: 'time' },
      { name: 'state', offset: 8, type: 'u8' },
      { name: 'punch', offset: 9, type: 'u8' },
      { name: 'workCode', offset: 12, type: 'u32' },
    ],
  }],
  [40, {
    size: 40,
    source: 'zk-standalone.md §7 (adrobinoga data-record.md; pyzk <H24sB4sB8s)',
    fields: [
      { name: 'uid', offset: 0, type: 'u16' },
      { name: 'pin', offset: 2, type: 'zstr', length: 24 },
      { name: 'verify', offset: 26, type: 'u8' },
      { name: 'time', offset: 27, type: 'time' },
      { name: 'state', offset: 31, type: 'u8' },
      { name: 'reserved', offset: 32, type: 'bytes', length: 8 },
    ],
  }],
  [49, {
    size: 49,
    source: 'zk-standalone.md §7 (pyzk#174, PR #166/#167: MB560-VL 2022 firmware)',
    fields: [
      { name: 'uid', offset: 0, type: 'u16' },
      { name: 'pin', offset: 2, type: 'zstr', length: 24 },
      { name: 'verify', offset: 26, type: 'u8' },
      { name: 'time', offset: 27, type: 'time' },
      { name: 'state', offset: 31, type: 'u8' },
      { name: 'reserved', offset: 32, type: 'bytes', length: 8 },
      { name: 'extra', offset: 40, type: 'bytes', length: 9 },
    ],
  }],
]);

/**
 * Realtime EF_ATTLOG event layouts keyed by data length (zk-standalone.md §7, pyzk live_capture).
 * In these events the first byte after the user id is the verify type and the second the in/out
 * state: the 32-byte capture from a face terminal (kurenai-ryu/pyzk#8) has 0x0f (face) there.
 * 52 is the unit for data of 52 bytes or more.
 */
export const REALTIME_LAYOUTS: ReadonlyMap<number, Layout> = new Map([
  [10, { size: 10, source: 'pyzk#164 (ZEM560) <HBB6s>', fields: [
    { name: 'pin', offset: 0, type: 'u16' }, { name: 'verify', offset: 2, type: 'u8' },
    { name: 'state', offset: 3, type: 'u8' }, { name: 'time', offset: 4, type: 'timeHex' },
  ] }],
  [12, { size: 12, source: 'pyzk live_capture <IBB6s>; pyzk test.py test_tcp_live_connect', fields: [
    { name: 'pin', offset: 0, type: 'u32' }, { name: 'verify', offset: 4, type: 'u8' },
    { name: 'state', offset: 5, type: 'u8' }, { name: 'time', offset: 6, type: 'timeHex' },
  ] }],
  [14, { size: 14, source: 'pyzk#164 (ZEM300) <HBB6s4s>', fields: [
    { name: 'pin', offset: 0, type: 'u16' }, { name: 'verify', offset: 2, type: 'u8' },
    { name: 'state', offset: 3, type: 'u8' }, { name: 'time', offset: 4, type: 'timeHex' },
    { name: 'extra', offset: 10, type: 'bytes', length: 4 },
  ] }],
  [32, { size: 32, source: 'pyzk live_capture <24sBB6s>; kurenai-ryu/pyzk#8 capture', fields: [
    { name: 'pin', offset: 0, type: 'zstr', length: 24 }, { name: 'verify', offset: 24, type: 'u8' },
    { name: 'state', offset: 25, type: 'u8' }, { name: 'time', offset: 26, type: 'timeHex' },
  ] }],
  [36, { size: 36, source: 'pyzk live_capture <24sBB6s4s>', fields: [
    { name: 'pin', offset: 0, type: 'zstr', length: 24 }, { name: 'verify', offset: 24, type: 'u8' },
    { name: 'state', offset: 25, type: 'u8' }, { name: 'time', offset: 26, type: 'timeHex' },
    { name: 'extra', offset: 32, type: 'bytes', length: 4 },
  ] }],
  [37, { size: 37, source: 'pyzk#153 (ZEM600_TFT 8.0.0) <24sBB6s5s>', fields: [
    { name: 'pin', offset: 0, type: 'zstr', length: 24 }, { name: 'verify', offset: 24, type: 'u8' },
    { name: 'state', offset: 25, type: 'u8' }, { name: 'time', offset: 26, type: 'timeHex' },
    { name: 'extra', offset: 32, type: 'bytes', length: 5 },
  ] }],
  [52, { size: 52, source: 'pyzk live_capture <24sBB6s20s> (len >= 52)', fields: [
    { name: 'pin', offset: 0, type: 'zstr', length: 24 }, { name: 'verify', offset: 24, type: 'u8' },
    { name: 'state', offset: 25, type: 'u8' }, { name: 'time', offset: 26, type: 'timeHex' },
    { name: 'extra', offset: 32, type: 'bytes', length: 20 },
  ] }],
]);

/** The FCT argument of CMD_DATA_WRRQ table reads (pyzk const.py). */
export const FCT = { FINGERTMP: 2, USER: 5 } as const;

/**
 * User table layouts keyed by record size (zk-standalone.md §7 "Users"). The same rows encode the
 * record of CMD_USER_WRQ and, after one leading byte 2, of the bulk upload (users-templates.md).
 * The 72-byte group is the byte at 39 and 40–47 the time zones (zk-protocol data-user.md, both of
 * its examples); pyzk reads 40–46 as a group string, which its own writes leave empty.
 */
export const USER_LAYOUTS: ReadonlyMap<number, Layout> = new Map([
  [28, { size: 28, source: 'pyzk <HB5s8sIxBhI>', fields: [
    { name: 'uid', offset: 0, type: 'u16' }, { name: 'privilege', offset: 2, type: 'u8' },
    { name: 'password', offset: 3, type: 'zstr', length: 5 }, { name: 'name', offset: 8, type: 'zstr', length: 8 },
    { name: 'card', offset: 16, type: 'u32' }, { name: 'group', offset: 21, type: 'u8' },
    { name: 'timeZone', offset: 22, type: 'u16' }, { name: 'pin', offset: 24, type: 'u32' },
  ] }],
  [72, { size: 72, source: 'pyzk <HB8s24sIx7sx24s>; zk-protocol data-user.md (group, time zones)', fields: [
    { name: 'uid', offset: 0, type: 'u16' }, { name: 'privilege', offset: 2, type: 'u8' },
    { name: 'password', offset: 3, type: 'zstr', length: 8 }, { name: 'name', offset: 11, type: 'zstr', length: 24 },
    { name: 'card', offset: 35, type: 'u32' }, { name: 'group', offset: 39, type: 'u8' },
    { name: 'timeZoneFlag', offset: 40, type: 'u16' }, { name: 'timeZone1', offset: 42, type: 'u16' },
    { name: 'timeZone2', offset: 44, type: 'u16' }, { name: 'timeZone3', offset: 46, type: 'u16' },
    { name: 'pin', offset: 48, type: 'zstr', length: 24 },
  ] }],
]);

/** Word indexes in the CMD_GET_FREE_SIZES reply (zk-standalone.md §6, terminal.md, pyzk read_sizes). */
export const FREE_SIZE_WORDS = {
  users: 4,
  fingers: 6,
  records: 8,
  opRecords: 10,
  admins: 12,
  passwords: 13,
  fingerCapacity: 14,
  userCapacity: 15,
  recordCapacity: 16,
  fingersRemaining: 17,
  usersRemaining: 18,
  recordsRemaining: 19,
  faces: 20,
  faceCapacity: 22,
} as const;

/** Option names read during identification (§8). */
export const OPTION_NAMES = {
  serial: '~SerialNumber',
  model: '~DeviceName',
  platform: '~Platform',
  vendor: '~OEMVendor',
  mac: 'MAC',
  pinWidth: '~PIN2Width',
  faceVersion: 'ZKFaceVersion',
  /** the fingerprint algorithm (9, 10): templates move only between equal ones (pyzk get_fp_version, #182) */
  fingerVersion: '~ZKFPVersion',
} as const;

/**
 * The users-and-templates upload (pyzk HR_save_usertemplates, users-templates.md): a 12-byte head
 * `u32 × 3` (user bytes, table bytes, template bytes), user records each after a byte 2, one 8-byte
 * table entry `<bHbI` (2, uid, 0x10 + finger, offset) per template, then `u16 size | template` each.
 */
export const UPLOAD = {
  HEAD_BYTES: 12,
  RECORD_MARK: 2,
  TABLE_ENTRY_BYTES: 8,
  FINGER_BASE: 0x10,
  /** CMD_DATA packets of an upload carry at most this many bytes (pyzk _send_with_buffer MAX_CHUNK) */
  CHUNK_BYTES: 1024,
} as const;

/** A template table entry `<HHbb` size (incl. these 6 bytes), uid, finger, flag (zk-protocol data-user.md "Read All Templates"). */
export const TEMPLATE_ENTRY_HEADER_BYTES = 6;
