// The simulated terminal's attendance log and the users it was seeded with (the users and templates
// it holds now, which writes change, are enrolment.ts), and the log's on-wire encodings.
// Invariants:
// - Record i of the generated log is a pure function of (options, i): two simulators with the
//   same options hold the same log, so tests can compute what a download must yield.
// - Times are naive wall times (zone-free arithmetic), as a terminal stores them.
// - Encoded datasets are cached until the log changes; a prepared read keeps its own snapshot.
import {
  encodeFields, encodeTimeHex, encodeTime, formatWallTime, parseWallTime, type Fields, type WallTime,
} from '../../../drivers/zk-tcp/codec.js';
import { wallFromSeconds, wallSeconds } from '../../punch/time.js';
import { ATTLOG_LAYOUTS, REALTIME_LAYOUTS } from '../../../drivers/zk-tcp/tables.js';

export interface SimUser {
  uid: number;
  pin: string;
  name: string;
  privilege: number;
  card: number;
}

/** One punch as the terminal stores it (codes, not punch/v1 strings). */
export interface SimPunch {
  uid: number;
  pin: string;
  localTime: string;
  verify: number;
  state: number;
  workCode: number;
}

export interface SimLogOptions {
  users: number | SimUser[];
  records: number;
  recordSize: 8 | 16 | 40 | 49;
  userSize: 28 | 72;
  realtimeSize: 10 | 12 | 14 | 32 | 36 | 37 | 52;
  /** wall time of record 0 */
  firstRecordAt: string;
  /** seconds between generated records */
  recordStepSec: number;
}

const VERIFY_CYCLE = [1, 15, 2, 0, 1];
const STATE_CYCLE = [0, 1, 0, 1, 2, 3, 4, 5];

export function makeUsers(count: number): SimUser[] {
  return Array.from({ length: count }, (_, k) => ({
    uid: k + 1,
    pin: String(1001 + k),
    name: `Pegawai ${k + 1}`,
    privilege: k === 0 ? 14 : 0,
    card: k % 3 === 0 ? 7_000_000 + k : 0,
  }));
}

export class SimLog {
  readonly users: SimUser[];
  private generated: number;
  private readonly appended: SimPunch[] = [];
  private readonly firstSec: number;
  private cache: { attendance?: Buffer } = {};

  constructor(private readonly options: SimLogOptions) {
    this.users = typeof options.users === 'number' ? makeUsers(options.users) : options.users;
    if (this.users.length === 0 && options.records > 0) throw new Error('a simulator with attendance records needs at least one user');
    this.generated = options.records;
    const first = parseWallTime(options.firstRecordAt);
    if (!first) throw new Error(`firstRecordAt must be YYYY-MM-DDTHH:mm:ss, got ${options.firstRecordAt}`);
    this.firstSec = wallSeconds(first);
  }

  get count(): number {
    return this.generated + this.appended.length;
  }

  get recordSize(): number {
    return this.options.recordSize;
  }

  /** Record `index` of the log. */
  punchAt(index: number): SimPunch {
    if (index >= this.generated) {
      const p = this.appended[index - this.generated];
      if (!p) throw new RangeError(`no record ${index}`);
      return p;
    }
    const user = this.users[index % this.users.length] as SimUser;
    const wall = wallFromSeconds(this.firstSec + index * this.options.recordStepSec);
    return {
      uid: user.uid,
      pin: user.pin,
      localTime: formatWallTime(wall),
      verify: VERIFY_CYCLE[index % VERIFY_CYCLE.length] as number,
      state: STATE_CYCLE[index % STATE_CYCLE.length] as number,
      workCode: this.options.recordSize === 16 ? index % 4 : 0,
    };
  }

  append(punch: SimPunch): void {
    this.appended.push(punch);
    this.cache = {};
  }

  clear(): void {
    this.generated = 0;
    this.appended.length = 0;
    this.cache = {};
  }

  userByPin(pin: string): SimUser | undefined {
    return this.users.find((u) => u.pin === pin);
  }

  /** `u32 total | records…` in the configured record size (§6.6). */
  attendanceDataset(): Buffer {
    if (this.cache.attendance) return this.cache.attendance;
    const layout = ATTLOG_LAYOUTS.get(this.options.recordSize);
    if (!layout) throw new Error(`no layout ${this.options.recordSize}`);
    const count = this.count;
    const bytes = Buffer.alloc(4 + count * layout.size);
    bytes.writeUInt32LE(count * layout.size, 0);
    for (let i = 0; i < count; i++) encodeFields(layout, this.recordFields(this.punchAt(i)), bytes, 4 + i * layout.size);
    this.cache.attendance = bytes;
    return bytes;
  }

  /** The data of one CMD_REG_EVENT/EF_ATTLOG packet for `punch`. */
  realtimeEvent(punch: SimPunch): Buffer {
    const layout = REALTIME_LAYOUTS.get(this.options.realtimeSize);
    if (!layout) throw new Error(`no realtime layout ${this.options.realtimeSize}`);
    const numeric = layout.fields.find((f) => f.name === 'pin')?.type !== 'zstr';
    const time = parseWallTime(punch.localTime) as WallTime;
    return encodeFields(layout, { pin: numeric ? Number(punch.pin) : punch.pin, verify: punch.verify, state: punch.state, time: encodeTimeHex(time).toString('hex') });
  }

  private recordFields(p: SimPunch): Fields {
    const time = encodeTime(parseWallTime(p.localTime) as WallTime);
    const numericPin = this.options.recordSize === 16;
    return {
      uid: p.uid,
      pin: numericPin ? Number(p.pin) : p.pin,
      verify: p.verify,
      state: p.state,
      time,
      status: p.verify,
      punch: p.verify,
      workCode: p.workCode,
      reserved: '00000000ff000000',
    };
  }
}
