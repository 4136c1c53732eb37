// The test double of a terminal's user side: a UsersSession (src/devices/facets.ts) over an
// in-memory table of users and templates, for the users engine and the `users` CLI tests. Real
// terminals are the zk-tcp, zk-soap and EasyLink sessions; this one only keeps the seam's contract:
// - writeUsers creates or replaces each user and the templates it carries, leaves other templates
//   as they are, answers per user, and refuses (per user) a template whose algorithm is not the
//   table's for its kind, as a terminal of another algorithm version would be unable to match it;
// - `failPins` are refused per user; after `dropAfter` users answered the connection is lost
//   (the call rejects); each answer is passed with the progress;
// - `onFirstWrite` runs before the first user of the first write or delete of the session is applied.
import { readFileSync, writeFileSync } from 'node:fs';
import type { UsersProgress, UsersSession, UserWriteOutcome } from '../../src/devices/facets.js';
import type { TemplateKind, TemplateRecord, TerminalUser, UserWithTemplates } from '../../src/users/user.js';
import { GatewayError } from '../../src/util/errors.js';

export interface UsersTable {
  serial?: string;
  algorithms: Partial<Record<TemplateKind, string>>;
  users: TerminalUser[];
  templates: TemplateRecord[];
}

export interface TableSessionOptions {
  failPins?: readonly string[];
  dropAfter?: number;
  onFirstWrite?: () => void;
  /** after each change (the CLI's family keeps the table in a file) */
  save?: (table: UsersTable) => void;
}

export function user(pin: string, fields: Partial<TerminalUser> = {}): TerminalUser {
  return { pin, name: `User ${pin}`, privilege: 0, card: '', password: '', group: 1, ...fields };
}

export function template(pin: string, index: number, algorithm = 'finger:10', fill = index + 1, kind: TemplateKind = 'finger'): TemplateRecord {
  return { pin, kind, index, algorithm, valid: true, data: Buffer.alloc(32, (pin.charCodeAt(pin.length - 1) * 7 + fill) & 0xff) };
}

export class TableSession implements UsersSession {
  readonly serial: string | undefined;
  /** every write and delete call, with the pins it carried */
  readonly calls: { action: 'write' | 'delete'; pins: string[] }[] = [];
  private answered = 0;
  private wrote = false;

  constructor(
    readonly table: UsersTable,
    private readonly options: TableSessionOptions = {},
  ) {
    this.serial = table.serial;
  }

  async algorithms(): Promise<Partial<Record<TemplateKind, string>>> {
    return { ...this.table.algorithms };
  }

  async listUsers(progress?: UsersProgress): Promise<TerminalUser[]> {
    progress?.(this.table.users.length, this.table.users.length);
    return this.table.users.map((u) => ({ ...u }));
  }

  async readTemplates(pins?: readonly string[], progress?: UsersProgress): Promise<TemplateRecord[]> {
    const out = this.table.templates.filter((t) => !pins || pins.includes(t.pin)).map((t) => ({ ...t, data: Buffer.from(t.data) }));
    progress?.(out.length, out.length);
    return out;
  }

  private begin(): void {
    if (!this.wrote) this.options.onFirstWrite?.();
    this.wrote = true;
  }

  private answer(): void {
    if (this.options.dropAfter !== undefined && this.answered >= this.options.dropAfter) throw new GatewayError('GW_ERR_DEVICE_UNREACHABLE', 'connection reset by the terminal');
    this.answered += 1;
  }

  private apply(item: UserWithTemplates): UserWriteOutcome {
    const { user: u, templates } = item;
    if (this.options.failPins?.includes(u.pin)) return { pin: u.pin, ok: false, code: 'GW_ERR_USERS_WRITE_FAILED', message: 'the terminal refused the user (its table is full)' };
    const foreign = templates.find((t) => this.table.algorithms[t.kind] !== t.algorithm);
    if (foreign) return { pin: u.pin, ok: false, code: 'GW_ERR_DEVICE_PROTOCOL', message: `a ${foreign.algorithm} template on a ${this.table.algorithms[foreign.kind] ?? 'no'} terminal` };
    const at = this.table.users.findIndex((held) => held.pin === u.pin);
    if (at === -1) this.table.users.push({ ...u });
    else this.table.users[at] = { ...u };
    for (const t of templates) {
      this.table.templates = this.table.templates.filter((held) => !(held.pin === t.pin && held.kind === t.kind && held.index === t.index));
      this.table.templates.push({ ...t, data: Buffer.from(t.data) });
    }
    return { pin: u.pin, ok: true };
  }

  async writeUsers(users: readonly UserWithTemplates[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    this.calls.push({ action: 'write', pins: users.map((u) => u.user.pin) });
    this.begin();
    const outcomes: UserWriteOutcome[] = [];
    for (const item of users) {
      this.answer();
      const outcome = this.apply(item);
      outcomes.push(outcome);
      this.options.save?.(this.table);
      progress?.(outcomes.length, users.length, outcome);
    }
    return outcomes;
  }

  async deleteUsers(pins: readonly string[], progress?: UsersProgress): Promise<UserWriteOutcome[]> {
    this.calls.push({ action: 'delete', pins: [...pins] });
    this.begin();
    const outcomes: UserWriteOutcome[] = [];
    for (const pin of pins) {
      this.answer();
      const had = this.table.users.some((u) => u.pin === pin);
      this.table.users = this.table.users.filter((u) => u.pin !== pin);
      this.table.templates = this.table.templates.filter((t) => t.pin !== pin);
      const outcome: UserWriteOutcome = had ? { pin, ok: true } : { pin, ok: false, code: 'GW_ERR_USERS_WRITE_FAILED', message: 'no such user' };
      outcomes.push(outcome);
      this.options.save?.(this.table);
      progress?.(outcomes.length, pins.length, outcome);
    }
    return outcomes;
  }

  async close(): Promise<void> {}
}

interface TableFile {
  serial?: string;
  algorithms: Partial<Record<TemplateKind, string>>;
  users: TerminalUser[];
  templates: (Omit<TemplateRecord, 'data'> & { data: string })[];
}

export function saveTable(file: string, table: UsersTable): void {
  const json: TableFile = { ...table, templates: table.templates.map((t) => ({ ...t, data: t.data.toString('base64') })) };
  writeFileSync(file, JSON.stringify(json));
}

export function loadTable(file: string): UsersTable {
  const json = JSON.parse(readFileSync(file, 'utf8')) as TableFile;
  return { ...json, templates: json.templates.map((t) => ({ ...t, data: Buffer.from(t.data, 'base64') })) };
}
