// src/log/verify.ts, the centre's verifier: punches and checkpoints of an in-memory log verify;
// an altered, dropped, reordered (seqs swapped) or inserted punch is always caught, and said where;
// re-deliveries and file order are not problems; any two checkpoints of an epoch are consistent by
// their proof; a replaced buffer is a second epoch, and a fork the gateway signed is inconsistent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint, logKeyName, logOrigin } from '../../src/log/checkpoint.js';
import { ed25519PrivateKeyFromSeed, ed25519Signer, signNote } from '../../src/log/note.js';
import { checkConsistency, checkInclusion, openGatewayCheckpoint, verifyLog, type LogReport } from '../../src/log/verify.js';
import { MemoryPunchLog } from '../helpers/memoryPunchLog.js';

const SITE = 'BKPP';
const GATEWAY = 'oki-bkpp-01';
const signer = ed25519Signer(logKeyName(SITE, GATEWAY), ed25519PrivateKeyFromSeed(Buffer.alloc(32, 9)));
const VKEY = signer.verifier.vkey;
const EPOCH = '00112233aabbccdd';

interface TestPunch {
  schema: string;
  id: string;
  gateway: string;
  site: string;
  device: { id: string };
  pin: string;
  time: string;
  state: string;
  seq: number;
}

function punch(seq: number, pin = String(1000 + seq)): TestPunch {
  return { schema: 'punch/v1', id: `${seq.toString(16).padStart(8, '0')}${'0'.repeat(24)}`, gateway: GATEWAY, site: SITE, device: { id: 'lobby-1' }, pin, time: `2026-01-19T07:${String(seq % 60).padStart(2, '0')}:00+07:00`, state: 'check-in', seq };
}

function logOf(punches: readonly TestPunch[], epoch = EPOCH): MemoryPunchLog {
  const log = new MemoryPunchLog(epoch);
  for (const p of punches) log.append(p);
  return log;
}

function checkpointOf(log: MemoryPunchLog, size: number, at = new Date('2026-01-19T01:00:00Z')): string {
  const origin = logOrigin(signer.name, log.epoch);
  return signNote(formatCheckpoint({ origin, size, root: log.root(size), time: new Date(at.getTime() + size * 1000) }), signer);
}

const punchesArb = fc.integer({ min: 1, max: 40 }).map((n) => Array.from({ length: n }, (_, i) => punch(i + 1)));
/** a log of punches and checkpoints at some sizes, always one of the whole log */
const signedArb = punchesArb.chain((punches) =>
  fc.uniqueArray(fc.integer({ min: 0, max: punches.length }), { maxLength: 6 }).map((sizes) => {
    const log = logOf(punches);
    return { punches, log, checkpoints: [...sizes, punches.length].map((size) => checkpointOf(log, size)) };
  }),
);

const verify = (punches: readonly unknown[], checkpoints: readonly string[]): LogReport => verifyLog({ key: VKEY, punches, checkpoints });

describe('what the gateway logged verifies', () => {
  it('every checkpoint verified, in any file order, with re-deliveries', () => {
    fc.assert(
      fc.property(signedArb, fc.integer({ min: 0, max: 2 ** 31 }), fc.array(fc.nat(), { maxLength: 5 }), ({ punches, checkpoints }, seed, copies) => {
        const given = [...punches, ...copies.map((i) => structuredClone(punches[i % punches.length] as TestPunch))];
        const shuffled = fc.sample(fc.shuffledSubarray(given, { minLength: given.length }), { seed, numRuns: 1 })[0] as TestPunch[];
        const report = verify(shuffled, checkpoints);
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
        expect(report.punches).toMatchObject({ given: given.length, distinct: punches.length, redelivered: copies.length });
        expect(report.epochs).toMatchObject([{ epoch: EPOCH, size: punches.length, verifiedSize: punches.length, missing: [], altered: [] }]);
        expect(report.checkpoints.every((c) => c.status === 'verified' && c.signature === 'valid')).toBe(true);
      }),
    );
  });

  it('the empty log: size 0 with root SHA-256("") verifies with no punch', () => {
    const report = verify([], [checkpointOf(new MemoryPunchLog(EPOCH), 0)]);
    expect(report.ok).toBe(true);
    expect(report.checkpoints[0]).toMatchObject({ size: 0, status: 'verified', time: '2026-01-19T01:00:00Z' });
  });

  it('a file of several notes is read note by note', () => {
    const punches = [punch(1), punch(2), punch(3)];
    const log = logOf(punches);
    const report = verifyLog({ key: VKEY, punches, checkpoints: [{ source: 'cps.txt', note: `${checkpointOf(log, 1)}\n${checkpointOf(log, 3)}` }] });
    expect(report.ok).toBe(true);
    expect(report.checkpoints.map((c) => [c.source, c.size])).toEqual([['cps.txt#1', 1], ['cps.txt#2', 3]]);
  });

  it('punches of other gateways are left out, counted', () => {
    const punches = [punch(1), punch(2)];
    const report = verify([...punches, { ...punch(1), gateway: 'elsewhere' }], [checkpointOf(logOf(punches), 2)]);
    expect(report.ok).toBe(true);
    expect(report.punches.foreign).toBe(1);
  });
});

describe('tampering is always caught', () => {
  it('an altered punch: caught, between the last checkpoint still verified and the first that no longer is', () => {
    fc.assert(
      fc.property(signedArb, fc.nat(), ({ punches, checkpoints }, at) => {
        const i = at % punches.length;
        const target = punches[i] as TestPunch;
        const altered = punches.map((p, k) => (k === i ? { ...p, pin: `${p.pin}9` } : p));
        const report = verify(altered, checkpoints);
        expect(report.ok).toBe(false);
        const [epoch] = report.epochs;
        const range = epoch?.altered[0];
        expect(range && range.from <= target.seq && target.seq <= range.to).toBe(true);
        expect(epoch?.verifiedSize).toBeLessThan(target.seq);
      }),
    );
  });

  it('a dropped punch: caught as missing', () => {
    fc.assert(
      fc.property(signedArb, fc.nat(), ({ punches, checkpoints }, at) => {
        const dropped = punches[at % punches.length] as TestPunch;
        const report = verify(punches.filter((p) => p !== dropped), checkpoints);
        expect(report.ok).toBe(false);
        expect(report.epochs[0]?.missing).toContainEqual({ from: dropped.seq, to: dropped.seq });
      }),
    );
  });

  it('reordered (two punches swap seqs): caught', () => {
    fc.assert(
      fc.property(signedArb.filter((s) => s.punches.length >= 2), fc.nat(), fc.nat(), ({ punches, checkpoints }, a, b) => {
        const i = a % punches.length;
        const j = (i + 1 + (b % (punches.length - 1))) % punches.length;
        const swapped = punches.map((p, k) => (k === i ? { ...p, seq: (punches[j] as TestPunch).seq } : k === j ? { ...p, seq: (punches[i] as TestPunch).seq } : p));
        expect(verify(swapped, checkpoints).ok).toBe(false);
      }),
    );
  });

  it('an inserted punch: beyond the log, inside it beside the logged one, or shifting the seqs after it: caught', () => {
    fc.assert(
      fc.property(signedArb, fc.nat(), fc.constantFrom('beyond', 'beside', 'shift'), ({ punches, checkpoints }, at, how) => {
        const n = punches.length;
        const seq = (at % n) + 1;
        const extra = { ...punch(seq), pin: 'inserted' };
        const given =
          how === 'beyond' ? [...punches, punch(n + 1)] : how === 'beside' ? [...punches, extra] : [...punches.slice(0, seq - 1), extra, ...punches.slice(seq - 1).map((p) => ({ ...p, seq: p.seq + 1 }))];
        const report = verify(given, checkpoints);
        expect(report.ok).toBe(false);
        if (how === 'beyond') expect(report.uncovered).toEqual([{ from: n + 1, to: n + 1 }]);
        if (how === 'beside') expect(report.conflicts.find((c) => c.seq === seq)?.copies.filter((c) => c.inLog.length === 0)).toHaveLength(1);
      }),
    );
  });

  it('a checkpoint whose note was changed, or that another key signed, is refused', () => {
    const punches = [punch(1), punch(2)];
    const note = checkpointOf(logOf(punches), 2);
    const other = ed25519Signer(signer.name, ed25519PrivateKeyFromSeed(Buffer.alloc(32, 1)));
    const changed = note.replace('\n2\n', '\n1\n');
    const foreign = signNote(note.slice(0, note.indexOf('\n\n') + 1), other);
    const report = verify(punches, [changed, foreign]);
    expect(report.ok).toBe(false);
    expect(report.checkpoints.map((c) => c.signature)).toEqual(['invalid', 'not-signed-by-key']);
    expect(report.problems.some((p) => p.includes('no checkpoint signed by the key'))).toBe(true);
  });

  it('a checkpoint of another log of the key (not {key name}/{epoch}) or without its time line is refused', () => {
    const body = (origin: string, time = true): string => `${origin}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n${time ? 'time 2026-01-19T00:00:00Z\n' : ''}`;
    const report = verify([], [signNote(body(`${signer.name}/x`), signer), signNote(body(logOrigin(signer.name, EPOCH), false), signer)]);
    expect(report.checkpoints.map((c) => c.status)).toEqual(['refused', 'refused']);
    expect(report.ok).toBe(false);
  });

  it('no checkpoint at all proves nothing', () => {
    expect(verify([punch(1)], []).ok).toBe(false);
  });
});

describe('checkpoints of one epoch', () => {
  it('any two are consistent by the log\'s consistency proof; a changed proof is not', () => {
    fc.assert(
      fc.property(punchesArb, fc.nat(), fc.nat(), (punches, x, y) => {
        const log = logOf(punches);
        const [a, b] = [x % (punches.length + 1), y % (punches.length + 1)].sort((p, q) => p - q) as [number, number];
        const older = openGatewayCheckpoint(checkpointOf(log, a), VKEY);
        const newer = openGatewayCheckpoint(checkpointOf(log, b), VKEY);
        const proof = log.consistencyProof(a, b);
        expect(checkConsistency(older, newer, proof)).toBe(true);
        expect(checkConsistency(older, newer, proof.map((h) => h.toString('base64')))).toBe(true);
        if (proof.length > 0) {
          const bad = proof.map((h) => Buffer.from(h));
          const first = bad[0] as Buffer;
          first.writeUInt8(first.readUInt8(0) ^ 1, 0);
          expect(checkConsistency(older, newer, bad)).toBe(false);
        }
      }),
    );
  });

  it('each punch is included in a checkpoint by the log\'s inclusion proof', () => {
    const punches = Array.from({ length: 13 }, (_, i) => punch(i + 1));
    const log = logOf(punches);
    const cp = openGatewayCheckpoint(checkpointOf(log, 13), VKEY);
    for (const p of punches) expect(checkInclusion(p, cp, log.inclusionProof(p.seq - 1, 13))).toBe(true);
    expect(checkInclusion({ ...punches[4], pin: 'x' } as TestPunch, cp, log.inclusionProof(4, 13))).toBe(false);
  });

  it('a fork the gateway signed (a smaller size whose root is not the prefix root) is inconsistent', () => {
    const punches = Array.from({ length: 10 }, (_, i) => punch(i + 1));
    const fork = logOf(punches.map((p) => (p.seq === 5 ? { ...p, pin: 'forked' } : p)));
    const report = verify(punches, [checkpointOf(fork, 8), checkpointOf(logOf(punches), 10)]);
    expect(report.ok).toBe(false);
    expect(report.checkpoints.map((c) => c.status)).toEqual(['inconsistent', 'verified']);
    expect(report.epochs[0]?.inconsistent).toMatchObject([{ size: 8 }]);
    expect(report.epochs[0]?.altered).toEqual([]);
  });

  it('two different roots signed for one size: the one the punches make verifies, the other is inconsistent', () => {
    const punches = [punch(1), punch(2), punch(3)];
    const fork = logOf([punch(1), { ...punch(2), pin: 'x' }, punch(3)]);
    const report = verify(punches, [checkpointOf(fork, 3), checkpointOf(logOf(punches), 3)]);
    expect(report.checkpoints.map((c) => c.status)).toEqual(['inconsistent', 'verified']);
  });
});

describe('a replaced buffer is a new epoch', () => {
  // the old buffer logged 1..15; it was replaced by a copy taken at 10, which went on to 12 as a new log
  const old = Array.from({ length: 15 }, (_, i) => punch(i + 1));
  const restored = [...old.slice(0, 10), punch(11, '7711'), punch(12, '7712')];
  const oldLog = logOf(old, 'aaaaaaaaaaaaaaaa');
  const newLog = logOf(restored, 'bbbbbbbbbbbbbbbb');
  const checkpoints = [checkpointOf(oldLog, 10), checkpointOf(oldLog, 15, new Date('2026-01-19T02:00:00Z')), checkpointOf(newLog, 12, new Date('2026-01-20T01:00:00Z'))];

  it('both epochs verify, each with its own punches of seq 11 and 12', () => {
    const report = verify([...old, ...restored], checkpoints);
    expect(report.problems).toEqual([]);
    expect(report.epochs.map((e) => [e.epoch, e.size, e.verifiedSize])).toEqual([
      ['aaaaaaaaaaaaaaaa', 15, 15],
      ['bbbbbbbbbbbbbbbb', 12, 12],
    ]);
    expect(report.conflicts.map((c) => [c.seq, c.copies.map((x) => x.inLog)])).toEqual([
      [11, [['aaaaaaaaaaaaaaaa'], ['bbbbbbbbbbbbbbbb']]],
      [12, [['aaaaaaaaaaaaaaaa'], ['bbbbbbbbbbbbbbbb']]],
    ]);
  });

  it('the old epoch\'s punches the replaced buffer lost are missing there, and the new epoch is no error of the old one', () => {
    const report = verify(restored, checkpoints);
    expect(report.ok).toBe(false);
    const [first, second] = report.epochs;
    expect(first).toMatchObject({ epoch: 'aaaaaaaaaaaaaaaa', verifiedSize: 10, missing: [{ from: 13, to: 15 }], inconsistent: [] });
    expect(second).toMatchObject({ epoch: 'bbbbbbbbbbbbbbbb', verifiedSize: 12, missing: [], altered: [], inconsistent: [] });
  });
});
