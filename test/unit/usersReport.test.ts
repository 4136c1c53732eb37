// What the users commands print (src/users/report.ts): the diff's lines name changed fields with
// their values, except a password, and never a template byte.
import { expect, it } from 'vitest';
import { ALL_USER_FIELDS, diffUsers } from '../../src/users/diff.js';
import { planLines, targetSummary } from '../../src/users/report.js';
import type { TargetReport } from '../../src/users/syncTarget.js';
import { template, user } from '../helpers/usersTable.js';

const plan = diffUsers(
  { users: [user('00124', { privilege: 14, password: 'rahasia-baru', card: '77' }), user('00125')], templates: [template('00124', 0), template('00125', 0, 'finger:9')] },
  { users: [user('00124', { password: 'rahasia-lama' }), user('00125')], templates: [] },
  { finger: 'finger:10' },
  { fields: ALL_USER_FIELDS, templates: true, deleteMissing: false, overwriteConflicts: false },
);

it('names each changed field with its old and new value, a password without either', () => {
  const lines = planLines(plan);
  expect(lines[0]).toMatch(/^~ 00124 +"User 00124" +updated: privilege 0 → 14, card "" → "77", password \(not shown\), templates \(1\)$/);
  expect(lines[1]).toMatch(/^\^ 00125 .* skipped-for-algorithm/);
  expect(lines[2]).toBe('    templates not copied GW_ERR_USERS_ALGORITHM_MISMATCH: finger 0 (finger:9, the target finger:10)');
  const text = lines.join('\n');
  expect(text).not.toContain('rahasia');
  expect(text).not.toContain(template('00124', 0).data.toString('base64'));
});

it('summarises a target for a ticket: counts, backup, each failure with its code', () => {
  const report: TargetReport = {
    deviceId: 'gate-b',
    serial: 'GB1',
    algorithms: { finger: 'finger:10' },
    plan,
    dryRun: false,
    backup: { file: '/var/lib/absensi-gateway/backups/gate-b-20261202T060102Z.jsonl', users: 2, templates: 0, bytes: 100 },
    written: 0,
    deleted: 0,
    failures: [{ pin: '00124', action: 'write', code: 'GW_ERR_USERS_WRITE_FAILED', message: 'refused' }],
  };
  expect(targetSummary(report, 'users copy lobby')).toEqual([
    'users copy lobby → gate-b (serial GB1)',
    '  added 0, updated 1, unchanged 0, conflicting 0, skipped-for-algorithm 1, deleted 0, kept 0',
    '  templates: 1 to write, 1 not copied for their algorithm',
    '  backup: /var/lib/absensi-gateway/backups/gate-b-20261202T060102Z.jsonl (2 users, 0 templates)',
    '  written 0 of 1, deleted 0 of 0, failed 1',
    '  failed write 00124 GW_ERR_USERS_WRITE_FAILED: refused',
    '  00125: templates not copied GW_ERR_USERS_ALGORITHM_MISMATCH: finger 0 (finger:9, the target finger:10)',
  ]);
});
