// The simulated terminal's answers to the users-and-templates commands (users-templates.md):
// CMD_USER_WRQ, the upload (CMD_PREPARE_DATA, CMD_DATA…, `_CMD_SAVE_USERTEMPS`), and the deletes
// (CMD_DELETE_USER, CMD_DELETE_USERTEMP, `_CMD_DEL_USER_TEMP`), applied to its SimEnrolment.
// Invariants:
// - An upload is applied only when saved and whole (every announced byte arrived, the buffer
//   decodes, the terminal has room for all its users); otherwise it is answered CMD_ACK_ERROR and
//   changes nothing (an assumption: what a real terminal does with a batch it cannot store whole is
//   not documented).
// - The upload's users are applied in order, each with its templates, so the `dropAfterUsers`
//   fault leaves the first K users of a batch written and the connection closed without an answer:
//   the worst case of a terminal losing its link midway.
// - A payload too short for its command is answered CMD_ACK_ERROR, never a crash.
import { decodeU32 } from '../../../drivers/zk-tcp/codec.js';
import {
  decodeDeleteTemplate, decodeDeleteTemplateByPin, decodeDeleteUser, decodeUpload, decodeUserRecord,
} from '../../../drivers/zk-tcp/userCodec.js';
import { CMD } from '../../../drivers/zk-tcp/tables.js';
import type { SimEnrolment } from './enrolment.js';
import type { ZkSimFaults } from './output.js';

/** An upload under way: CMD_PREPARE_DATA announced `expected` bytes. */
export interface UploadState {
  expected: number;
  parts: Buffer[];
  received: number;
}

export interface WireSession {
  upload?: UploadState;
  close(): void;
}

const OK = CMD.ACK_OK;
const ERROR = CMD.ACK_ERROR;

export class EnrolmentWire {
  private dropDone = false;

  constructor(
    private readonly enrolment: SimEnrolment,
    private readonly faults: ZkSimFaults,
    private readonly stats: { usersWritten: number; drops: number },
  ) {}

  /** The reply command for a users-and-templates command; undefined for any other; 'dropped' when the connection closed instead. */
  answer(s: WireSession, command: number, data: Buffer): number | 'dropped' | undefined {
    try {
      switch (command) {
        case CMD.USER_WRQ: return this.userWrite(s, data);
        case CMD.PREPARE_DATA: s.upload = { expected: decodeU32(data), parts: [], received: 0 }; return OK;
        case CMD.DATA: return this.uploadData(s, data);
        case CMD.SAVE_USERTEMPS: return this.save(s);
        case CMD.DELETE_USER: return this.enrolment.deleteUser(decodeDeleteUser(data)) ? OK : ERROR;
        case CMD.DELETE_USERTEMP: {
          const { uid, finger } = decodeDeleteTemplate(data);
          return this.enrolment.deleteTemplate(uid, finger) ? OK : ERROR;
        }
        case CMD.DEL_USER_TEMP: {
          const { pin, finger } = decodeDeleteTemplateByPin(data);
          return this.enrolment.deleteTemplateByPin(pin, finger) ? OK : ERROR;
        }
        default: return undefined;
      }
    } catch {
      return ERROR; // a payload that does not decode (zk-short-u32, zk-short-record, zk-upload-buffer)
    }
  }

  /** CMD_USER_WRQ: one user record of the terminal's size (zk-protocol "Set User Info"). */
  private userWrite(s: WireSession, data: Buffer): number | 'dropped' {
    const size = this.enrolment.userSize;
    if (data.length !== size || !this.enrolment.writeUser(decodeUserRecord(data, size))) return ERROR;
    return this.written(s) ? 'dropped' : OK;
  }

  private uploadData(s: WireSession, data: Buffer): number {
    const upload = s.upload;
    if (!upload || upload.received + data.length > upload.expected) return ERROR;
    upload.parts.push(Buffer.from(data));
    upload.received += data.length;
    return OK;
  }

  /** `_CMD_SAVE_USERTEMPS`: applies the whole upload, each user then its templates, in order. */
  private save(s: WireSession): number | 'dropped' {
    const upload = s.upload;
    s.upload = undefined;
    if (!upload || upload.received !== upload.expected) return ERROR;
    const { users, templates } = decodeUpload(Buffer.concat(upload.parts), this.enrolment.userSize);
    if (users.some((u) => (this.enrolment.byPin(u.pin)?.uid ?? u.uid) !== u.uid)) return ERROR; // a PIN another uid holds
    if (this.enrolment.userCount + this.enrolment.newUsers(users) > this.enrolment.userCapacity) return ERROR; // the terminal cannot store the batch whole
    for (const user of users) {
      this.enrolment.writeUser(user);
      for (const t of templates) if (t.uid === user.uid) this.enrolment.writeTemplate(t);
      if (this.written(s)) return 'dropped';
    }
    return OK;
  }

  /** Counts a user written; true when the `dropAfterUsers` fault closed the connection after it. */
  private written(s: WireSession): boolean {
    this.stats.usersWritten++;
    const after = this.faults.dropAfterUsers;
    if (after === undefined || this.dropDone || this.stats.usersWritten < after) return false;
    this.dropDone = true;
    this.stats.drops++;
    s.close();
    return true;
  }
}
