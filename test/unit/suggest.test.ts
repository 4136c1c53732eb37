import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../../src/config/suggest.js';

describe('did you mean', () => {
  it.each([
    ['', '', 0],
    ['host', 'host', 0],
    ['hots', 'host', 2],
    ['pollIntervl', 'pollInterval', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('editDistance(%j, %j) = %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });

  it.each([
    ['pollIntervl', ['host', 'pollInterval', 'port'], 'pollInterval'],
    ['PORT', ['host', 'port'], 'port'],
    ['prt', ['port', 'pin'], 'port'],
    ['colour', ['host', 'port'], undefined],
    ['host', ['host', 'hots'], undefined],
    ['zk-tpc', ['zk-tcp', 'zk-push', 'zk-soap'], 'zk-tcp'],
  ])('closestName(%j) among %j is %j', (word, known, expected) => {
    expect(closestName(word, known)).toBe(expected);
  });
});
