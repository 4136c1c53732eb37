// `simulate zk-push --faces`: the two face terminals the simulator can be, and a clear refusal otherwise.
import { describe, expect, it } from 'vitest';
import { zkPushOptionsFrom } from '../../src/sim/zkPush/cli.js';

const base = { target: 'http://127.0.0.1:8081', serial: 'SIMPUSH00001', timezone: 'Asia/Jakarta', clockOffset: '0', batchSize: '100', users: '20' };

describe('simulate zk-push --faces', () => {
  it.each([
    ['biodata', { form: 'BIODATA', type: 9, majorVer: '58', minorVer: '0' }],
    ['face', { form: 'FACE', version: '7' }],
  ])('--faces %s', (faces, want) => {
    expect(zkPushOptionsFrom({ ...base, faces }).faces).toEqual(want);
  });

  it('no faces without the option; another value is refused', () => {
    expect(zkPushOptionsFrom(base).faces).toBeUndefined();
    expect(() => zkPushOptionsFrom({ ...base, faces: 'palm' })).toThrow('--faces: expected biodata or face, got "palm"');
  });
});
