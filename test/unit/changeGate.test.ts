// A retained status is published again only when it changed (issue 19, finding 5: a push
// terminal's status went out on every poll).
import { expect, it } from 'vitest';
import { ChangeGate } from '../../src/util/changeGate.js';

it('admits the first value, then only a changed one; lastSeen alone only after the refresh interval', () => {
  const gate = new ChangeGate(['lastSeen'], 300_000);
  const status = (lastSeen: string, online = true) => ({ online, lastSeen, serial: 'SN1' });
  expect(gate.admit('loket-1', status('07:00:00'), 0)).toBe(true);
  expect(gate.admit('loket-1', status('07:00:02'), 2_000)).toBe(false);
  expect(gate.admit('loket-1', status('07:00:04'), 4_000)).toBe(false);
  expect(gate.admit('loket-1', status('07:00:06', false), 6_000)).toBe(true);
  expect(gate.admit('loket-2', status('07:00:06'), 6_000)).toBe(true);
  expect(gate.admit('loket-1', status('07:05:06', false), 306_000)).toBe(true);
  gate.forget();
  expect(gate.admit('loket-1', status('07:05:06', false), 306_001)).toBe(true);
});
