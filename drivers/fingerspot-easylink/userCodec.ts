// Pure codec of the EasyLink bridge's users side: /user/all/paging replies in, /user/set and
// /user/del form bodies out (keys in tables.ts, each with its source).
// Invariants:
// - Every reply is validated with zod; a body that is not JSON or not of the reply's shape throws
//   DecodeError (`fingerspot-json` / `fingerspot-shape`); a user or template that does not validate
//   is a UserRowError and the rest of the page stays usable.
// - PINs stay strings (leading zeros kept). Template bytes are base64 in, Buffer out, and back.
// - The form is URL-encoded as a whole, so a template's `+` goes out as `%2B` (the guide's samples
//   replace it by hand: an unencoded `+` would reach the bridge as a space).
// - Algorithm: `finger:<alg_ver>` for every template. The SDK puts fingers and faces in the same
//   `Template` list and documents nothing that tells them apart, so none is called a face.
import { z } from 'zod';
import { UserEncodeError, type TemplateRecord, type TerminalUser } from '../../src/users/user.js';
import { DecodeError } from '../../src/util/errors.js';
import { encodeForm } from './codec.js';
import { NO_DATA_MESSAGES, USER_SET_KEYS } from './tables.js';

export interface UserRowError {
  index: number;
  message: string;
}

export interface EasyLinkUser {
  user: TerminalUser;
  templates: TemplateRecord[];
}

export type UserPageReply =
  | { kind: 'users'; users: EasyLinkUser[]; errors: UserRowError[]; /** more pages follow */ isSession: boolean | undefined }
  | { kind: 'no-data' }
  | { kind: 'failed'; message: string };

const PIN_RULE = /^[0-9A-Za-z]{1,24}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const intLike = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,9}$/).transform(Number)]);
const text = z.union([z.string(), z.number().transform(String)]);

const templateSchema = z.looseObject({
  pin: text.optional(),
  idx: intLike.refine((n) => n <= 15, 'idx above 15'),
  alg_ver: intLike,
  template: z.string().regex(BASE64, 'template is not base64'),
});

const userSchema = z.looseObject({
  PIN: text.refine((p) => PIN_RULE.test(p), 'PIN is not 1-24 letters or digits'),
  Name: text.default('').refine((n) => n.length <= 64, 'Name over 64 characters'),
  RFID: text.default('').refine((c) => /^\d*$/.test(c), 'RFID is not decimal digits'),
  Password: text.default('').refine((p) => p.length <= 16, 'Password over 16 characters'),
  Privilege: intLike.refine((n) => n <= 255, 'Privilege above 255').default(0),
  Template: z.array(z.unknown()).default([]),
});

const pageSchema = z.looseObject({
  Result: z.boolean(),
  IsSession: z.boolean().optional(),
  message: z.string().optional(),
  Data: z.array(z.unknown()).optional(),
});

function issueOf(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'row'}: ${issue.message}` : 'unexpected shape';
}

function decodeUser(value: unknown): EasyLinkUser | string {
  const parsed = userSchema.safeParse(value);
  if (!parsed.success) return issueOf(parsed.error);
  const u = parsed.data;
  const user: TerminalUser = { pin: u.PIN, name: u.Name, privilege: u.Privilege, card: /^0*$/.test(u.RFID) ? '' : u.RFID, password: u.Password, group: 1 };
  const templates: TemplateRecord[] = [];
  for (const [i, t] of u.Template.entries()) {
    const tp = templateSchema.safeParse(t);
    if (!tp.success) return `Template.${i}.${issueOf(tp.error)}`;
    if (tp.data.pin !== undefined && tp.data.pin !== u.PIN) return `Template.${i}: pin ${tp.data.pin} is not the user's ${u.PIN}`;
    templates.push({ pin: u.PIN, kind: 'finger', index: tp.data.idx, algorithm: `finger:${tp.data.alg_ver}`, valid: true, data: Buffer.from(tp.data.template, 'base64') });
  }
  return { user, templates };
}

/** A `/user/all/paging` reply: users with their templates, per-user errors, and whether pages follow. */
export function decodeUserPage(body: string): UserPageReply {
  let json: unknown;
  try {
    json = JSON.parse(body.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new DecodeError('fingerspot-json', `reply is not JSON: ${(error as Error).message}`);
  }
  const parsed = pageSchema.safeParse(json);
  if (!parsed.success) throw new DecodeError('fingerspot-shape', `user/all/paging reply: ${issueOf(parsed.error)}`);
  const reply = parsed.data;
  if (!reply.Result) {
    const message = reply.message?.trim() ?? '';
    if (NO_DATA_MESSAGES.includes(message.toLowerCase() as (typeof NO_DATA_MESSAGES)[number])) return { kind: 'no-data' };
    return { kind: 'failed', message: message || 'Result:false without a message' };
  }
  const users: EasyLinkUser[] = [];
  const errors: UserRowError[] = [];
  (reply.Data ?? []).forEach((value, index) => {
    const user = decodeUser(value);
    if (typeof user === 'string') errors.push({ index, message: user });
    else users.push(user);
  });
  return { kind: 'users', users, errors, isSession: reply.IsSession };
}

function algVerOf(template: TemplateRecord): string {
  const m = /^finger:(\d{1,9})$/.exec(template.algorithm);
  if (!m) throw new UserEncodeError(`a ${template.kind} template of ${template.algorithm} has no EasyLink alg_ver`);
  return m[1]!;
}

/**
 * The `/user/set` form: sn first, then the guide's keys; `tmp` the JSON list of templates with
 * string values, as the vendor sample builds it (`{"pin","idx","alg_ver","template"}`).
 */
export function encodeUserSet(serial: string, user: TerminalUser, templates: readonly TemplateRecord[]): string {
  if (!PIN_RULE.test(user.pin)) throw new UserEncodeError(`PIN ${JSON.stringify(user.pin.slice(0, 30))} is not 1-24 letters or digits`);
  if (!/^\d*$/.test(user.card)) throw new UserEncodeError('the card number is not decimal digits');
  const tmp = templates.map((t) => {
    if (t.index < 0 || t.index > 15) throw new UserEncodeError(`template index ${t.index} is not 0-15`);
    if (t.data.length === 0) throw new UserEncodeError('an empty template');
    return { pin: user.pin, idx: String(t.index), alg_ver: algVerOf(t), template: t.data.toString('base64') };
  });
  const k = USER_SET_KEYS;
  return encodeForm(serial, {
    [k.pin]: user.pin, [k.name]: user.name, [k.password]: user.password, [k.card]: user.card, [k.privilege]: String(user.privilege), [k.templates]: JSON.stringify(tmp),
  });
}

/** The `/user/del` form: sn, pin. */
export function encodeUserDel(serial: string, pin: string): string {
  if (!PIN_RULE.test(pin)) throw new UserEncodeError(`PIN ${JSON.stringify(pin.slice(0, 30))} is not 1-24 letters or digits`);
  return encodeForm(serial, { [USER_SET_KEYS.pin]: pin });
}
