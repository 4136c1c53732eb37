// One simulated Fingerspot terminal's users and templates behind the EasyLink bridge, and its
// answers to /user/all/paging, /user/set and /user/del, in the shapes of the EasyLink SDK User Guide
// (drivers/fingerspot-easylink/tables.ts).
// Invariants:
// - /user/all/paging is a session like the scanlog's: each call returns the next `limit` users
//   with IsSession true while more follow; the last page ends the session.
// - /user/set creates or replaces the user with exactly the templates `tmp` carries (a choice: the
//   guide does not say what happens to fingers not sent; this is the harsher reading, so a client
//   that drops them is caught). It takes the guide's keys (sn, pin, nama, pwd, rfid, priv, tmp)
//   and refuses (Result:false) a template whose alg_ver is not the terminal's.
// - /user/del of a PIN the terminal does not hold answers Result:false (synthetic: the guide shows
//   only the shape).
// - Seeded templates are deterministic bytes, not fingerprints, starting with the 10.0 mark when
//   alg_ver is 10 (as the guide's alg_ver 10 sample does).
import { createHash } from 'node:crypto';

export interface SimEasyLinkTemplate {
  idx: number;
  algVer: string;
  data: Buffer;
}

export interface SimEasyLinkUser {
  pin: string;
  name: string;
  password: string;
  rfid: string;
  privilege: number;
  templates: SimEasyLinkTemplate[];
}

export interface EasyLinkUserTableOptions {
  users?: number;
  /** templates of each seeded user: 0, 1, 2 or 'mixed' (1 or 2) */
  templatesPerUser?: 0 | 1 | 2 | 'mixed';
  /** the terminal's alg_ver (default '10') */
  algVer?: string;
}

type Reply = Record<string, unknown>;

function seedTemplate(pin: string, idx: number, algVer: string): Buffer {
  const size = 600 + (createHash('sha256').update(`el/${pin}/${idx}`).digest().readUInt16BE(0) % 900);
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < size; i++) parts.push(createHash('sha256').update(`el/${pin}/${idx}/${i}`).digest());
  const data = Buffer.concat(parts).subarray(0, size);
  if (algVer === '10') data.write('LSSS21', 0, 'latin1');
  return data;
}

export class EasyLinkUserTable {
  readonly users: SimEasyLinkUser[] = [];
  readonly algVer: string;
  /** next user of the paging session; undefined when none is open */
  private cursor: number | undefined;

  constructor(o: EasyLinkUserTableOptions = {}) {
    this.algVer = o.algVer ?? '10';
    for (let u = 1; u <= (o.users ?? 0); u++) {
      const pin = String(u);
      const count = o.templatesPerUser === 'mixed' ? 1 + (u % 2) : (o.templatesPerUser ?? 0);
      this.users.push({
        pin, name: `Pegawai ${u}`, password: u % 7 === 0 ? String(1000 + u) : '', rfid: u % 5 === 0 ? String(2_000_000 + u) : '', privilege: 0,
        templates: Array.from({ length: count }, (_, f) => ({ idx: f * 5, algVer: this.algVer, data: seedTemplate(pin, f * 5, this.algVer) })),
      });
    }
  }

  page(limit: number): Reply {
    const from = this.cursor ?? 0;
    const rows = this.users.slice(from, from + limit);
    const more = from + rows.length < this.users.length;
    this.cursor = more ? from + rows.length : undefined;
    return {
      IsSession: more, Result: true,
      Data: rows.map((u) => ({
        PIN: u.pin, Name: u.name, RFID: u.rfid || '0', Password: u.password, Privilege: u.privilege,
        Template: u.templates.map((t) => ({ pin: u.pin, idx: t.idx, alg_ver: Number(t.algVer), template: t.data.toString('base64') })),
      })),
    };
  }

  set(form: URLSearchParams): Reply {
    const pin = form.get('pin') ?? '';
    const privilege = Number(form.get('priv') ?? '0');
    const templates = parseTmp(form.get('tmp') ?? '[]', pin);
    if (!/^[0-9A-Za-z]{1,24}$/.test(pin) || !Number.isInteger(privilege) || !templates || templates.some((t) => t.algVer !== this.algVer)) return { Result: false };
    const rfid = form.get('rfid') ?? '';
    const user: SimEasyLinkUser = { pin, name: form.get('nama') ?? '', password: form.get('pwd') ?? '', rfid: /^0*$/.test(rfid) ? '' : rfid, privilege, templates };
    const at = this.users.findIndex((u) => u.pin === pin);
    if (at >= 0) this.users[at] = user;
    else this.users.push(user);
    return { Result: true };
  }

  del(form: URLSearchParams): Reply {
    const at = this.users.findIndex((u) => u.pin === (form.get('pin') ?? ''));
    if (at < 0) return { Result: false };
    this.users.splice(at, 1);
    return { Result: true };
  }
}

function parseTmp(text: string, pin: string): SimEasyLinkTemplate[] | undefined {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  const out: SimEasyLinkTemplate[] = [];
  for (const item of list as Record<string, unknown>[]) {
    const encoded = String(item.template ?? '');
    if (String(item.pin) !== pin || !/^\d{1,2}$/.test(String(item.idx)) || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
    out.push({ idx: Number(item.idx), algVer: String(item.alg_ver), data: Buffer.from(encoded, 'base64') });
  }
  return out;
}
