// The zk-tcp side of `users …` and `userSync` (DESIGN.md "Users and templates"; the UsersSession
// seam of src/devices/facets.ts): one connection to a terminal reading and writing its users and
// fingerprint templates (users-templates.md).
// Invariants:
// - Users are matched by PIN, never by the terminal's own user number (uid): a PIN the terminal
//   holds keeps its uid, a new PIN takes the next free one. So writing the same users again
//   (a resumed copy) replaces them in place: nothing is doubled.
// - Templates are read with the user table, both with the terminal disabled, so each template's
//   uid maps to the PIN that held it at that moment.
// - Writes and deletes happen with the terminal disabled (the timeout variant, re-armed per
//   batch, so a gateway that dies leaves it working again), on a user table read after disabling
//   it (so no enrolment at the keypad takes a uid the write then overwrites), and are followed by
//   CMD_REFRESHDATA; it is enabled again in `finally` (device.ts withDeviceDisabled).
// - A user is written only as given: what its record cannot hold (userCodec UserFitError), a
//   template that is not a fingerprint, of another algorithm than the terminal's, or marked invalid
//   makes that user's outcome a GW_ERR_USERS_WRITE_FAILED, never a changed or partial write. A batch the
//   terminal refuses is retried user by user, so each user gets its own outcome.
// - The algorithm is what `~ZKFPVersion` says (`finger:10`); a terminal that does not say has none,
//   and takes no templates. Template bytes never reach a log line.
// - A lost connection rejects the call; the users answered before it were reported by `progress`.
import type { Logger } from 'pino';
import type { UserWriteOutcome, UsersAccess, UsersOpenOptions, UsersProgress, UsersSession } from '../../src/devices/facets.js';
import type { TemplateKind, TemplateRecord, TerminalUser, UserWithTemplates } from '../../src/users/user.js';
import type { ErrorCode } from '../../src/util/catalogue.js';
import { GatewayError, codeOf, errorMessage } from '../../src/util/errors.js';
import { ZkClient } from './client.js';
import type { ZkTcpConfig } from './config.js';
import { readSizes, withDeviceDisabled } from './device.js';
import { encodeU32 } from './codec.js';
import {
  UserFitError, decodeTemplateTable, decodeUserTable, encodeDeleteTemplate, encodeDeleteTemplateByPin, encodeDeleteUser,
  encodeSaveUserTemps, encodeUpload, encodeUserRecord, type UserRecordSize, type ZkUploadTemplate, type ZkUserRecord,
} from './userCodec.js';
import { CMD, CMD_NAMES, FCT, OPTION_NAMES, UPLOAD } from './tables.js';

export interface ZkUsersTuning {
  /** users with templates per upload */
  batchUsers?: number;
  /** upload bytes per batch (a batch holds at least one user) */
  batchBytes?: number;
  /** CMD_DISABLEDEVICE timeout, re-armed per batch: the terminal enables itself if the gateway dies */
  disableSec?: number;
}

const DEFAULTS: Required<ZkUsersTuning> = { batchUsers: 50, batchBytes: 64 * 1024, disableSec: 120 };

const UNKNOWN_ALGORITHM = 'finger:unknown';

export const zkTcpUsers: UsersAccess<ZkTcpConfig> = {
  open: (config, options) => openZkTcpUsers(config, options),
};

/** Connects (comm key included) and reads the serial and `~ZKFPVersion`; rejects with a GatewayError. */
export async function openZkTcpUsers(config: ZkTcpConfig, options: UsersOpenOptions, tuning: ZkUsersTuning = {}): Promise<ZkTcpUsersSession> {
  const client = new ZkClient({ host: config.host, port: config.port, transport: config.transport, commKey: config.commKey, timeoutMs: config.timeout, log: options.logger });
  await client.connect(options.signal);
  try {
    return await zkUsersSessionOn(client, options, tuning);
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** A users session on a connected client (the running driver lends its own): reads the serial and `~ZKFPVersion`. */
export async function zkUsersSessionOn(client: ZkClient, options: UsersOpenOptions, tuning: ZkUsersTuning = {}): Promise<ZkTcpUsersSession> {
  const serial = await client.readOption(OPTION_NAMES.serial);
  const version = await client.readOption(OPTION_NAMES.fingerVersion);
  return new ZkTcpUsersSession(client, {
    serial: serial !== undefined && /^[\x21-\x7e]{1,64}$/.test(serial) ? serial : undefined,
    // pyzk get_fp_version: an empty or absent answer is no version (0)
    fingerAlgorithm: version !== undefined && /^[1-9][0-9]{0,2}$/.test(version) ? `finger:${version}` : undefined,
    log: options.logger, signal: options.signal, tuning: { ...DEFAULTS, ...tuning },
  });
}

interface Known {
  /** the terminal's record size: read from its table, else pyzk's default (72 on TCP, 28 on UDP) */
  recordSize: UserRecordSize;
  byPin: Map<string, ZkUserRecord>;
  nextUid: number;
}

interface Planned {
  record: ZkUserRecord;
  templates: ZkUploadTemplate[];
  uploadBytes: number;
}

type Planning = { planned: Planned } | { outcome: UserWriteOutcome };

function refused(pin: string, message: string, code: ErrorCode = 'GW_ERR_USERS_WRITE_FAILED'): UserWriteOutcome {
  return { pin, ok: false, code, message };
}

function answerName(command: number): string {
  const name = CMD_NAMES.get(command);
  return name ? `CMD_${name}` : `command ${command}`;
}

export class ZkTcpUsersSession implements UsersSession {
  readonly serial: string | undefined;
  private readonly fingerAlgorithm: string | undefined;
  private readonly log: Logger;
  private readonly signal: AbortSignal;
  private readonly tuning: Required<ZkUsersTuning>;

  constructor(
    private readonly client: ZkClient,
    o: { serial?: string; fingerAlgorithm?: string; log: Logger; signal: AbortSignal; tuning: Required<ZkUsersTuning> },
  ) {
    this.serial = o.serial;
    this.fingerAlgorithm = o.fingerAlgorithm;
    this.log = o.log;
    this.signal = o.signal;
    this.tuning = o.tuning;
  }

  algorithms(): Promise<Partial<Record<TemplateKind, string>>> {
    return Promise.resolve(this.fingerAlgorithm ? { finger: this.fingerAlgorithm } : {});
  }

  async listUsers(progress?: UsersProgress): Promise<TerminalUser[]> {
    const known = await this.readUsers(progress);
    return [...known.byPin.values()].map(({ uid: _uid, ...user }) => user);
  }

  async readTemplates(pins?: readonly string[], progress?: UsersProgress): Promise<TemplateRecord[]> {
    // both tables with the keypad locked (zk-protocol "Read All Templates" disables first): a uid
    // deleted and given to someone else between the two reads would hand a finger to the wrong PIN
    const { known, dataset } = await withDeviceDisabled(this.client, this.tuning.disableSec, async () => {
      const users = await this.readUsers();
      const sizes = await readSizes(this.client);
      const bytes = await this.client.readDataset(CMD.DB_RRQ, FCT.FINGERTMP, (received, total) => {
        if (sizes.fingers !== undefined && total > 0) progress?.(Math.floor((sizes.fingers * received) / total), sizes.fingers);
      });
      return { known: users, dataset: bytes };
    });
    const byUid = new Map([...known.byPin.values()].map((u) => [u.uid, u]));
    const wanted = pins ? new Set(pins) : undefined;
    const templates: TemplateRecord[] = [];
    let orphans = 0;
    for (const entry of decoded('the template table', () => decodeTemplateTable(dataset))) {
      const user = byUid.get(entry.uid);
      if (!user) {
        orphans++;
        continue;
      }
      if (wanted && !wanted.has(user.pin)) continue;
      // flag 0 is invalid, 1 valid, 3 duress (zk-protocol data-user.md)
      templates.push({ pin: user.pin, kind: 'finger', index: entry.finger, algorithm: this.fingerAlgorithm ?? UNKNOWN_ALGORITHM, valid: entry.flag !== 0, data: entry.data });
    }
    if (orphans > 0) this.log.debug({ orphans }, 'zk templates of no user in the user table; not read');
    progress?.(templates.length, templates.length);
    return templates;
  }

  async writeUsers(users: readonly UserWithTemplates[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    if (users.length === 0) return [];
    const outcomes: UserWriteOutcome[] = [];
    const report = (done: UserWriteOutcome[]): void => {
      for (const outcome of done) {
        outcomes.push(outcome);
        progress?.(outcomes.length, users.length, outcome);
      }
    };
    await withDeviceDisabled(this.client, this.tuning.disableSec, async () => {
      // the table is read with the keypad locked: no enrolment at the terminal can take a uid in between
      const known = await this.readUsers();
      const { plain, withTemplates, refusals } = this.planAll(users, known);
      if (refusals.length > 0) report(refusals);
      for (const p of plain) {
        await this.rearm();
        report([await this.writeOne(p, known)]);
      }
      for (const batch of this.batches(withTemplates)) {
        await this.rearm();
        report(await this.upload(batch, known));
      }
    });
    return outcomes;
  }

  private planAll(users: readonly UserWithTemplates[], known: Known): { plain: Planned[]; withTemplates: Planned[]; refusals: UserWriteOutcome[] } {
    const plain: Planned[] = [];
    const withTemplates: Planned[] = [];
    const refusals: UserWriteOutcome[] = [];
    const given = new Set<string>();
    for (const item of users) {
      const twice = given.has(item.user.pin);
      given.add(item.user.pin);
      const planning: Planning = twice ? { outcome: refused(item.user.pin, 'the PIN is given twice in one write; the first is written', 'GW_ERR_USERS_USER_INVALID') } : this.plan(item, known);
      if ('outcome' in planning) refusals.push(planning.outcome);
      else (planning.planned.templates.length > 0 ? withTemplates : plain).push(planning.planned);
    }
    return { plain, withTemplates, refusals };
  }

  async deleteUsers(pins: readonly string[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    if (pins.length === 0) return [];
    const outcomes: UserWriteOutcome[] = [];
    await withDeviceDisabled(this.client, this.tuning.disableSec, async () => {
      const known = await this.readUsers();
      const present = pins.map((pin) => known.byPin.get(pin)).filter((u): u is ZkUserRecord => u !== undefined);
      const fingers = present.length > 0 ? await this.fingersOf(new Set(present.map((u) => u.uid))) : new Map<number, number[]>();
      for (const pin of pins) {
        const user = known.byPin.get(pin);
        // a PIN the terminal does not hold is already what was asked for
        const outcome: UserWriteOutcome = user ? await this.deleteOne(user, fingers.get(user.uid) ?? [], known) : { pin, ok: true };
        outcomes.push(outcome);
        progress?.(outcomes.length, pins.length, outcome);
      }
      await this.client.command(CMD.REFRESHDATA);
    });
    return outcomes;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  // -------------------------------------------------------------------------------------------

  private async readUsers(progress?: UsersProgress): Promise<Known> {
    const sizes = await readSizes(this.client);
    const count = sizes.users ?? 0;
    const dataset = await this.client.readDataset(CMD.USERTEMP_RRQ, FCT.USER, (received, total) => {
      if (total > 0) progress?.(Math.floor((count * received) / total), count);
    });
    const table = decoded('the user table', () => decodeUserTable(dataset, count));
    const byPin = new Map(table.users.map((u) => [u.pin, u]));
    const nextUid = table.users.reduce((max, u) => Math.max(max, u.uid), 0) + 1;
    progress?.(table.users.length, table.users.length);
    return { recordSize: table.recordSize ?? (this.client.kind === 'tcp' ? 72 : 28), byPin, nextUid };
  }

  private plan(item: UserWithTemplates, known: Known): Planning {
    const { user, templates } = item;
    const pin = user.pin;
    for (const t of templates) {
      if (t.pin !== pin) return { outcome: refused(pin, `a template of PIN ${t.pin} was given with user ${pin}`, 'GW_ERR_USERS_USER_INVALID') };
      if (t.kind !== 'finger') return { outcome: refused(pin, `a ${t.kind} template: zk-tcp terminals take fingerprint templates only over port 4370 (pyzk #140)`, 'GW_ERR_USERS_USER_INVALID') };
      if (t.algorithm !== this.fingerAlgorithm) {
        return { outcome: refused(pin, `a ${t.algorithm} template; the terminal's algorithm is ${this.fingerAlgorithm ?? 'not reported (~ZKFPVersion)'}`, 'GW_ERR_USERS_ALGORITHM_MISMATCH') };
      }
      if (!t.valid) return { outcome: refused(pin, `finger ${t.index} is marked invalid; the upload cannot carry the mark`, 'GW_ERR_USERS_USER_INVALID') };
    }
    const existing = known.byPin.get(pin);
    const uid = existing?.uid ?? known.nextUid;
    if (uid > 0xffff) return { outcome: refused(pin, 'the terminal has no free user number left (65535)') };
    const record: ZkUserRecord = { ...user, uid };
    const upload = templates.map((t) => ({ uid, finger: t.index, data: t.data }));
    try {
      // encoding now refuses what does not fit before anything is sent
      const bytes = templates.length > 0 ? encodeUpload([record], upload, known.recordSize).length : encodeUserRecord(record, known.recordSize).length;
      if (!existing) known.nextUid++;
      return { planned: { record, templates: upload, uploadBytes: bytes } };
    } catch (error) {
      if (error instanceof UserFitError) return { outcome: refused(pin, error.message, 'GW_ERR_USERS_USER_INVALID') };
      throw error;
    }
  }

  private *batches(planned: Planned[]): Generator<Planned[]> {
    let batch: Planned[] = [];
    let bytes = 0;
    for (const p of planned) {
      if (batch.length > 0 && (batch.length >= this.tuning.batchUsers || bytes + p.uploadBytes > this.tuning.batchBytes)) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(p);
      bytes += p.uploadBytes;
    }
    if (batch.length > 0) yield batch;
  }

  /** Re-arms the disable timeout before each step, and stops when the caller aborted. */
  private async rearm(): Promise<void> {
    this.signal.throwIfAborted();
    await this.client.command(CMD.DISABLEDEVICE, encodeU32(this.tuning.disableSec), 'CMD_DISABLEDEVICE');
  }

  /** CMD_USER_WRQ, then CMD_REFRESHDATA (zk-protocol "Set User Info"). */
  private async writeOne(p: Planned, known: Known): Promise<UserWriteOutcome> {
    const reply = await this.client.request(CMD.USER_WRQ, encodeUserRecord(p.record, known.recordSize));
    if (reply.command !== CMD.ACK_OK) return refused(p.record.pin, `the terminal answered CMD_USER_WRQ with ${answerName(reply.command)}`);
    await this.client.command(CMD.REFRESHDATA);
    known.byPin.set(p.record.pin, p.record);
    return { pin: p.record.pin, ok: true };
  }

  /** One upload (PREPARE_DATA, DATA…, `_CMD_SAVE_USERTEMPS`, REFRESHDATA); a refused batch is retried user by user. */
  private async upload(batch: Planned[], known: Known): Promise<UserWriteOutcome[]> {
    const bytes = encodeUpload(batch.map((p) => p.record), batch.flatMap((p) => p.templates), known.recordSize);
    const answer = await this.send(bytes);
    if (answer === CMD.ACK_OK) {
      await this.client.command(CMD.REFRESHDATA);
      for (const p of batch) known.byPin.set(p.record.pin, p.record);
      return batch.map((p) => ({ pin: p.record.pin, ok: true }));
    }
    if (batch.length > 1) {
      this.log.info({ users: batch.length, answer: answerName(answer) }, 'zk upload refused; writing its users one by one');
      const outcomes: UserWriteOutcome[] = [];
      for (const p of batch) outcomes.push(...(await this.upload([p], known)));
      return outcomes;
    }
    return [refused(batch[0]?.record.pin ?? '', `the terminal answered the users-and-templates upload with ${answerName(answer)}`)];
  }

  /** Sends an upload buffer and asks the terminal to save it; resolves with the command that answered. */
  private async send(bytes: Buffer): Promise<number> {
    await this.client.request(CMD.FREE_DATA);
    const prepared = await this.client.request(CMD.PREPARE_DATA, encodeU32(bytes.length));
    if (prepared.command !== CMD.ACK_OK) return prepared.command;
    for (let at = 0; at < bytes.length; at += UPLOAD.CHUNK_BYTES) {
      const reply = await this.client.request(CMD.DATA, bytes.subarray(at, at + UPLOAD.CHUNK_BYTES));
      if (reply.command !== CMD.ACK_OK) return reply.command;
    }
    const saved = await this.client.request(CMD.SAVE_USERTEMPS, encodeSaveUserTemps());
    await this.client.request(CMD.FREE_DATA);
    return saved.command;
  }

  /** The fingers each of `uids` has on the terminal (read from the template table). */
  private async fingersOf(uids: Set<number>): Promise<Map<number, number[]>> {
    const dataset = await this.client.readDataset(CMD.DB_RRQ, FCT.FINGERTMP);
    const fingers = new Map<number, number[]>();
    for (const e of decoded('the template table', () => decodeTemplateTable(dataset))) if (uids.has(e.uid)) fingers.set(e.uid, [...(fingers.get(e.uid) ?? []), e.finger]);
    return fingers;
  }

  /** Deletes the user's templates (pyzk delete_user_template: by PIN over TCP, by uid over UDP), then the user. */
  private async deleteOne(user: ZkUserRecord, fingers: number[], known: Known): Promise<UserWriteOutcome> {
    await this.rearm();
    for (const finger of fingers) {
      const reply = this.client.kind === 'tcp'
        ? await this.client.request(CMD.DEL_USER_TEMP, encodeDeleteTemplateByPin(user.pin, finger))
        : await this.client.request(CMD.DELETE_USERTEMP, encodeDeleteTemplate(user.uid, finger));
      if (reply.command !== CMD.ACK_OK) return refused(user.pin, `the terminal answered the delete of finger ${finger} with ${answerName(reply.command)}; the user is kept`);
    }
    const reply = await this.client.request(CMD.DELETE_USER, encodeDeleteUser(user.uid));
    if (reply.command !== CMD.ACK_OK) return refused(user.pin, `the terminal answered CMD_DELETE_USER with ${answerName(reply.command)}`);
    known.byPin.delete(user.pin);
    return { pin: user.pin, ok: true };
  }
}

/** Runs a decode; a table that does not decode fails the call with a GatewayError carrying the reason's code. */
function decoded<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw new GatewayError(codeOf(error, 'GW_ERR_DEVICE_PROTOCOL'), `${what} does not decode: ${errorMessage(error)}`, { cause: error });
  }
}
