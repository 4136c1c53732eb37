// What the users-side tests of the families compare: a terminal's users (by PIN) and its
// templates as one comparable line each (bytes as hex), read through a UsersSession.
import type { UsersSession } from '../../src/devices/facets.js';
import type { TemplateRecord, TerminalUser, UserWithTemplates } from '../../src/users/user.js';

/** PINs in numeric order where they are numbers ('2' before '10'). */
export const byPin = <T extends { pin: string }>(a: T, b: T): number => a.pin.localeCompare(b.pin, 'en', { numeric: true });

/** One template as a line: whose, which slot, which algorithm, valid, the bytes. */
export const templateLine = (t: TemplateRecord): string => `${t.pin}/${t.kind}/${t.index}/${t.algorithm}/${t.valid}/${t.data.toString('hex')}`;

export async function usersSnapshot(session: UsersSession): Promise<{ users: TerminalUser[]; templates: string[] }> {
  return { users: (await session.listUsers()).sort(byPin), templates: (await session.readTemplates()).map(templateLine).sort() };
}

/** Each user with the templates of its PIN, as a write carries them. */
export function withTemplates(users: readonly TerminalUser[], templates: readonly TemplateRecord[]): UserWithTemplates[] {
  return users.map((user) => ({ user, templates: templates.filter((t) => t.pin === user.pin) }));
}
