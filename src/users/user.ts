// The users-and-templates model (DESIGN.md "Users and templates"): what a terminal holds about the
// people who may punch at it, in one shape for every family, and the `users/v1` backup line.
// Invariants:
// - A PIN is a string exactly as the terminal holds it: leading zeros are kept, never parsed as a number.
// - Template bytes are personal data (UU PDP No. 27/2022): they live in `TemplateRecord.data` and in
//   backups the operator asked for, and nowhere else — never in a log line, a sink, the API or the page.
//   `describeUser` is what may be shown.
// - Templates move only between equal algorithm versions (`TemplateRecord.algorithm`); the family
//   reads the version from the terminal (`~ZKFPVersion`, EasyLink `alg_ver`, a PUSH terminal's
//   FaceVersion or BIODATA MajorVer.MinorVer) and never guesses one.
import { z } from 'zod';
import { PIN_PATTERN } from '../punch/edgeRules.js';

export type TemplateKind = 'finger' | 'face' | 'palm';

/** One user as a terminal holds it, without templates. */
export interface TerminalUser {
  /** the user id the terminal writes into every punch: the `pin` of punch/v1 */
  pin: string;
  name: string;
  /** 0 user, 14 admin (ZK numbering; other families map to it) */
  privilege: number;
  /** card number, decimal; '' when none */
  card: string;
  /** the terminal's keypad password; a secret: never logged or shown, '' when none */
  password: string;
  /** access group; 1 when the family has none */
  group: number;
}

/** One biometric template. */
export interface TemplateRecord {
  pin: string;
  kind: TemplateKind;
  /** finger number 0–9; for a face, the template's number within it (PUSH FACE FID 0–11, BIODATA Index); 0 for a palm */
  index: number;
  /** the algorithm version as the family names it (`finger:10`, `face:7`); copied only between equal ones */
  algorithm: string;
  valid: boolean;
  data: Buffer;
}

/** A user with the templates a write carries. */
export interface UserWithTemplates {
  user: TerminalUser;
  templates: TemplateRecord[];
}

/** What may be shown of a user anywhere (list, logs, API, page): never the password or template bytes. */
export interface UserSummary {
  pin: string;
  name: string;
  privilege: number;
  card: string;
  templates: Partial<Record<TemplateKind, number>>;
}

export function describeUser(user: TerminalUser, templates: readonly TemplateRecord[] = []): UserSummary {
  const counts: Partial<Record<TemplateKind, number>> = {};
  for (const t of templates) if (t.pin === user.pin) counts[t.kind] = (counts[t.kind] ?? 0) + 1;
  return { pin: user.pin, name: user.name, privilege: user.privilege, card: user.card, templates: counts };
}

// the punch edge rule's PIN: a user whose PIN a punch could carry can be backed up and restored
const pin = z.string().regex(PIN_PATTERN, "a PIN is 1 to 24 letters, digits, '.', '_' or '-'");

export const terminalUserSchema = z.object({
  pin,
  name: z.string().max(64),
  privilege: z.number().int().min(0).max(255),
  card: z.string().regex(/^[0-9]*$/, 'a card number is decimal digits'),
  password: z.string().max(16),
  group: z.number().int().min(0).max(255),
});

const templateLine = z.object({
  kind: z.enum(['finger', 'face', 'palm']),
  index: z.number().int().min(0).max(15),
  algorithm: z.string().min(1),
  valid: z.boolean(),
  /** base64 */
  data: z.string().min(1),
});

/** One line of a `users/v1` JSONL backup (`users export`, the backups of `copy` and `import`). */
export const usersV1LineSchema = z.discriminatedUnion('type', [
  z.object({
    schema: z.literal('users/v1'),
    type: z.literal('header'),
    deviceId: z.string(),
    serial: z.string().optional(),
    exportedAt: z.string(),
    algorithms: z.record(z.string(), z.string()),
    users: z.number().int().min(0),
  }),
  terminalUserSchema.extend({
    schema: z.literal('users/v1'),
    type: z.literal('user'),
    templates: z.array(templateLine).default([]),
  }),
]);
export type UsersV1Line = z.infer<typeof usersV1LineSchema>;

/** A user or template a family's codec cannot send to its terminal as it is (the session reports it as that user's GW_ERR_USERS_USER_INVALID). */
export class UserEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserEncodeError';
  }
}
