// The zk-soap users side (UsersSession, src/devices/facets.ts): the user table through
// GetAllUserInfo, templates through GetUserTemplate per user, writes through DeleteUser +
// SetUserInfo + SetUserTemplate, then RefreshDB. Every call is a connection of its own, so it runs
// beside the daemon (`alongsideDaemon: true`).
// Invariants:
// - A user's write starts with DeleteUser: SetUserInfo creates a user every time (tad-php README,
//   pablodanielrey ZkSoftware.java), so writing a user twice never makes two. The templates the
//   target held for that user and the write does not carry are read first and written back
//   (DeleteUser takes them): "templates not carried are left as they are".
// - Templates are written only when their algorithm equals the terminal's; a user whose templates
//   do not match is not touched at all (GW_ERR_USERS_ALGORITHM_MISMATCH).
// - A `Result 0` answer is that user's outcome; any other failure (network, timeout, an answer that
//   is no SOAP) is a lost connection: writeUsers rejects, and `progress(done)` has said which users,
//   in order, were answered before it.
// - Template bytes and passwords never reach a log line: only PINs, counts and codes do.
import type { Logger } from 'pino';
import type { UsersAccess, UsersProgress, UsersSession, UserWriteOutcome } from '../../src/devices/facets.js';
import { UserEncodeError, type TemplateKind, type TemplateRecord, type TerminalUser, type UserWithTemplates } from '../../src/users/user.js';
import type { ErrorCode } from '../../src/util/catalogue.js';
import { errorMessage } from '../../src/util/errors.js';
import { SoapClient } from './client.js';
import { decodeResult, isNoData, type SoapArg } from './codec.js';
import type { ZkSoapConfig } from './config.js';
import { ALL_PINS, type SoapCall } from './tables.js';
import {
  decodeAlgorithmOption, decodeTemplateRows, decodeUserRows, encodeAlgorithmOption, encodeGetTemplates, encodePinArg,
  encodeSetTemplate, encodeSetUserInfo, templateAlgorithmOf, type SoapTemplate,
} from './userCodec.js';

type Outcome = UserWriteOutcome;

const fail = (pin: string, code: ErrorCode, message: string): Outcome => ({ pin, ok: false, code, message });

export const zkSoapUsersAccess: UsersAccess<ZkSoapConfig> = {
  async open(config, options) {
    const session = new ZkSoapUsersSession(SoapClient.forDevice(config), options.logger, options.signal);
    await session.connect(config.serial);
    return session;
  },
};

export class ZkSoapUsersSession implements UsersSession {
  /** the terminal's own answer to GetOption ~ZKFPVersion; null: it gave none */
  private optionAlgorithm: string | null | undefined;
  /** the one version the terminal's templates show; null: none or several */
  private derivedAlgorithm: string | null | undefined;

  constructor(private readonly client: SoapClient, private readonly log: Logger, private readonly signal: AbortSignal) {}

  /** the terminal's SN (GetOption ~SerialNumber, as `probe` reads it), else the entry's `serial` */
  serial: string | undefined;

  /** One read that a terminal answers only with the right comm key (a wrong one rejects here), and the serial. */
  async connect(configured?: string): Promise<void> {
    await this.client.call('GetAllUserInfo', [{ name: 'PIN2', value: ALL_PINS, type: 'integer' }], this.signal);
    const answer = await this.client.ask('GetOption', [{ name: 'Name', value: '~SerialNumber', type: 'string' }], this.signal);
    const value = answer.doc.rows.map((r) => r.value).find((v): v is string => typeof v === 'string' && v !== '');
    const reported = value?.replace(/^~?SerialNumber=/i, '');
    this.serial = reported && /^[\x21-\x7e]{1,64}$/.test(reported) ? reported : configured;
  }

  async algorithms(): Promise<Partial<Record<TemplateKind, string>>> {
    const option = await this.fingerOption();
    if (option) return { finger: option };
    if (this.derivedAlgorithm === undefined) await this.readTemplates();
    return this.derivedAlgorithm ? { finger: this.derivedAlgorithm } : {};
  }

  async listUsers(progress?: UsersProgress): Promise<TerminalUser[]> {
    const answer = await this.client.call('GetAllUserInfo', [{ name: 'PIN2', value: ALL_PINS, type: 'integer' }], this.signal);
    if (isNoData(answer.doc)) return [];
    const { items, errors } = decodeUserRows(answer.doc);
    for (const e of errors) this.log.warn({ code: 'GW_ERR_DECODE', row: e.row, reason: e.message }, 'a GetAllUserInfo row does not decode; that user is left out');
    progress?.(items.length, items.length);
    return items;
  }

  async readTemplates(pins?: readonly string[], progress?: UsersProgress): Promise<TemplateRecord[]> {
    const which = pins ?? (await this.listUsers()).map((u) => u.pin);
    const option = await this.fingerOption();
    const out: TemplateRecord[] = [];
    const seen = new Set<string>();
    for (const [i, pin] of which.entries()) {
      for (const t of await this.templatesOf(pin)) {
        const algorithm = option ?? templateAlgorithmOf(t.data);
        seen.add(algorithm);
        out.push({ pin: t.pin, kind: 'finger', index: t.index, algorithm, valid: t.valid, data: t.data });
      }
      progress?.(i + 1, which.length);
    }
    // derived only when every template the terminal holds says the same version
    if (option === undefined && pins === undefined) this.derivedAlgorithm = seen.size === 1 ? [...seen][0]! : null;
    return out;
  }

  async writeUsers(users: readonly UserWithTemplates[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    const terminal = users.some((u) => u.templates.length > 0) ? (await this.algorithms()).finger : undefined;
    const outcomes: Outcome[] = [];
    try {
      for (const entry of users) {
        outcomes.push(await this.writeOne(entry, terminal));
        progress?.(outcomes.length, users.length, outcomes[outcomes.length - 1]);
      }
    } finally {
      if (outcomes.some((o) => o.ok)) await this.refresh();
    }
    return outcomes;
  }

  async deleteUsers(pins: readonly string[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    const outcomes: Outcome[] = [];
    try {
      for (const pin of pins) {
        outcomes.push(await this.deleteOne(pin));
        progress?.(outcomes.length, pins.length, outcomes[outcomes.length - 1]);
      }
    } finally {
      if (outcomes.some((o) => o.ok)) await this.refresh();
    }
    return outcomes;
  }

  async close(): Promise<void> {
    // nothing held: every call was a connection of its own
  }

  private async fingerOption(): Promise<string | undefined> {
    if (this.optionAlgorithm === undefined) {
      const answer = await this.client.ask('GetOption', encodeAlgorithmOption(), this.signal);
      const version = decodeAlgorithmOption(answer.doc);
      this.optionAlgorithm = version ? `finger:${version}` : null;
      if (!version) this.log.info({ option: '~ZKFPVersion' }, 'the terminal does not answer GetOption ~ZKFPVersion; the algorithm is read from its templates');
    }
    return this.optionAlgorithm ?? undefined;
  }

  private async templatesOf(pin: string): Promise<SoapTemplate[]> {
    const answer = await this.client.ask('GetUserTemplate', encodeGetTemplates(pin), this.signal);
    if (isNoData(answer.doc)) return [];
    const { items, errors } = decodeTemplateRows(answer.doc, pin);
    for (const e of errors) this.log.warn({ code: 'GW_ERR_DECODE', pin, row: e.row, reason: e.message }, 'a GetUserTemplate row does not decode; that template is left out');
    return items;
  }

  private async writeOne(entry: UserWithTemplates, terminal: string | undefined): Promise<Outcome> {
    const { user, templates } = entry;
    const mismatch = templates.find((t) => t.kind !== 'finger' || t.algorithm !== terminal);
    if (mismatch) {
      const why = terminal === undefined ? "the terminal's algorithm is unknown" : `the terminal's is ${terminal}`;
      return fail(user.pin, 'GW_ERR_USERS_ALGORITHM_MISMATCH', `a ${mismatch.kind} template of ${mismatch.algorithm}: ${why}; the user was not written`);
    }
    let userArgs: SoapArg[];
    let carried: SoapArg[][];
    try {
      userArgs = encodeSetUserInfo(user);
      carried = templates.map((t) => encodeSetTemplate({ ...t, pin: user.pin }));
    } catch (error) {
      if (error instanceof UserEncodeError) return fail(user.pin, 'GW_ERR_USERS_USER_INVALID', error.message);
      throw error;
    }
    const carriedFingers = new Set(templates.map((t) => t.index));
    const kept = (await this.templatesOf(user.pin)).filter((t) => !carriedFingers.has(t.index)).map((t) => encodeSetTemplate(t));
    await this.client.ask('DeleteUser', encodePinArg(user.pin), this.signal); // Result 0: there was none
    const refused = await this.refusal('SetUserInfo', userArgs);
    if (refused) return fail(user.pin, 'GW_ERR_USERS_WRITE_FAILED', `SetUserInfo refused (${refused}); the user was deleted first and is not on the terminal now`);
    for (const args of [...carried, ...kept]) {
      const no = await this.refusal('SetUserTemplate', args);
      if (no) return fail(user.pin, 'GW_ERR_USERS_WRITE_FAILED', `SetUserTemplate finger ${args[1]?.value} refused (${no}); the user is written, its templates only in part`);
    }
    return { pin: user.pin, ok: true };
  }

  private async deleteOne(pin: string): Promise<Outcome> {
    let args: SoapArg[];
    try {
      args = encodePinArg(pin);
    } catch (error) {
      return fail(pin, 'GW_ERR_USERS_USER_INVALID', errorMessage(error));
    }
    const refused = await this.refusal('DeleteUser', args);
    return refused ? fail(pin, 'GW_ERR_USERS_WRITE_FAILED', `DeleteUser refused (${refused}): no such user on the terminal?`) : { pin, ok: true };
  }

  /** undefined when the terminal answered Result 1, else its Information text. */
  private async refusal(call: SoapCall, args: SoapArg[]): Promise<string | undefined> {
    const result = decodeResult((await this.client.ask(call, args, this.signal)).doc);
    if (result?.ok) return undefined;
    return JSON.stringify((result?.information ?? 'no Result row').slice(0, 80));
  }

  /** RefreshDB after writes (pablodanielrey ZkSoftware.java: "según la documentación hay que refrescar la base"); best effort. */
  private async refresh(): Promise<void> {
    try {
      const no = await this.refusal('RefreshDB', []);
      if (no) this.log.warn({ code: 'GW_ERR_USERS_WRITE_FAILED', call: 'RefreshDB', answer: no }, 'RefreshDB refused after the writes; the terminal may show the new users only after a restart');
    } catch (error) {
      this.log.warn({ code: 'GW_ERR_DEVICE_UNREACHABLE', call: 'RefreshDB', err: errorMessage(error) }, 'RefreshDB failed after the writes');
    }
  }
}
