// What a users job may show (src/users/shown.ts): a target's report without the plan's writes (they
// carry templates) and without a password's value, and the summary printed from it.
import { expect, it } from 'vitest';
import { ALL_USER_FIELDS, diffUsers } from '../../src/users/diff.js';
import { targetSummary } from '../../src/users/report.js';
import { shownTargetReport, shownTargetReportSchema } from '../../src/users/shown.js';
import type { TargetReport } from '../../src/users/syncTarget.js';
import { template, user } from '../helpers/usersTable.js';

const templates = [template('00124', 0), template('00125', 0, 'finger:9'), template('00126', 3)];
const plan = diffUsers(
  { users: [user('00124', { privilege: 14, password: 'rahasia-baru', card: '77' }), user('00125'), user('00126'), user('00127', { name: 'Same' })], templates },
  { users: [user('00124', { password: 'rahasia-lama' }), user('00125'), user('00127', { name: 'Same' }), user('00999', { password: 'rahasia-sisa' })], templates: [] },
  { finger: 'finger:10' },
  { fields: ALL_USER_FIELDS, templates: true, deleteMissing: false, overwriteConflicts: false },
);
const report: TargetReport = { deviceId: 'gate-b', serial: 'GB1', algorithms: { finger: 'finger:10' }, plan, dryRun: false, written: 2, deleted: 0, failures: [] };

it('holds no template byte and no password, lists every user but the unchanged ones, and parses as its schema', () => {
  const shown = shownTargetReport(report);
  const text = JSON.stringify(shown);
  for (const t of templates) {
    expect(text).not.toContain(t.data.toString('base64').slice(0, 16));
    expect(text).not.toContain(t.data.toString('hex').slice(0, 16));
  }
  expect(text).not.toContain('rahasia');
  expect(text).not.toMatch(/"(password|data)":/);
  expect(shown.changes.map((c) => [c.pin, c.outcome])).toEqual([['00124', 'updated'], ['00125', 'skipped-for-algorithm'], ['00126', 'added'], ['00999', 'kept']]);
  expect(shown).toMatchObject({ writesPlanned: 2, deletesPlanned: 0, templatesToWrite: 2, templatesSkipped: 1, counts: { unchanged: 1 } });
  expect(shownTargetReportSchema.parse(JSON.parse(text))).toEqual(shown);
});

it('prints the dry run\'s exact diff from the shown report (the lines a job in the daemon prints)', () => {
  const lines = targetSummary(shownTargetReport({ ...report, dryRun: true }), 'users copy lobby');
  expect(lines.slice(0, 4)).toEqual([
    'users copy lobby → gate-b (serial GB1)',
    '  added 1, updated 1, unchanged 1, conflicting 0, skipped-for-algorithm 1, deleted 0, kept 1',
    '  templates: 2 to write, 1 not copied for their algorithm',
    '  dry run: nothing written, no backup made',
  ]);
  expect(lines[4]).toMatch(/^ {2}~ 00124 +"User 00124" +updated: privilege 0 → 14, card "" → "77", password \(not shown\), templates \(1\)$/);
  expect(lines.slice(5)).toEqual([
    expect.stringMatching(/^ {2}\^ 00125 .* skipped-for-algorithm/),
    '      templates not copied GW_ERR_USERS_ALGORITHM_MISMATCH: finger 0 (finger:9, the target finger:10)',
    expect.stringMatching(/^ {2}\+ 00126 .* added with 1 template\(s\)$/),
    expect.stringMatching(/^ {2}\. 00999 .* kept: only on the target/),
  ]);
});
