// The simulated terminal's users and fingerprint templates, as a terminal keeps them: users by
// their internal number (uid), templates by (uid, finger), and the writes of the protocol applied
// to them (CMD_USER_WRQ, the users-and-templates upload, the deletes; users-templates.md).
// Invariants:
// - A PIN belongs to one uid: a write giving a PIN that another uid holds is refused (the
//   terminal's "duplicate ID"), so a client that matched users by uid instead of PIN is caught.
// - Seeded content is a pure function of (users, fingersPerUser, seed): two simulators with the
//   same options hold the same templates.
// - Templates are synthetic bytes (no real person's finger), of ZKFinger v10's usual sizes; on a
//   10.0 terminal they carry the 10.0 mark the SOAP simulator checks (src/sim/zkSoap/userTable.ts),
//   so a copy from this terminal to a simulated SOAP one is taken as a real 10.0 template would be.
import {
  encodeTemplateTable, encodeUserTable, type UserRecordSize, type ZkTemplateEntry, type ZkUploadTemplate, type ZkUserRecord,
} from '../../../drivers/zk-tcp/userCodec.js';
import type { TerminalUser } from '../../users/user.js';
import type { SimUser } from './log.js';
import { seededRandom } from './output.js';

export interface SimEnrolmentOptions {
  users: readonly SimUser[];
  userSize: UserRecordSize;
  /** seeded fingerprint templates per user, [least, most] (default none) */
  fingersPerUser?: readonly [number, number];
  seed: number;
  /** users the terminal can hold; a write of one more is refused (the terminal is full) */
  userCapacity: number;
  /** the terminal's `~ZKFPVersion`: '10' marks seeded templates as 10.0 ones */
  fingerVersion?: string | null;
}

const key = (uid: number, finger: number): string => `${uid}/${finger}`;

export class SimEnrolment {
  readonly userSize: UserRecordSize;
  readonly userCapacity: number;
  private readonly users = new Map<number, ZkUserRecord>();
  private readonly templates = new Map<string, ZkTemplateEntry>();

  constructor(options: SimEnrolmentOptions) {
    this.userSize = options.userSize;
    this.userCapacity = options.userCapacity;
    const random = seededRandom(options.seed * 7919 + 17);
    const [least, most] = options.fingersPerUser ?? [0, 0];
    for (const u of options.users) {
      this.users.set(u.uid, { uid: u.uid, pin: u.pin, name: u.name, privilege: u.privilege, card: u.card ? String(u.card) : '', password: '', group: 1 });
      const fingers = least + Math.floor(random() * (most - least + 1));
      for (let finger = 0; finger < fingers; finger++) {
        const data = Buffer.alloc(600 + Math.floor(random() * 800));
        for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
        if (options.fingerVersion === '10') data.write('SS21', 2, 'latin1');
        this.templates.set(key(u.uid, finger), { uid: u.uid, finger, flag: 1, data });
      }
    }
  }

  get userCount(): number {
    return this.users.size;
  }

  get templateCount(): number {
    return this.templates.size;
  }

  /** Users in uid order. */
  userList(): ZkUserRecord[] {
    return [...this.users.values()].sort((a, b) => a.uid - b.uid);
  }

  /** Templates in (uid, finger) order. */
  templateList(): ZkTemplateEntry[] {
    return [...this.templates.values()].sort((a, b) => a.uid - b.uid || a.finger - b.finger);
  }

  byPin(pin: string): ZkUserRecord | undefined {
    for (const u of this.users.values()) if (u.pin === pin) return u;
    return undefined;
  }

  usersDataset(): Buffer {
    return encodeUserTable(this.userList(), this.userSize);
  }

  templatesDataset(): Buffer {
    return encodeTemplateTable(this.templateList());
  }

  /** Users of `records` the terminal would have to add (uids it does not hold). */
  newUsers(records: readonly ZkUserRecord[]): number {
    return new Set(records.map((r) => r.uid).filter((uid) => !this.users.has(uid))).size;
  }

  /** A user enrolled at the keypad, with fingers 0, 1, …: the next free uid; false when its PIN is held or the terminal is full. */
  enrolAtKeypad(user: TerminalUser, fingers: readonly Buffer[] = []): boolean {
    const uid = Math.max(0, ...this.users.keys()) + 1;
    if (!this.writeUser({ ...user, uid })) return false;
    fingers.forEach((data, finger) => this.writeTemplate({ uid, finger, data }));
    return true;
  }

  /** Creates or replaces the user `record.uid`; false when another uid holds its PIN or the terminal is full. */
  writeUser(record: ZkUserRecord): boolean {
    const holder = this.byPin(record.pin);
    if (holder && holder.uid !== record.uid) return false;
    if (!this.users.has(record.uid) && this.users.size >= this.userCapacity) return false;
    this.users.set(record.uid, { ...record });
    return true;
  }

  /** One uploaded template, kept valid (the upload carries no flag); false when its user is unknown. */
  writeTemplate(t: ZkUploadTemplate): boolean {
    if (!this.users.has(t.uid)) return false;
    this.templates.set(key(t.uid, t.finger), { uid: t.uid, finger: t.finger, flag: 1, data: Buffer.from(t.data) });
    return true;
  }

  /** CMD_DELETE_USER: the user only (its templates go with their own deletes); false when absent. */
  deleteUser(uid: number): boolean {
    return this.users.delete(uid);
  }

  deleteTemplate(uid: number, finger: number): boolean {
    return this.templates.delete(key(uid, finger));
  }

  deleteTemplateByPin(pin: string, finger: number): boolean {
    const user = this.byPin(pin);
    return user !== undefined && this.deleteTemplate(user.uid, finger);
  }
}
