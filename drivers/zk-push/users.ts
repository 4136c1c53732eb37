// The zk-push users side (UsersSession, src/devices/facets.ts), inside the daemon: a push terminal
// only talks to the daemon's listener, so every read and write is a command queued on the running
// driver (commands.ts) and answered on the terminal's next polls. Reads queue DATA QUERY USERINFO /
// FINGERTMP PIN=… (one per user) and, on a terminal that stores faces, DATA QUERY BIODATA Type=…⇥Pin=…
// or DATA QUERY FACE PIN=…, and take the USER / FP / FACE lines the terminal uploads to OPERLOG and
// the BIODATA lines of table=BIODATA before its next poll; writes queue DATA UPDATE USERINFO then one
// DATA UPDATE FINGERTMP per finger and one DATA UPDATE BIODATA (or FACE) per face template.
// Reached only inside the daemon (definition.ts: throughDaemon); the `users` CLI sends its jobs
// there (src/commands/usersJobs.ts).
// Invariants:
// - Each command has the session's timeout: a terminal that does not poll, or takes a command and
//   reports nothing, fails it with GW_ERR_DEVICE_TIMEOUT; writeUsers and deleteUsers then reject
//   (the terminal is lost), after progress has told each user answered before. Every result
//   promise is observed from the moment it is queued, so a late failure is never unhandled.
// - A user's outcome is its commands' Return codes: all 0 is ok, any other is that user's
//   GW_ERR_USERS_WRITE_FAILED with the code's meaning (tables.ts RETURN_CODES). A delete answered
//   -10 (no such PIN) is ok: the user is not on the terminal, which is what was asked.
// - Templates are written only when their algorithm equals the one the terminal's INFO reports for
//   their kind (`~ZKFPVersion` → `finger:<v>`; faces faceCodec.ts: `FaceVersion` → `face:<v>`,
//   BIODATA `face:vl|nir:<major>.<minor>` from MultiBioDataSupport and MultiBioVersion); unknown on
//   either side is a mismatch, and such a user is not touched at all (GW_ERR_USERS_ALGORITHM_MISMATCH),
//   as zk-soap does. Templates read from a terminal that reports no version are labelled
//   `finger:unknown` / `face:unknown`, which equal no terminal's version; a BIODATA face carries its own.
// - Faces go in the form the terminal stores them: BIODATA when its MultiBioDataSupport names a face
//   Type, else the FACE table when it reports FaceVersion. A terminal that refuses the face query
//   (-1004, -1002, …) is read without faces, and says so in a warning.
// - Template bytes and passwords never reach a log line: only PINs, counts and codes do.
import type { Logger } from 'pino';
import type { UsersProgress, UsersSession, UserWriteOutcome } from '../../src/devices/facets.js';
import { UserEncodeError, type TemplateKind, type TemplateRecord, type TerminalUser, type UserWithTemplates } from '../../src/users/user.js';
import type { ErrorCode } from '../../src/util/catalogue.js';
import { errorMessage, GatewayError } from '../../src/util/errors.js';
import type { CommandResult } from './codec.js';
import { RETURN_CODES } from './tables.js';
import { encodeFingerQuery, encodeFingerUpdate, encodeUserDelete, encodeUserQuery, encodeUserUpdate, type OperlogUsers } from './userCodec.js';
import {
  biodataFaceAlgorithm, encodeBiodataDelete, encodeBiodataQuery, encodeBiodataUpdate, encodeFaceDelete, encodeFaceQuery, encodeFaceUpdate, faceAlgorithmOf,
  faceCapabilityOf, type FaceCapability,
} from './faceCodec.js';

/** What the session needs of the running driver (ZkPushDriver). */
export interface PushUsersTerminal {
  readonly serial: string;
  queueCommand(command: string, timeoutMs: number): { id: string; result: Promise<CommandResult> };
  terminalInfo(): Readonly<Record<string, string>>;
  collectUsers(): { collected: OperlogUsers; stop(): void };
  nextPoll(timeoutMs: number): Promise<boolean>;
}

type Settled = { ok: true; result: CommandResult } | { ok: false; error: unknown };

const UNKNOWN_FINGER = 'finger:unknown';
const UNKNOWN_FACE = 'face:unknown';
/** Return codes of a query that mean an empty table (PDF Table 2.7; ADMS.md) */
const EMPTY = new Set([0, -4, -1]);
/** Return codes of a face delete that leave no face behind: none there, or no such table */
const NO_FACE_LEFT = new Set([0, -10, -4, -1, -1004]);
const fail = (pin: string, code: ErrorCode, message: string): UserWriteOutcome => ({ pin, ok: false, code, message });

/** What the terminal's INFO says of its templates. */
interface Capabilities {
  algorithms: Partial<Record<TemplateKind, string>>;
  face?: FaceCapability;
}

export class ZkPushUsersSession implements UsersSession {
  readonly serial: string;

  constructor(
    private readonly terminal: PushUsersTerminal,
    private readonly log: Logger,
    /** how long one command may wait for the terminal's poll and result */
    private readonly timeoutMs: number,
  ) {
    this.serial = terminal.serial;
  }

  async algorithms(): Promise<Partial<Record<TemplateKind, string>>> {
    return (await this.capabilities()).algorithms;
  }

  async listUsers(progress?: UsersProgress): Promise<TerminalUser[]> {
    const { users } = await this.query([encodeUserQuery()]);
    const byPin = new Map(users.map((u) => [u.pin, u]));
    progress?.(byPin.size, byPin.size);
    return [...byPin.values()];
  }

  async readTemplates(pins?: readonly string[], progress?: UsersProgress): Promise<TemplateRecord[]> {
    const { algorithms, face } = await this.capabilities();
    // the SDK's form names a PIN (`DATA QUERY FINGERTMP PIN=%d`): one query per user, in replies of up to 200
    const which = pins ?? (await this.listUsers()).map((u) => u.pin);
    if (which.length === 0) return [];
    const faceQueries = face ? which.map((pin) => (face.form === 'BIODATA' ? encodeBiodataQuery(face.type, pin) : encodeFaceQuery(pin))) : [];
    const collected = await this.query(which.map((pin) => encodeFingerQuery(pin)), faceQueries);
    const wanted = new Set(which);
    const byKey = new Map<string, TemplateRecord>();
    const keep = (t: TemplateRecord): void => {
      if (wanted.has(t.pin)) byKey.set(`${t.pin}:${t.kind}:${t.index}`, t);
    };
    const fingerAlgorithm = algorithms.finger ?? UNKNOWN_FINGER;
    for (const f of collected.fingers) keep({ pin: f.pin, kind: 'finger', index: f.fid, algorithm: fingerAlgorithm, valid: f.valid, data: f.data });
    // a FACE line carries no version: the terminal's FaceVersion is its algorithm, when it stores faces that way
    const faceTable = face?.form === 'FACE' ? (algorithms.face ?? UNKNOWN_FACE) : UNKNOWN_FACE;
    for (const f of collected.faces) keep({ pin: f.pin, kind: 'face', index: f.fid, algorithm: faceTable, valid: f.valid, data: f.data });
    for (const b of collected.biodata) {
      const algorithm = biodataFaceAlgorithm(b.type, b.majorVer, b.minorVer);
      if (algorithm) keep({ pin: b.pin, kind: 'face', index: b.index, algorithm, valid: b.valid, data: b.data });
    }
    const out = [...byKey.values()];
    progress?.(out.length, out.length);
    return out;
  }

  async writeUsers(users: readonly UserWithTemplates[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    const capabilities = users.some((u) => u.templates.length > 0) ? await this.capabilities() : { algorithms: {} };
    // every user's commands are queued at once: the terminal takes them in replies of up to 200
    const planned = users.map((entry) => this.plan(entry, capabilities));
    const sent = planned.map((p) => ('commands' in p ? { pin: p.pin, commands: p.commands, settled: this.sendAll(p.commands) } : p));
    return this.outcomes(sent, progress, false);
  }

  async deleteUsers(pins: readonly string[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    // the user's faces first, where the terminal stores them (DATA DELETE USERINFO takes them too on
    // the V5.8 protocol; older face firmware is sent the face delete on its own)
    const face = faceCapabilityOf(this.terminal.terminalInfo());
    const sent = pins.map((pin): Planned => {
      try {
        const faces = face === undefined ? [] : [face.form === 'BIODATA' ? encodeBiodataDelete(pin, face.type) : encodeFaceDelete(pin)];
        const commands = [...faces, encodeUserDelete(pin)];
        return { pin, commands, settled: this.sendAll(commands) };
      } catch (error) {
        return fail(pin, 'GW_ERR_USERS_USER_INVALID', errorMessage(error));
      }
    });
    return this.outcomes(sent, progress, true);
  }

  async close(): Promise<void> {
    // nothing held: the commands live in the driver's queue and end with their timeouts
  }

  /** The algorithms by kind and the face form, from the terminal's INFO (asked again when it has not answered one). */
  private async capabilities(): Promise<Capabilities> {
    let info = this.terminal.terminalInfo();
    if (fingerVersionOf(info) === undefined) {
      // INFO is queued after every handshake; ask once more when its answer is not in yet
      const settled = await this.sendAll(['INFO']);
      this.throwIfLost(settled);
      info = this.terminal.terminalInfo();
    }
    const finger = fingerVersionOf(info);
    const face = faceCapabilityOf(info);
    const faceAlgorithm = faceAlgorithmOf(face);
    return { algorithms: { ...(finger === undefined ? {} : { finger: `finger:${finger}` }), ...(faceAlgorithm === undefined ? {} : { face: faceAlgorithm }) }, ...(face ? { face } : {}) };
  }

  private plan(entry: UserWithTemplates, capabilities: Capabilities): UserWriteOutcome | { pin: string; commands: string[] } {
    const { user, templates } = entry;
    const { algorithms } = capabilities;
    const mismatch = templates.find((t) => algorithms[t.kind] === undefined || t.algorithm !== algorithms[t.kind]);
    if (mismatch) {
      const held = algorithms[mismatch.kind];
      const why = held === undefined ? `the terminal's ${mismatch.kind} algorithm is unknown (its INFO reports ${mismatch.kind === 'finger' ? 'no ~ZKFPVersion' : mismatch.kind === 'face' ? 'no FaceVersion or MultiBioVersion of a face Type' : 'none'})` : `the terminal's is ${held}`;
      return fail(user.pin, 'GW_ERR_USERS_ALGORITHM_MISMATCH', `a ${mismatch.kind} template of ${mismatch.algorithm}: ${why}; the user was not written`);
    }
    try {
      const fingers = templates.filter((t) => t.kind === 'finger').map((t) => encodeFingerUpdate({ ...t, pin: user.pin }));
      const faces = templates.filter((t) => t.kind === 'face').map((t) => faceUpdate({ ...t, pin: user.pin }, capabilities.face));
      return { pin: user.pin, commands: [encodeUserUpdate(user), ...fingers, ...faces] };
    } catch (error) {
      if (error instanceof UserEncodeError) return fail(user.pin, 'GW_ERR_USERS_USER_INVALID', error.message);
      throw error;
    }
  }

  private judge(pin: string, commands: readonly string[], results: CommandResult[], deleting: boolean): UserWriteOutcome {
    for (const [i, r] of results.entries()) {
      const command = commands[i] ?? '';
      const what = command.split(' ').slice(0, 3).join(' ');
      const isFaceDelete = deleting && i < results.length - 1;
      if (r.returnCode === 0 || (deleting && r.returnCode === -10) || (isFaceDelete && r.returnCode !== null && NO_FACE_LEFT.has(r.returnCode))) continue;
      const meaning = RETURN_CODES[String(r.returnCode)] ?? 'a code the protocol documents do not list';
      const shown = !deleting && i > 0 ? `${what} (template ${i} of ${results.length - 1})` : what;
      const state = deleting ? (isFaceDelete ? 'the user and its faces are as they were' : 'the user is as it was') : i === 0 ? 'the user is as it was' : 'the user is written, its templates only in part';
      return fail(pin, 'GW_ERR_USERS_WRITE_FAILED', `${shown} answered Return=${r.returnCode ?? '(none)'} (${meaning}); ${state}`);
    }
    return { pin, ok: true };
  }

  /** In order; progress after each user; rejects at the first user whose terminal was lost. */
  private async outcomes(sent: Planned[], progress: UsersProgress | undefined, deleting: boolean): Promise<UserWriteOutcome[]> {
    const out: UserWriteOutcome[] = [];
    for (const item of sent) {
      let outcome: UserWriteOutcome;
      if ('settled' in item) {
        const settled = await item.settled;
        this.throwIfLost(settled);
        outcome = this.judge(item.pin, item.commands, settled.map((s) => (s as { result: CommandResult }).result), deleting);
      } else {
        outcome = item;
      }
      out.push(outcome);
      progress?.(out.length, sent.length, outcome);
    }
    const failed = out.filter((o) => !o.ok).length;
    this.log.info({ serial: this.serial, users: out.length, failed }, 'zk-push users written through the command queue');
    return out;
  }

  /**
   * Queues DATA QUERY commands and collects the upload lines the terminal sends until its next poll
   * after the results. `optional` commands (the face queries) may be refused: the answer is then
   * read without them, and a warning says so.
   */
  private async query(commands: string[], optional: string[] = []): Promise<OperlogUsers> {
    const collector = this.terminal.collectUsers();
    try {
      const all = [...commands, ...optional];
      const settled = await this.sendAll(all);
      this.throwIfLost(settled);
      const refused = new Map<string, number>();
      for (const [i, s] of settled.entries()) {
        const code = (s as { result: CommandResult }).result.returnCode;
        if (code !== null && EMPTY.has(code)) continue;
        if (i < commands.length) throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `the terminal answered ${all[i]} with Return=${code ?? '(none)'} (${RETURN_CODES[String(code)] ?? 'unlisted'})`);
        refused.set(String(code), (refused.get(String(code)) ?? 0) + 1);
      }
      if (refused.size > 0) this.log.warn({ code: 'GW_ERR_DEVICE_PROTOCOL', serial: this.serial, refused: Object.fromEntries(refused), command: optional[0]?.split(' ').slice(0, 3).join(' ') }, 'the terminal refused face queries: its faces are read as none');
      // the terminal pushes a query's answer before it polls again
      if (!(await this.terminal.nextPoll(this.timeoutMs))) throw new GatewayError('GW_ERR_DEVICE_TIMEOUT', `the terminal did not poll again within ${this.timeoutMs} ms after answering ${commands.length + optional.length} queries`);
      const { collected } = collector;
      for (const e of collected.errors) this.log.warn({ code: 'GW_ERR_DECODE', reason: 'operlog-user', line: e.line, excerpt: e.excerpt }, 'a USER, FP, FACE or BIODATA line of the terminal does not decode; left out');
      return collected;
    } finally {
      collector.stop();
    }
  }

  private sendAll(commands: string[]): Promise<Settled[]> {
    return Promise.all(commands.map((c) => this.terminal.queueCommand(c, this.timeoutMs).result.then((result): Settled => ({ ok: true, result }), (error: unknown): Settled => ({ ok: false, error }))));
  }

  private throwIfLost(settled: Settled[]): void {
    const lost = settled.find((s): s is { ok: false; error: unknown } => !s.ok);
    if (lost) throw lost.error instanceof GatewayError ? lost.error : new GatewayError('GW_ERR_DEVICE_TIMEOUT', errorMessage(lost.error));
  }
}

/** One face template as the terminal's form has it: BIODATA (Type, version from its INFO) or the FACE table. */
function faceUpdate(t: TemplateRecord, face: FaceCapability | undefined): string {
  if (face?.form === 'BIODATA' && face.version) {
    return encodeBiodataUpdate({ pin: t.pin, no: 0, index: t.index, valid: t.valid, duress: false, type: face.type, majorVer: face.version.major, minorVer: face.version.minor, format: 0, data: t.data });
  }
  if (face?.form === 'FACE') return encodeFaceUpdate(t);
  // the algorithm check passed, so the terminal named a face algorithm: this is not reached
  throw new UserEncodeError(`face template ${t.index} of PIN ${t.pin}: the terminal stores no faces`);
}

type Planned = UserWriteOutcome | { pin: string; commands: string[]; settled: Promise<Settled[]> };

function fingerVersionOf(info: Readonly<Record<string, string>>): string | undefined {
  const v = (info.ZKFPVersion ?? info.FPVersion)?.trim();
  return v && /^\d{1,3}$/.test(v) ? v : undefined;
}
