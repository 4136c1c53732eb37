// The fingerspot-easylink users side (UsersSession, src/devices/facets.ts): users and templates
// through the bridge's /user/all/paging session, one /user/set per user, /user/del. Every call is
// an HTTP request of its own and none touches /scanlog/new, so it runs beside the daemon.
// Invariants:
// - One paging pass reads the whole table (users with their templates) and is kept for the
//   session: listUsers, readTemplates and algorithms answer from it; a write or delete drops it.
//   The pass ends when the bridge says IsSession false or sends no rows, bounded by `maxPages`.
// - /user/set carries a user with the templates it sends; what the bridge does to the fingers it
//   is not sent is not documented, so the session sends the target's other fingers with it
//   ("templates not carried are left as they are").
// - Templates go only to a terminal of the same `alg_ver` (DEVINFO `Algoritma`, else the one
//   version every template on it shows); a user whose templates differ is not touched at all.
// - A `Result:false` is that user's outcome; any other failure is a lost connection: the write
//   rejects, and `progress(done)` has said which users, in order, were answered before it.
// - Template bytes and passwords never reach a log line.
import type { Logger } from 'pino';
import type { UsersAccess, UsersProgress, UsersSession, UserWriteOutcome } from '../../src/devices/facets.js';
import { UserEncodeError, type TemplateKind, type TemplateRecord, type TerminalUser, type UserWithTemplates } from '../../src/users/user.js';
import type { ErrorCode } from '../../src/util/catalogue.js';
import { GatewayError } from '../../src/util/errors.js';
import { EasyLinkClient } from './client.js';
import type { FingerspotConfig } from './config.js';
import { DEVINFO_ALGORITHM_KEY, USER_PAGE_SIZE } from './tables.js';
import { encodeUserDel, encodeUserSet, type EasyLinkUser } from './userCodec.js';

const fail = (pin: string, code: ErrorCode, message: string): UserWriteOutcome => ({ pin, ok: false, code, message });

export const easyLinkUsersAccess: UsersAccess<FingerspotConfig> = {
  async open(config, options) {
    const client = EasyLinkClient.forDevice(config);
    const info = await client.info(options.signal);
    if (info.kind === 'failed') throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `bridge ${client.address} answered /dev/info for sn ${config.serial} with Result:false (${info.message}): is the SN in FService's Device.ini?`);
    const stated = info.fields[DEVINFO_ALGORITHM_KEY];
    const algorithm = typeof stated === 'string' && /^\d{1,9}$/.test(stated.trim()) ? `finger:${stated.trim()}` : undefined;
    return new EasyLinkUsersSession({ client, log: options.logger, signal: options.signal, maxPages: config.maxPages, statedAlgorithm: algorithm });
  },
};

export interface EasyLinkUsersOptions {
  client: EasyLinkClient;
  log: Logger;
  signal: AbortSignal;
  maxPages: number;
  /** `finger:<Algoritma>` when /dev/info says it */
  statedAlgorithm: string | undefined;
}

export class EasyLinkUsersSession implements UsersSession {
  readonly serial: string;
  private table: EasyLinkUser[] | undefined;

  constructor(private readonly o: EasyLinkUsersOptions) {
    this.serial = o.client.serial;
  }

  async algorithms(): Promise<Partial<Record<TemplateKind, string>>> {
    if (this.o.statedAlgorithm) return { finger: this.o.statedAlgorithm };
    const seen = new Set((await this.read()).flatMap((u) => u.templates.map((t) => t.algorithm)));
    return seen.size === 1 ? { finger: [...seen][0]! } : {};
  }

  async listUsers(progress?: UsersProgress): Promise<TerminalUser[]> {
    return (await this.read(progress)).map((u) => u.user);
  }

  async readTemplates(pins?: readonly string[], progress?: UsersProgress): Promise<TemplateRecord[]> {
    const wanted = pins ? new Set(pins) : undefined;
    return (await this.read(progress)).filter((u) => !wanted || wanted.has(u.user.pin)).flatMap((u) => u.templates);
  }

  async writeUsers(users: readonly UserWithTemplates[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    const held = new Map((await this.read()).map((u) => [u.user.pin, u.templates]));
    const terminal = users.some((u) => u.templates.length > 0) ? (await this.algorithms()).finger : undefined;
    this.table = undefined;
    const outcomes: UserWriteOutcome[] = [];
    for (const { user, templates } of users) {
      outcomes.push(await this.writeOne(user, templates, { terminal, held: held.get(user.pin) ?? [] }));
      progress?.(outcomes.length, users.length, outcomes[outcomes.length - 1]);
    }
    return outcomes;
  }

  async deleteUsers(pins: readonly string[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    this.table = undefined;
    const outcomes: UserWriteOutcome[] = [];
    for (const pin of pins) {
      let form: string;
      try {
        form = encodeUserDel(this.serial, pin);
      } catch (error) {
        outcomes.push(fail(pin, 'GW_ERR_USERS_USER_INVALID', (error as Error).message));
        continue;
      }
      const reply = await this.o.client.userDel(form, this.o.signal);
      outcomes.push(reply.kind === 'ok' ? { pin, ok: true } : fail(pin, 'GW_ERR_USERS_WRITE_FAILED', `/user/del answered Result:false (${reply.message}): no such user?`));
      progress?.(outcomes.length, pins.length, outcomes[outcomes.length - 1]);
    }
    return outcomes;
  }

  async close(): Promise<void> {
    this.table = undefined;
  }

  private async writeOne(user: TerminalUser, templates: readonly TemplateRecord[], on: { terminal: string | undefined; held: TemplateRecord[] }): Promise<UserWriteOutcome> {
    const mismatch = templates.find((t) => t.kind !== 'finger' || t.algorithm !== on.terminal);
    if (mismatch) {
      const why = on.terminal === undefined ? "the terminal's alg_ver is unknown" : `the terminal's is ${on.terminal}`;
      return fail(user.pin, 'GW_ERR_USERS_ALGORITHM_MISMATCH', `a ${mismatch.kind} template of ${mismatch.algorithm}: ${why}; the user was not written`);
    }
    const sent = new Set(templates.map((t) => t.index));
    const kept = on.held.filter((t) => !sent.has(t.index));
    let form: string;
    try {
      form = encodeUserSet(this.serial, user, [...templates, ...kept]);
    } catch (error) {
      if (error instanceof UserEncodeError) return fail(user.pin, 'GW_ERR_USERS_USER_INVALID', error.message);
      throw error;
    }
    const reply = await this.o.client.userSet(form, this.o.signal);
    return reply.kind === 'ok' ? { pin: user.pin, ok: true } : fail(user.pin, 'GW_ERR_USERS_WRITE_FAILED', `/user/set answered Result:false (${reply.message})`);
  }

  /** The whole table through one paging pass, kept until a write. */
  private async read(progress?: UsersProgress): Promise<EasyLinkUser[]> {
    if (this.table) {
      progress?.(this.table.length, this.table.length);
      return this.table;
    }
    const users: EasyLinkUser[] = [];
    for (let page = 1; page <= this.o.maxPages; page++) {
      this.o.signal.throwIfAborted();
      const reply = await this.o.client.userPage(USER_PAGE_SIZE, this.o.signal);
      if (reply.kind === 'failed') throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `bridge /user/all/paging answered Result:false: ${reply.message}`);
      if (reply.kind === 'no-data') return (this.table = users);
      for (const e of reply.errors) this.o.log.warn({ code: 'GW_ERR_DECODE', index: e.index, reason: e.message }, 'a /user/all/paging user does not decode; that user is left out');
      users.push(...reply.users);
      progress?.(users.length, undefined);
      if (reply.isSession !== true || reply.users.length + reply.errors.length === 0) {
        this.table = users;
        return users;
      }
    }
    throw new GatewayError('GW_ERR_DOWNLOAD_INCOMPLETE', `/user/all/paging still had pages after maxPages (${this.o.maxPages}); raise maxPages`);
  }
}
