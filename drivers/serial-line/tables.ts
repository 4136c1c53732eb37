// The line formats serial-line ships, as data: a regex template with named groups plus the facts
// needed to read its fields. A device entry names one of these (`format: wiegand-decimal`) or gives
// its own regex with the same named groups; codec.ts interprets both the same way.
// Invariants:
// - Every row has a fixture in test/drivers/serial-line/fixtures/<name>_*/ (a test fails otherwise).
// - Named groups the codec knows: pin, card, date, time, datetime, state, verify, workcode, check.
//   A row has `pin` or `card`; a row without date/time groups is stamped with the gateway clock.
// - `sample` lines are synthetic (written for this project from the vendors' descriptions), not
//   captured bytes; the README of the fixtures says which source describes each layout.
// - zk-attlog (and timeclock-tsv's numeric states) read the ZK-wide codes of drivers/zk-common/codes.ts.
import type { PunchState, VerifyMethod } from '../../src/punch/punch.js';
import { byCodeText, ZK_STATE_MAP, ZK_VERIFY_MAP } from '../zk-common/codes.js';

/** Checks the codec knows; a row names one in `check`. */
export type LineCheck = 'xor8-hex';

export interface SerialFormat {
  name: string;
  description: string;
  /** JavaScript regex source with named groups, matched against one whole line (anchored) */
  pattern: string;
  /** tokens YYYY YY MM DD HH hh mm ss; `datetime` groups use `${dateFormat} ${timeFormat}` */
  dateFormat?: string;
  timeFormat?: string;
  /** the `card` group is hex: it becomes the 10-digit decimal of its low 32 bits */
  cardHex?: boolean;
  check?: LineCheck;
  /** state/verify when the line has no such group (defaults: unknown / other) */
  state?: PunchState;
  verify?: VerifyMethod;
  stateMap?: Record<string, PunchState>;
  verifyMap?: Record<string, VerifyMethod>;
  /** readers that end a frame with silence instead of a delimiter */
  lineTimeoutMs?: number;
  /** where the layout is described */
  source: string;
}

/** ZK in/out status and verify codes as USB attlog exports and ADMS ATTLOG lines write them (drivers/zk-common/codes.ts). */
const ZK_STATE_TEXT = byCodeText(ZK_STATE_MAP);
const ZK_VERIFY_TEXT = byCodeText(ZK_VERIFY_MAP);

export const SERIAL_FORMATS: readonly SerialFormat[] = [
  {
    name: 'wiegand-decimal',
    description: 'Wiegand-to-RS232 converter: the card number as 10 decimal digits, one per line',
    pattern: String.raw`\s*(?<card>\d{10})\s*`,
    cardHex: false,
    verify: 'card',
    source: 'converter manuals (e.g. Wiegand 26/34 to RS232 modules): "10-digit decimal card number + CR LF"',
  },
  {
    name: 'em18-hex',
    description: 'EM-18 / RDM6300 style 125 kHz reader: 10 hex card chars + 2 hex XOR check, no terminator (STX/ETX stripped)',
    pattern: String.raw`(?<card>[0-9A-Fa-f]{10})(?<check>[0-9A-Fa-f]{2})`,
    cardHex: true,
    check: 'xor8-hex',
    verify: 'card',
    lineTimeoutMs: 100,
    source: 'EM-18 reader module datasheet: 12 ASCII hex characters, the last two the XOR of the five data bytes',
  },
  {
    name: 'timeclock-tsv',
    description: 'time clock line: event⇥DD-MM-YYYY⇥hh:mm:ss⇥id',
    pattern: String.raw`(?<state>[^\t]+)\t(?<date>\d{2}-\d{2}-\d{4})\t(?<time>\d{2}:\d{2}:\d{2})\t\s*(?<pin>[^\t]+?)\s*(?:\t.*)?`,
    dateFormat: 'DD-MM-YYYY',
    timeFormat: 'HH:mm:ss',
    stateMap: {
      IN: 'check-in',
      OUT: 'check-out',
      'BREAK-OUT': 'break-out',
      'BREAK-IN': 'break-in',
      'OT-IN': 'overtime-in',
      'OT-OUT': 'overtime-out',
      ...ZK_STATE_TEXT,
    },
    source: 'issue 5 (layout as given there); event names IN/OUT/BREAK-*/OT-* are this project\'s defaults, override with stateMap',
  },
  {
    name: 'zk-attlog',
    description: 'ZK USB-flashdisk *_attlog.dat / ADMS ATTLOG line: PIN⇥YYYY-MM-DD HH:MM:SS⇥status⇥verify⇥workcode⇥…',
    pattern: String.raw`\s*(?<pin>[^\t]+?)\s*\t(?<datetime>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\t(?<state>\d+)\t(?<verify>\d+)(?:\t(?<workcode>\d*)(?:\t.*)?)?`,
    dateFormat: 'YYYY-MM-DD',
    timeFormat: 'HH:mm:ss',
    stateMap: ZK_STATE_TEXT,
    verifyMap: ZK_VERIFY_TEXT,
    source: 'zk-push.md "ATTLOG record" (ZKTeco Attendance PUSH protocol; saifulcoder/adms-server-ZKTeco capture)',
  },
];

export const SERIAL_FORMAT_NAMES = SERIAL_FORMATS.map((f) => f.name);

export function shippedFormat(name: string): SerialFormat | undefined {
  return SERIAL_FORMATS.find((f) => f.name === name);
}
