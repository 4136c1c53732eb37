// The simulated ZK SOAP terminal's users and fingerprint templates, and its answers to the users
// calls (GetAllUserInfo, GetUserInfo, SetUserInfo, DeleteUser, GetUserTemplate, SetUserTemplate,
// DeleteTemplate, RefreshDB, GetOption ~ZKFPVersion), in the shapes of the public sources
// (drivers/zk-soap/tables.ts).
// Invariants:
// - SetUserInfo adds a user every time, as real terminals do (tad-php README, pablodanielrey
//   ZkSoftware.java "lo duplica"): a client that does not DeleteUser first makes duplicates, and
//   the tests see them.
// - `<PIN>` arguments name the PIN2 (the user id); each user also has an internal PIN, 1, 2, ….
// - SetUserTemplate takes a template only for an existing user, with `Size` equal to its decoded
//   bytes, a finger 0-9, and (on a 10.0 terminal) the 10.0 mark: tad-php saw a VX 10.0 terminal
//   freeze on a 9.0 template; the simulator refuses it with Result 0 instead (synthetic answer).
// - Seeded templates are deterministic bytes (not real fingerprints), with the 10.0 mark when the
//   algorithm is 10 or not answered (a terminal that keeps ~ZKFPVersion to itself still holds 10.0 templates).
import { createHash } from 'node:crypto';

export interface SimSoapUser {
  internalPin: number;
  pin: string;
  name: string;
  password: string;
  group: number;
  privilege: number;
  card: string;
}

export interface SimSoapTemplate {
  pin: string;
  fingerId: number;
  valid: boolean;
  data: Buffer;
}

export interface UserTableOptions {
  /** users 1..n */
  users: number;
  /** templates per seeded user: 0, 1, 2, or 'mixed' (1 or 2, alternating) */
  templatesPerUser: 0 | 1 | 2 | 'mixed';
  /** what GetOption ~ZKFPVersion answers; null: the option is not answered (Result 0) */
  fingerAlgorithm: string | null;
}

type Arg = Record<string, unknown>;
export type Answer = { root: string; rows: string[] };

const ok = (call: string, information = 'Successfully!'): Answer => ({ root: `${call}Response`, rows: [resultRow(true, information)] });
const refused = (call: string, information = 'Fail!'): Answer => ({ root: `${call}Response`, rows: [resultRow(false, information)] });
const noData = (call: string): Answer => refused(call, 'No data!');

function resultRow(success: boolean, information: string): string {
  return `<Row><Result>${success ? 1 : 0}</Result><Information>${information}</Information></Row>`;
}

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const value = (arg: Arg, name: string): string => (typeof arg[name] === 'string' || typeof arg[name] === 'number' ? String(arg[name]) : '');

/** Deterministic template bytes for a seeded finger: 400-1400 bytes, the 10.0 mark when asked. */
export function seedTemplate(pin: string, fingerId: number, algorithm: string | null): Buffer {
  const size = 400 + (createHash('sha256').update(`${pin}/${fingerId}/size`).digest().readUInt16BE(0) % 1000);
  const chunks: Buffer[] = [];
  for (let i = 0; chunks.length * 32 < size; i++) chunks.push(createHash('sha256').update(`${pin}/${fingerId}/${i}`).digest());
  const data = Buffer.concat(chunks).subarray(0, size);
  if (algorithm === '10') data.write('SS21', 2, 'latin1');
  else if (data.subarray(2, 6).toString('latin1') === 'SS21') data[2] = 0;
  return data;
}

export class SoapUserTable {
  readonly users: SimSoapUser[] = [];
  readonly templates: SimSoapTemplate[] = [];
  private nextInternal = 1;

  constructor(readonly o: UserTableOptions) {
    for (let u = 1; u <= o.users; u++) {
      const pin = String(u);
      this.add({ pin, name: `Pegawai ${u}${u === 1 ? ' Jos\u00e9' : ''}`, password: u % 7 === 0 ? String(1000 + u) : '', group: 1, privilege: u === 1 ? 14 : 0, card: u % 5 === 0 ? String(4_000_000 + u) : '' });
      const count = o.templatesPerUser === 'mixed' ? 1 + (u % 2) : o.templatesPerUser;
      for (let f = 0; f < count; f++) this.templates.push({ pin, fingerId: f * 5, valid: true, data: seedTemplate(pin, f * 5, o.fingerAlgorithm ?? '10') });
    }
  }

  add(user: Omit<SimSoapUser, 'internalPin'>): SimSoapUser {
    const row = { internalPin: this.nextInternal++, ...user };
    this.users.push(row);
    return row;
  }

  /** The answer to a users call, or undefined when `call` is not one. */
  handle(call: string, arg: Arg): Answer | undefined {
    switch (call) {
      case 'GetAllUserInfo':
        return this.userRows(call, this.users);
      case 'GetUserInfo': {
        const pin = value(arg, 'PIN');
        return this.userRows(call, pin === 'All' || pin === '' ? this.users : this.users.filter((u) => u.pin === pin));
      }
      case 'SetUserInfo':
        return this.setUser(arg);
      case 'DeleteUser':
        return this.deleteUser(value(arg, 'PIN'));
      case 'GetUserTemplate':
        return this.templateRows(value(arg, 'PIN'), value(arg, 'FingerID'));
      case 'SetUserTemplate':
        return this.setTemplate(arg);
      case 'DeleteTemplate': {
        const before = this.templates.length;
        this.removeTemplates((t) => t.pin === value(arg, 'PIN'));
        return before === this.templates.length ? refused(call) : ok(call);
      }
      case 'RefreshDB':
        return ok(call);
      case 'GetOption':
        if (value(arg, 'Name') !== '~ZKFPVersion') return undefined;
        return this.o.fingerAlgorithm === null ? refused(call) : { root: 'GetOptionResponse', rows: [`<Row><Value>~ZKFPVersion=${this.o.fingerAlgorithm}</Value></Row>`] };
      default:
        return undefined;
    }
  }

  private userRows(call: string, users: SimSoapUser[]): Answer {
    if (users.length === 0) return call === 'GetAllUserInfo' ? { root: `${call}Response`, rows: [] } : noData(call);
    return {
      root: `${call}Response`,
      rows: users.map((u) => `<Row><PIN>${u.internalPin}</PIN><Name>${xml(u.name)}</Name><Password>${xml(u.password)}</Password><Group>${u.group}</Group><Privilege>${u.privilege}</Privilege><Card>${u.card || '0'}</Card><PIN2>${u.pin}</PIN2><TZ1>0</TZ1><TZ2>0</TZ2><TZ3>0</TZ3></Row>`),
    };
  }

  private setUser(arg: Arg): Answer {
    const pin = value(arg, 'PIN2');
    const group = Number(value(arg, 'Group') || '1');
    const privilege = Number(value(arg, 'Privilege') || '0');
    if (!/^[0-9A-Za-z]{1,24}$/.test(pin) || !Number.isInteger(group) || !Number.isInteger(privilege)) return refused('SetUserInfo');
    const card = value(arg, 'Card');
    this.add({ pin, name: value(arg, 'Name'), password: value(arg, 'Password'), group, privilege, card: /^0*$/.test(card) ? '' : card });
    return ok('SetUserInfo');
  }

  private deleteUser(pin: string): Answer {
    const before = this.users.length;
    for (let i = this.users.length - 1; i >= 0; i--) if (this.users[i]!.pin === pin) this.users.splice(i, 1);
    if (before === this.users.length) return refused('DeleteUser');
    this.removeTemplates((t) => t.pin === pin);
    return ok('DeleteUser');
  }

  private templateRows(pin: string, finger: string): Answer {
    const rows = this.templates.filter((t) => (pin === 'All' || t.pin === pin) && (finger === '' || finger === 'All' || String(t.fingerId) === finger));
    if (rows.length === 0) return noData('GetUserTemplate');
    const internal = (p: string): string => String(this.users.find((u) => u.pin === p)?.internalPin ?? p);
    return {
      root: 'GetUserTemplateResponse',
      rows: rows.map((t) => `<Row><PIN>${internal(t.pin)}</PIN><FingerID>${t.fingerId}</FingerID><Size>${t.data.length}</Size><Valid>${t.valid ? 1 : 0}</Valid><Template>${t.data.toString('base64')}</Template></Row>`),
    };
  }

  private setTemplate(arg: Arg): Answer {
    const pin = value(arg, 'PIN');
    const fingerId = Number(value(arg, 'FingerID'));
    const encoded = value(arg, 'Template');
    const data = Buffer.from(encoded, 'base64');
    const sizeOk = Number(value(arg, 'Size')) === data.length && data.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(encoded);
    const markOk = this.o.fingerAlgorithm !== '10' || data.subarray(2, 6).toString('latin1') === 'SS21';
    if (!this.users.some((u) => u.pin === pin) || !Number.isInteger(fingerId) || fingerId < 0 || fingerId > 9 || !sizeOk || !markOk) return refused('SetUserTemplate');
    this.removeTemplates((t) => t.pin === pin && t.fingerId === fingerId);
    this.templates.push({ pin, fingerId, valid: value(arg, 'Valid') !== '0', data });
    return ok('SetUserTemplate');
  }

  private removeTemplates(match: (t: SimSoapTemplate) => boolean): void {
    for (let i = this.templates.length - 1; i >= 0; i--) if (match(this.templates[i]!)) this.templates.splice(i, 1);
  }
}
