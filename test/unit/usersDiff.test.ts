// The users diff (src/users/diff.ts) as a table: per case a source, a target, the target's
// algorithms and the options, and the outcome each PIN gets, what is written and what is deleted.
import { describe, expect, it } from 'vitest';
import { ALL_USER_FIELDS, diffUsers, type Algorithms, type DiffOptions, type SyncOutcome, type UserSet } from '../../src/users/diff.js';
import { template, user } from '../helpers/usersTable.js';

const FINGER10: Algorithms = { finger: 'finger:10' };
const COPY: DiffOptions = { fields: ALL_USER_FIELDS, templates: true, deleteMissing: false, overwriteConflicts: false };
const CSV: DiffOptions = { fields: ['name', 'card', 'privilege'], templates: false, deleteMissing: false, overwriteConflicts: false };

interface Case {
  name: string;
  source: UserSet;
  target: UserSet;
  algorithms?: Algorithms;
  options?: Partial<DiffOptions>;
  outcomes: Record<string, SyncOutcome>;
  /** pin → fields the change names (added, updated, overwritten) */
  fields?: Record<string, string[]>;
  /** pin → templates the write carries, as kind:index */
  writes: Record<string, string[]>;
  deletes?: string[];
  skipped?: Record<string, string[]>;
}

const set = (users: ReturnType<typeof user>[], templates: ReturnType<typeof template>[] = []): UserSet => ({ users, templates });

const CASES: Case[] = [
  {
    name: 'a user the target lacks is added with its templates',
    source: set([user('00123')], [template('00123', 0), template('00123', 1)]),
    target: set([]),
    outcomes: { '00123': 'added' },
    fields: { '00123': [...ALL_USER_FIELDS, 'templates'] },
    writes: { '00123': ['finger:0', 'finger:1'] },
  },
  {
    name: 'the same user with the same templates is unchanged and not written',
    source: set([user('7', { card: '123' })], [template('7', 0)]),
    target: set([user('7', { card: '123' })], [template('7', 0)]),
    outcomes: { '7': 'unchanged' },
    writes: {},
  },
  {
    name: 'PINs are strings: 00123 and 123 are two users',
    source: set([user('00123')]),
    target: set([user('123')]),
    outcomes: { '00123': 'added', '123': 'kept' },
    writes: { '00123': [] },
  },
  {
    name: 'a changed privilege, password or group is an update naming the fields',
    source: set([user('1', { privilege: 14, password: '99', group: 2 })]),
    target: set([user('1')]),
    outcomes: { '1': 'updated' },
    fields: { '1': ['privilege', 'password', 'group'] },
    writes: { '1': [] },
  },
  {
    name: 'an empty name or card on the target is filled in, not a conflict',
    source: set([user('1', { name: 'Budi', card: '4455' })]),
    target: set([user('1', { name: '', card: '' })]),
    outcomes: { '1': 'updated' },
    fields: { '1': ['name', 'card'] },
    writes: { '1': [] },
  },
  {
    name: 'another name on the target is a conflict: not written',
    source: set([user('1', { name: 'Budi Santoso' })], [template('1', 0)]),
    target: set([user('1', { name: 'Budi S' })]),
    outcomes: { '1': 'conflicting' },
    writes: {},
  },
  {
    name: 'another card on the target is a conflict, and so is a card the source has not',
    source: set([user('1', { card: '111' }), user('2', { card: '' })]),
    target: set([user('1', { card: '222' }), user('2', { card: '333' })]),
    outcomes: { '1': 'conflicting', '2': 'conflicting' },
    writes: {},
  },
  {
    name: 'overwriteConflicts writes the conflicting user with the source name',
    source: set([user('1', { name: 'Budi Santoso' })]),
    target: set([user('1', { name: 'Budi S' })]),
    options: { overwriteConflicts: true },
    outcomes: { '1': 'conflicting' },
    fields: { '1': ['name'] },
    writes: { '1': [] },
  },
  {
    name: 'a template of another algorithm is skipped; the new user is still added without it',
    source: set([user('1')], [template('1', 0, 'finger:9')]),
    target: set([]),
    outcomes: { '1': 'added' },
    writes: { '1': [] },
    skipped: { '1': ['finger:0 finger:9→finger:10'] },
  },
  {
    name: 'a user equal but for templates of another algorithm is skipped-for-algorithm',
    source: set([user('1')], [template('1', 0, 'finger:9')]),
    target: set([user('1')]),
    outcomes: { '1': 'skipped-for-algorithm' },
    writes: {},
    skipped: { '1': ['finger:0 finger:9→finger:10'] },
  },
  {
    name: 'a face template goes nowhere when the target reports no face algorithm',
    source: set([user('1')], [template('1', 0, 'face:7', 1, 'face'), template('1', 2)]),
    target: set([user('1')]),
    outcomes: { '1': 'updated' },
    fields: { '1': ['templates'] },
    writes: { '1': ['finger:2'] },
    skipped: { '1': ['face:0 face:7→none'] },
  },
  {
    name: 'a template whose bytes differ is written again; one the target holds alike is not',
    source: set([user('1')], [template('1', 0, 'finger:10', 5), template('1', 1)]),
    target: set([user('1')], [template('1', 0, 'finger:10', 6), template('1', 1)]),
    outcomes: { '1': 'updated' },
    writes: { '1': ['finger:0'] },
  },
  {
    name: 'without templates, templates are neither compared nor carried',
    source: set([user('1')], [template('1', 0)]),
    target: set([user('1')]),
    options: { templates: false },
    outcomes: { '1': 'unchanged' },
    writes: {},
  },
  {
    name: 'a user only on the target is kept without deleteMissing',
    source: set([user('1')]),
    target: set([user('1'), user('2')]),
    outcomes: { '1': 'unchanged', '2': 'kept' },
    writes: {},
    deletes: [],
  },
  {
    name: 'deleteMissing deletes the users only on the target',
    source: set([user('1')]),
    target: set([user('1'), user('2'), user('3')]),
    options: { deleteMissing: true },
    outcomes: { '1': 'unchanged', '2': 'deleted', '3': 'deleted' },
    writes: {},
    deletes: ['2', '3'],
  },
  {
    name: 'a CSV speaks for name, card and privilege: the target keeps its password and group',
    source: set([user('1', { privilege: 14, password: '', group: 1 })]),
    target: set([user('1', { password: '4321', group: 3 })]),
    options: CSV,
    outcomes: { '1': 'updated' },
    fields: { '1': ['privilege'] },
    writes: { '1': [] },
  },
];

describe('diffUsers', () => {
  it.each(CASES)('$name', (c) => {
    const plan = diffUsers(c.source, c.target, c.algorithms ?? FINGER10, { ...COPY, ...c.options });
    expect(Object.fromEntries(plan.changes.map((ch) => [ch.pin, ch.outcome]))).toEqual(c.outcomes);
    expect(Object.fromEntries(plan.writes.map((w) => [w.user.pin, w.templates.map((t) => `${t.kind}:${t.index}`)]))).toEqual(c.writes);
    expect(plan.deletes).toEqual(c.deletes ?? []);
    for (const [pin, fields] of Object.entries(c.fields ?? {})) expect(plan.changes.find((ch) => ch.pin === pin)?.fields, pin).toEqual(fields);
    const skipped = Object.fromEntries(plan.changes.filter((ch) => ch.skippedTemplates.length > 0).map((ch) => [ch.pin, ch.skippedTemplates.map((t) => `${t.kind}:${t.index} ${t.algorithm}→${t.targetAlgorithm ?? 'none'}`)]));
    expect(skipped).toEqual(c.skipped ?? {});
    const counted = Object.values(plan.counts).reduce((a, b) => a + b, 0);
    expect(counted).toBe(plan.changes.length);
  });

  it('writes the target\'s password and group back when the source does not speak for them', () => {
    const plan = diffUsers(set([user('1', { privilege: 14 })]), set([user('1', { password: '4321', group: 3 })]), FINGER10, CSV);
    expect(plan.writes[0]?.user).toEqual(user('1', { privilege: 14, password: '4321', group: 3 }));
  });

  it('reports both values of a conflict and writes nothing of the user', () => {
    const plan = diffUsers(set([user('1', { name: 'Budi Santoso', card: '1' })]), set([user('1', { name: 'Budi S', card: '2' })]), FINGER10, COPY);
    expect(plan.changes[0]?.conflicts).toEqual([
      { field: 'name', source: 'Budi Santoso', target: 'Budi S' },
      { field: 'card', source: '1', target: '2' },
    ]);
    expect(plan.changes[0]?.overwritten).toBe(false);
  });
});
