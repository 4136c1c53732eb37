// The punch codes every ZK family writes, as data: the in/out state and the verify type of an
// attendance record. One table for zk-tcp (port 4370 records and realtime events), zk-push (ATTLOG
// lines), zk-soap (GetAttLog rows) and serial-line's zk-attlog format (USB-flashdisk exports).
// Invariants:
// - Every row names the public sources that define its code (SOURCES below; README.md of this
//   folder has the evidence and the disagreements it settles).
// - A code maps to a punch/v1 value only where every source that defines it agrees. Verify 0 and 2
//   mean one thing on black-and-white firmware and another on multi-verify firmware; such a code
//   maps to `other` (state: `unknown`), and its row says what each source claims.
// - The maps drivers read (ZK_STATE_MAP, ZK_VERIFY_MAP) are derived from the rows, never written by
//   hand; a per-device override (`stateMap`, `verifyMap`) goes through zkStateOf / zkVerifyOf.
// - State and verify are part of the punch id: changing a mapped value changes the id of every
//   punch read again with that code. Change a row only with new evidence, and say so in the READMEs.
import type { PunchState, VerifyMethod } from '../../src/punch/punch.js';

/** Who says what a code means. Short names, cited by the rows. */
export const SOURCES = {
  pushSpec: 'zk-push.md "ATTLOG record": ZKTeco Attendance PUSH Communication Protocol, appendix 7 (1 fingerprint, 3 password, 4 card, 15 face)',
  zkEnum: 'ZkUserVerifyType.java, ZKTeco Android firmware enum (com/zktechnology/android/base, copy in ludovicgerrard/projectLauncher)',
  adrobinogaModes: 'adrobinoga/zk-protocol sections/data-user.md "Set User Verification Mode" (mode byte = 0x80 | code: 0x81 FP, 0x82 PIN, 0x83 PW, 0x84 RF …)',
  adrobinogaRecord: 'adrobinoga/zk-protocol sections/data-record.md, 40-byte record of an F19 (verify type 0 password, 1 fingerprint, 2 RF card; state 0-5)',
  zkeco: 'ZKTeco ZKECO ADMS server, iclock/models/model_trans.py VERIFYS and ATTSTATES (copy in israrwz/johan-doc zkeco-core/adms)',
  pyzk3: 'kurenai-ryu/pyzk#3 (pyzk maintainer, 4370 records: 1 finger, 3 password, 4 card, 15 face on newer devices; older devices write 0 always)',
  pyzk8: 'kurenai-ryu/pyzk#8 (32-byte realtime event of a face terminal, QF-001: verify byte 0x0f)',
  zklibrary12: 'carlosang2/ZKLibrary#12 (iFace702-P, face/palm/finger terminal: pyzk reads verify 25 from its 4370 record)',
  standalone: 'zk-standalone.md §7 (in/out state 0 check-in … 5 OT-out; pyzk#211 shows 255 on a face terminal)',
  phpZklib24: 'dnaextrim/php_zklib#24 (states 0 check-in, 1 check-out, 2 break out, 3 break in, 4 OT in, 5 OT out)',
  horilla1115: 'horilla/horilla-hr#1115 (ZLM60_TFT x2008, Ver 6.60 Oct 12 2021: every record has state 255, "undefined")',
} as const;

export type SourceName = keyof typeof SOURCES;

export interface VerifyCodeRow {
  code: number;
  method: VerifyMethod;
  /** what the code means, in the words of the sources */
  meaning: string;
  sources: readonly SourceName[];
}

export interface StateCodeRow {
  code: number;
  state: PunchState;
  meaning: string;
  sources: readonly SourceName[];
}

const COMBINATION = ['zkEnum', 'adrobinogaModes'] as const satisfies readonly SourceName[];

/**
 * Verify type → punch/v1 method. Combinations (5-14, 16-20) keep `other`: the record does not say
 * which factor the punch was taken on, and no driver has mapped them before (a later choice, with
 * evidence of what terminals write).
 */
export const ZK_VERIFY_CODES: readonly VerifyCodeRow[] = [
  {
    code: 0,
    method: 'other',
    meaning: 'disputed: "any method" (FP/PW/card/face/palm) on multi-verify firmware, and the value older terminals write for every punch; password on black-and-white firmware',
    sources: ['zkEnum', 'adrobinogaModes', 'pyzk3', 'adrobinogaRecord', 'zkeco'],
  },
  { code: 1, method: 'fingerprint', meaning: 'fingerprint', sources: ['pushSpec', 'zkEnum', 'adrobinogaModes', 'adrobinogaRecord', 'zkeco', 'pyzk3'] },
  {
    code: 2,
    method: 'other',
    meaning: 'disputed: PIN (the user ID alone) on multi-verify firmware; card on black-and-white firmware',
    sources: ['zkEnum', 'adrobinogaModes', 'adrobinogaRecord', 'zkeco'],
  },
  { code: 3, method: 'password', meaning: 'password', sources: ['pushSpec', 'zkEnum', 'adrobinogaModes', 'pyzk3'] },
  { code: 4, method: 'card', meaning: 'card (RF)', sources: ['pushSpec', 'zkEnum', 'adrobinogaModes', 'pyzk3'] },
  { code: 5, method: 'other', meaning: 'fingerprint or password', sources: COMBINATION },
  { code: 6, method: 'other', meaning: 'fingerprint or card', sources: COMBINATION },
  { code: 7, method: 'other', meaning: 'password or card', sources: COMBINATION },
  { code: 8, method: 'other', meaning: 'PIN and fingerprint', sources: COMBINATION },
  { code: 9, method: 'other', meaning: 'fingerprint and password', sources: COMBINATION },
  { code: 10, method: 'other', meaning: 'fingerprint and card', sources: COMBINATION },
  { code: 11, method: 'other', meaning: 'password and card', sources: COMBINATION },
  { code: 12, method: 'other', meaning: 'fingerprint and password and card', sources: COMBINATION },
  { code: 13, method: 'other', meaning: 'PIN and fingerprint and password', sources: COMBINATION },
  { code: 14, method: 'other', meaning: 'fingerprint and card, or PIN', sources: COMBINATION },
  { code: 15, method: 'face', meaning: 'face', sources: ['pushSpec', 'zkEnum', 'pyzk3', 'pyzk8'] },
  { code: 16, method: 'other', meaning: 'face and fingerprint', sources: ['zkEnum'] },
  { code: 17, method: 'other', meaning: 'face and password', sources: ['zkEnum'] },
  { code: 18, method: 'other', meaning: 'face and card', sources: ['zkEnum'] },
  { code: 19, method: 'other', meaning: 'face and fingerprint and card', sources: ['zkEnum'] },
  { code: 20, method: 'other', meaning: 'face and fingerprint and password', sources: ['zkEnum'] },
  { code: 25, method: 'palm', meaning: 'palm', sources: ['zkEnum', 'zklibrary12'] },
];

/** In/out state (the key pressed, or the schedule) → punch/v1 state. */
export const ZK_STATE_CODES: readonly StateCodeRow[] = [
  { code: 0, state: 'check-in', meaning: 'check in', sources: ['standalone', 'adrobinogaRecord', 'phpZklib24'] },
  { code: 1, state: 'check-out', meaning: 'check out', sources: ['standalone', 'adrobinogaRecord', 'phpZklib24'] },
  { code: 2, state: 'break-out', meaning: 'break out (ZKECO: going out)', sources: ['standalone', 'adrobinogaRecord', 'phpZklib24', 'zkeco'] },
  { code: 3, state: 'break-in', meaning: 'break in (ZKECO: back in)', sources: ['standalone', 'adrobinogaRecord', 'phpZklib24', 'zkeco'] },
  { code: 4, state: 'overtime-in', meaning: 'overtime in', sources: ['standalone', 'adrobinogaRecord', 'phpZklib24', 'zkeco'] },
  { code: 5, state: 'overtime-out', meaning: 'overtime out', sources: ['standalone', 'adrobinogaRecord', 'phpZklib24', 'zkeco'] },
  { code: 8, state: 'unknown', meaning: 'meal start: no punch/v1 state', sources: ['zkeco'] },
  { code: 9, state: 'unknown', meaning: 'meal end: no punch/v1 state', sources: ['zkeco'] },
  { code: 255, state: 'unknown', meaning: 'no state set', sources: ['standalone', 'zkeco', 'horilla1115'] },
];

/** Verify codes with a method (every other code, and a missing one, is `other`). */
export const ZK_VERIFY_MAP: ReadonlyMap<number, VerifyMethod> = new Map(
  ZK_VERIFY_CODES.filter((row) => row.method !== 'other').map((row) => [row.code, row.method]),
);

/** State codes with a state (every other code, and a missing one, is `unknown`). */
export const ZK_STATE_MAP: ReadonlyMap<number, PunchState> = new Map(
  ZK_STATE_CODES.filter((row) => row.state !== 'unknown').map((row) => [row.code, row.state]),
);

/** Per-device overrides as config holds them: decimal code → value. */
export type CodeOverrides<T extends string> = Readonly<Record<string, T>>;

const NO_OVERRIDES: CodeOverrides<never> = {};

function lookUp<T extends string>(code: number | null | undefined, overrides: CodeOverrides<T>, table: ReadonlyMap<number, T>, fallback: T): T {
  if (code === null || code === undefined || !Number.isInteger(code)) return fallback;
  const key = String(code);
  return (Object.hasOwn(overrides, key) ? overrides[key] : undefined) ?? table.get(code) ?? fallback;
}

/** A record's verify code → punch/v1 method: the device's override first, then ZK_VERIFY_MAP, else `other`. */
export function zkVerifyOf(code: number | null | undefined, overrides: CodeOverrides<VerifyMethod> = NO_OVERRIDES): VerifyMethod {
  return lookUp(code, overrides, ZK_VERIFY_MAP, 'other');
}

/** A record's state code → punch/v1 state: the device's override first, then ZK_STATE_MAP, else `unknown`. */
export function zkStateOf(code: number | null | undefined, overrides: CodeOverrides<PunchState> = NO_OVERRIDES): PunchState {
  return lookUp(code, overrides, ZK_STATE_MAP, 'unknown');
}

/** A map keyed by the code as text, for formats whose codes arrive as text (serial-line zk-attlog). */
export function byCodeText<T extends string>(map: ReadonlyMap<number, T>): Record<string, T> {
  return Object.fromEntries([...map].map(([code, value]) => [String(code), value]));
}
