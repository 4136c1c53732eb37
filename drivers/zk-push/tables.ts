// ZKTeco PUSH (ADMS / iclock) device knowledge as data: field orders, codes, handshake options.
// Sources: /work/shared/protocols/zk-push.md (the ZKTeco "Attendance PUSH Communication Protocol",
// saifulcoder/adms-server-ZKTeco, kittiu/thai_zkt). The codec interprets these generically.
// The Status and Verify codes of an ATTLOG line are ZK-wide: drivers/zk-common/codes.ts.
/** ATTLOG line fields in order (spec "ATTLOG"): 7 on older firmware, up to 12 on newer. */
export const ATTLOG_FIELDS = [
  'pin',
  'time',
  'status',
  'verify',
  'workcode',
  'reserved1',
  'reserved2',
  'maskFlag',
  'temperature',
  'convTemperature',
  'timeOffset',
  'extendData',
] as const;

/** Fewest fields a usable ATTLOG line has: PIN and time (status/verify default to unknown/other). */
export const ATTLOG_MIN_FIELDS = 2;

/** Security PUSH `rtlog` keys that carry what an ATTLOG line carries (zk-push.md "Face and access devices"). */
export const RTLOG_KEYS = { time: 'time', pin: 'pin', status: 'inoutstatus', verify: 'verifytype', event: 'event', index: 'index' } as const;

/** Tables a terminal may POST to /iclock/cdata; anything else is answered OK and counted. */
export const UPLOAD_TABLES = ['ATTLOG', 'OPERLOG', 'ATTPHOTO', 'BIODATA', 'options', 'rtlog'] as const;

/** Handshake option order as the spec lists it (zk-push.md table "Handshake"). */
export const HANDSHAKE_KEYS = [
  'ATTLOGStamp',
  'OPERLOGStamp',
  'ATTPHOTOStamp',
  'ErrorDelay',
  'Delay',
  'TransTimes',
  'TransInterval',
  'TransFlag',
  'TimeZone',
  'Realtime',
  'Encrypt',
  'ServerVer',
  'PushProtVer',
  'PushOptionsFlag',
  'PushOptions',
] as const;

/**
 * What the handshake asks the terminal to push on table=options (`PushOptionsFlag=1`,
 * `PushOptions=…`, V5.8 §3.2 and §6): how it stores templates. The driver keeps these keys only,
 * and only values of digits, dots and colons (`MultiBioDataSupport=0:1:0:…`, `FaceVersion=7`).
 */
export const BIOMETRIC_OPTION_KEYS = ['FingerFunOn', 'FPVersion', 'FaceFunOn', 'FaceVersion', 'MultiBioDataSupport', 'MultiBioVersion'] as const;

/** What the gateway asks the terminal to upload (TransFlag): punches and operation logs, no photos. */
export const TRANS_FLAG = 'TransData AttLog\tOpLog\tEnrollUser\tChgUser';

/** INFO query parameter of getrequest, comma separated, in this order (zk-push.md "Poll"). */
export const INFO_FIELDS = ['firmware', 'users', 'fingerprints', 'records', 'ip'] as const;

/**
 * devicecmd `Return=` codes and what they mean (PUSH SDK V3.2.0 Table 2.7; -1002, -1004 from a real
 * terminal, s0x90/zkteco-adms ADMS.md), for the messages of a refused command.
 */
export const RETURN_CODES: Readonly<Record<string, string>> = {
  '0': 'done',
  '-1': 'parameter error, or no data',
  '-4': 'no data',
  '-5': 'no space left on the terminal',
  '-9': 'template size mismatch',
  '-10': 'the PIN does not exist on the terminal',
  '-11': 'invalid template',
  '-12': 'invalid template',
  '-22': 'unknown command',
  '-1002': 'invalid command syntax',
  '-1004': 'table not supported by this model',
};

/**
 * BIODATA `Type` numbers that are faces, and the light they use (the algorithm name's part):
 * 2 near-infrared face, 9 visible-light face (PUSH protocol V5.8 §9.11; users-templates.md). Other
 * Types (1 finger, 7 finger vein, 8 palm vein, 10 visible-light palm, …) are not carried as faces.
 */
export const BIODATA_FACE_TYPES: Readonly<Record<number, 'nir' | 'vl'>> = { 2: 'nir', 9: 'vl' };

/** FACE-table template numbers: 0–11 (a public uFace server reads FIDs 0–11). */
export const MAX_FACE_FID = 11;

/** BIODATA `Index` (template number within one finger, eye or face): bounded by the users/v1 template index. */
export const MAX_BIODATA_INDEX = 15;
