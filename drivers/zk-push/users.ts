// The zk-push users side (UsersSession, src/devices/facets.ts), inside the daemon: a push terminal
// only talks to the daemon's listener, so every read and write is a command queued on the running
// driver (commands.ts) and answered on the terminal's next polls. Reads queue DATA QUERY USERINFO /
// FINGERTMP PIN=… (one per user) and take the USER / FP lines the terminal uploads to OPERLOG before its next poll;
// writes queue DATA UPDATE USERINFO then one DATA UPDATE FINGERTMP per template.
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
// - Templates are written only when their algorithm equals the one the terminal's INFO reports
//   (`~ZKFPVersion`); unknown on either side is a mismatch, and such a user is not touched at all
//   (GW_ERR_USERS_ALGORITHM_MISMATCH), as zk-soap does. Templates read from a terminal that reports
//   no version are labelled `finger:unknown`, which equals no terminal's version.
// - Template bytes and passwords never reach a log line: only PINs, counts and codes do.
import type { Logger } from 'pino';
import type { UsersProgress, UsersSession, UserWriteOutcome } from '../../src/devices/facets.js';
import { UserEncodeError, type TemplateKind, type TemplateRecord, type TerminalUser, type UserWithTemplates } from '../../src/users/user.js';
import type { ErrorCode } from '../../src/util/catalogue.js';
import { errorMessage, GatewayError } from '../../src/util/errors.js';
import type { CommandResult } from './codec.js';
import { RETURN_CODES } from './tables.js';
import { encodeFingerQuery, encodeFingerUpdate, encodeUserDelete, encodeUserQuery, encodeUserUpdate, type OperlogUsers } from './userCodec.js';

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
const fail = (pin: string, code: ErrorCode, message: string): UserWriteOutcome => ({ pin, ok: false, code, message });

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
    let version = fingerVersionOf(this.terminal.terminalInfo());
    if (version === undefined) {
      // INFO is queued after every handshake; ask once more when its answer is not in yet
      const settled = await this.sendAll(['INFO']);
      this.throwIfLost(settled);
      version = fingerVersionOf(this.terminal.terminalInfo());
    }
    return version === undefined ? {} : { finger: `finger:${version}` };
  }

  async listUsers(progress?: UsersProgress): Promise<TerminalUser[]> {
    const { users } = await this.query([encodeUserQuery()]);
    const byPin = new Map(users.map((u) => [u.pin, u]));
    progress?.(byPin.size, byPin.size);
    return [...byPin.values()];
  }

  async readTemplates(pins?: readonly string[], progress?: UsersProgress): Promise<TemplateRecord[]> {
    const algorithm = (await this.algorithms()).finger ?? UNKNOWN_FINGER;
    // the SDK's form names a PIN (`DATA QUERY FINGERTMP PIN=%d`): one query per user, in replies of up to 200
    const which = pins ?? (await this.listUsers()).map((u) => u.pin);
    if (which.length === 0) return [];
    const { fingers } = await this.query(which.map((pin) => encodeFingerQuery(pin)));
    const wanted = new Set(which);
    const byKey = new Map(fingers.filter((f) => wanted.has(f.pin)).map((f) => [`${f.pin}:${f.fid}`, f]));
    const out = [...byKey.values()].map((f): TemplateRecord => ({ pin: f.pin, kind: 'finger', index: f.fid, algorithm, valid: f.valid, data: f.data }));
    progress?.(out.length, out.length);
    return out;
  }

  async writeUsers(users: readonly UserWithTemplates[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    const terminal = users.some((u) => u.templates.length > 0) ? (await this.algorithms()).finger : undefined;
    // every user's commands are queued at once: the terminal takes them in replies of up to 200
    const planned = users.map((entry) => this.plan(entry, terminal));
    const sent = planned.map((p) => ('commands' in p ? { pin: p.pin, settled: this.sendAll(p.commands) } : p));
    return this.outcomes(sent, progress, (pin, results) => this.judge(pin, results, false));
  }

  async deleteUsers(pins: readonly string[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    const sent = pins.map((pin): Planned => {
      try {
        return { pin, settled: this.sendAll([encodeUserDelete(pin)]) };
      } catch (error) {
        return fail(pin, 'GW_ERR_USERS_USER_INVALID', errorMessage(error));
      }
    });
    return this.outcomes(sent, progress, (pin, results) => this.judge(pin, results, true));
  }

  async close(): Promise<void> {
    // nothing held: the commands live in the driver's queue and end with their timeouts
  }

  private plan(entry: UserWithTemplates, terminal: string | undefined): UserWriteOutcome | { pin: string; commands: string[] } {
    const { user, templates } = entry;
    const mismatch = templates.find((t) => t.kind !== 'finger' || terminal === undefined || t.algorithm !== terminal);
    if (mismatch) {
      const why = terminal === undefined ? "the terminal's algorithm is unknown (its INFO reports no ~ZKFPVersion)" : `the terminal's is ${terminal}`;
      return fail(user.pin, 'GW_ERR_USERS_ALGORITHM_MISMATCH', `a ${mismatch.kind} template of ${mismatch.algorithm}: ${why}; the user was not written`);
    }
    try {
      return { pin: user.pin, commands: [encodeUserUpdate(user), ...templates.map((t) => encodeFingerUpdate({ ...t, pin: user.pin }))] };
    } catch (error) {
      if (error instanceof UserEncodeError) return fail(user.pin, 'GW_ERR_USERS_USER_INVALID', error.message);
      throw error;
    }
  }

  private judge(pin: string, results: CommandResult[], deleting: boolean): UserWriteOutcome {
    for (const [i, r] of results.entries()) {
      if (r.returnCode === 0 || (deleting && r.returnCode === -10)) continue;
      const what = deleting ? 'DATA DELETE USERINFO' : i === 0 ? 'DATA UPDATE USERINFO' : `DATA UPDATE FINGERTMP (template ${i} of ${results.length - 1})`;
      const meaning = RETURN_CODES[String(r.returnCode)] ?? 'a code the protocol documents do not list';
      const state = deleting || i === 0 ? 'the user is as it was' : 'the user is written, its templates only in part';
      return fail(pin, 'GW_ERR_USERS_WRITE_FAILED', `${what} answered Return=${r.returnCode ?? '(none)'} (${meaning}); ${state}`);
    }
    return { pin, ok: true };
  }

  /** In order; progress after each user; rejects at the first user whose terminal was lost. */
  private async outcomes(sent: Planned[], progress: UsersProgress | undefined, judge: (pin: string, results: CommandResult[]) => UserWriteOutcome): Promise<UserWriteOutcome[]> {
    const out: UserWriteOutcome[] = [];
    for (const item of sent) {
      let outcome: UserWriteOutcome;
      if ('settled' in item) {
        const settled = await item.settled;
        this.throwIfLost(settled);
        outcome = judge(item.pin, settled.map((s) => (s as { result: CommandResult }).result));
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

  /** Queues DATA QUERY commands and collects the OPERLOG lines the terminal uploads until its next poll after the results. */
  private async query(commands: string[]): Promise<OperlogUsers> {
    const collector = this.terminal.collectUsers();
    try {
      const settled = await this.sendAll(commands);
      this.throwIfLost(settled);
      for (const [i, s] of settled.entries()) {
        const code = (s as { result: CommandResult }).result.returnCode;
        // -4 and -1: no data (PDF Table 2.7; ADMS.md): an empty table
        if (code !== 0 && code !== -4 && code !== -1) throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `the terminal answered ${commands[i]} with Return=${code ?? '(none)'} (${RETURN_CODES[String(code)] ?? 'unlisted'})`);
      }
      // the terminal pushes a query's answer before it polls again
      if (!(await this.terminal.nextPoll(this.timeoutMs))) throw new GatewayError('GW_ERR_DEVICE_TIMEOUT', `the terminal did not poll again within ${this.timeoutMs} ms after answering ${commands.join(', ')}`);
      const { collected } = collector;
      for (const e of collected.errors) this.log.warn({ code: 'GW_ERR_DECODE', reason: 'operlog-user', line: e.line, excerpt: e.excerpt }, 'a USER or FP line of the terminal does not decode; left out');
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

type Planned = UserWriteOutcome | { pin: string; settled: Promise<Settled[]> };

function fingerVersionOf(info: Readonly<Record<string, string>>): string | undefined {
  const v = info.ZKFPVersion?.trim();
  return v && /^\d{1,3}$/.test(v) ? v : undefined;
}
