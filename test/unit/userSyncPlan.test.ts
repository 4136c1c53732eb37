// What a userSync round plans, pure: conflicts (another non-empty name or card; an empty one is
// none) and what each member takes from the others — users it lacks, templates of empty slots of
// users it holds under its own record — never a conflicting PIN, never a slot it holds.
import { describe, expect, it } from 'vitest';
import type { UsersSession } from '../../src/devices/facets.js';
import { findConflicts, sourceFor } from '../../src/commands/userSync.js';
import type { TemplateRecord, TerminalUser } from '../../src/users/user.js';
import { template, user } from '../helpers/usersTable.js';

const member = (deviceId: string, users: TerminalUser[], templates: TemplateRecord[] = [], algorithms = { finger: 'finger:10' }) => ({
  deviceId,
  session: undefined as unknown as UsersSession, // sourceFor and findConflicts read no session
  algorithms,
  set: { users, templates },
});

describe('findConflicts', () => {
  it('reports a PIN whose members disagree on a non-empty name or card, not one with an empty field', () => {
    const a = member('a', [user('1', { name: 'Ani', card: '' }), user('2', { name: 'Budi', card: '5' }), user('3', { name: 'Citra' })]);
    const b = member('b', [user('1', { name: 'Ani', card: '77' }), user('2', { name: 'Budi S', card: '6' }), user('3', { name: '' })]);
    expect(findConflicts([a, b])).toEqual([
      { pin: '2', fields: ['name', 'card'], devices: [{ deviceId: 'a', name: 'Budi', card: '5' }, { deviceId: 'b', name: 'Budi S', card: '6' }] },
    ]);
  });
});

describe('sourceFor', () => {
  it('gives a member the users it lacks with their templates, and a held user only the slots it has empty', () => {
    const a = member('a', [user('1'), user('2')], [template('1', 0, 'finger:10', 1), template('1', 6, 'finger:10', 2), template('2', 0, 'finger:10', 3)]);
    const b = member('b', [user('1', { password: '99' })], [template('1', 0, 'finger:10', 9)]);
    const toB = sourceFor(b, [a], new Set(), true);
    expect(toB.users).toEqual(expect.arrayContaining([user('1', { password: '99' }), user('2')]));
    expect(toB.users).toHaveLength(2);
    // finger 0 of user 1 is held on b (other bytes): never overwritten
    expect(toB.templates).toEqual(expect.arrayContaining([template('1', 6, 'finger:10', 2), template('2', 0, 'finger:10', 3)]));
    expect(toB.templates).toHaveLength(2);
    expect(sourceFor(b, [a], new Set(), false)).toEqual({ users: [user('2')], templates: [] });
  });

  it('never carries a conflicting PIN, nor a held user\'s template of another algorithm', () => {
    const a = member('a', [user('1'), user('2')], [template('1', 3, 'finger:9'), template('2', 0)]);
    const b = member('b', [user('1')], [], { finger: 'finger:10' });
    expect(sourceFor(b, [a], new Set(['2']), true)).toEqual({ users: [], templates: [] });
  });
});
