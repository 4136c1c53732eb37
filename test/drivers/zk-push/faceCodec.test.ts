// zk-push face codec: table-driven. No public capture quotes a FACE or BIODATA line with its
// template (the text is biometric data), so lines are built from the field lists of the sources
// (faceCodec.ts header: PUSH SDK V3.2.0 via users-templates.md, the PUSH V5.8 transcription, a
// uFace server's upper-case keys) with synthetic template bytes, and round-tripped.
import { describe, expect, it } from 'vitest';
import {
  biodataFaceAlgorithm, decodeBiodataLine, decodeFaceLine, encodeBiodataDelete, encodeBiodataLine, encodeBiodataQuery, encodeBiodataUpdate, encodeFaceDelete,
  encodeFaceQuery, encodeFaceUpdate, encodeOperlogFace, faceAlgorithmOf, faceCapabilityOf, type PushBiodata,
} from '../../../drivers/zk-push/faceCodec.js';
import { decodeOperlogUsers } from '../../../drivers/zk-push/userCodec.js';
import { UserEncodeError } from '../../../src/users/user.js';

const ABC = Buffer.from('ABC'); // base64 QUJD, 4 characters
const face: PushBiodata = { pin: '0021', no: 0, index: 3, valid: true, duress: false, type: 9, majorVer: '58', minorVer: '0', format: 0, data: ABC };

describe('face commands', () => {
  it.each([
    ['FACE update (SDK field order)', encodeFaceUpdate({ pin: '0021', index: 11, valid: true, data: ABC }), 'DATA UPDATE FACE PIN=0021\tFID=11\tSize=4\tValid=1\tTMP=QUJD'],
    ['FACE update, not valid', encodeFaceUpdate({ pin: '7', index: 0, valid: false, data: ABC }), 'DATA UPDATE FACE PIN=7\tFID=0\tSize=4\tValid=0\tTMP=QUJD'],
    ['FACE delete', encodeFaceDelete('0021'), 'DATA DELETE FACE PIN=0021'],
    ['FACE query', encodeFaceQuery('0021'), 'DATA QUERY FACE PIN=0021'],
    ['BIODATA update (V5.8 field order)', encodeBiodataUpdate(face), 'DATA UPDATE BIODATA Pin=0021\tNo=0\tIndex=3\tValid=1\tDuress=0\tType=9\tMajorVer=58\tMinorVer=0\tFormat=0\tTmp=QUJD'],
    ['BIODATA query of a Type', encodeBiodataQuery(9), 'DATA QUERY BIODATA Type=9'],
    ['BIODATA query of a Type and PIN', encodeBiodataQuery(2, '0021'), 'DATA QUERY BIODATA Type=2\tPin=0021'],
    ['BIODATA delete', encodeBiodataDelete('0021'), 'DATA DELETE BIODATA Pin=0021'],
    ['BIODATA delete of a Type', encodeBiodataDelete('0021', 9), 'DATA DELETE BIODATA Pin=0021\tType=9'],
  ])('%s', (_name, got, want) => {
    expect(got).toBe(want);
  });

  it.each([
    ['FID 12', () => encodeFaceUpdate({ pin: '1', index: 12, valid: true, data: ABC })],
    ['a negative FID', () => encodeFaceUpdate({ pin: '1', index: -1, valid: true, data: ABC })],
    ['an empty face', () => encodeFaceUpdate({ pin: '1', index: 0, valid: true, data: Buffer.alloc(0) })],
    ['a PIN with a tab', () => encodeFaceUpdate({ pin: '1\tPri=14', index: 0, valid: true, data: ABC })],
    ['a PIN with a line break (delete)', () => encodeFaceDelete('1\nC:9:REBOOT')],
    ['BIODATA index 16', () => encodeBiodataUpdate({ ...face, index: 16 })],
    ['BIODATA version not digits', () => encodeBiodataUpdate({ ...face, majorVer: '5\t8' })],
    ['an empty BIODATA template', () => encodeBiodataUpdate({ ...face, data: Buffer.alloc(0) })],
    ['a BIODATA query with a bad PIN', () => encodeBiodataQuery(9, '')],
  ])('refuses %s before anything is queued', (_name, encode) => {
    expect(encode).toThrow(UserEncodeError);
  });
});

describe('FACE and BIODATA upload lines', () => {
  it.each([
    ['SDK keys', 'FACE PIN=0021\tFID=0\tSize=4\tValid=1\tTMP=QUJD', { pin: '0021', fid: 0, valid: true }],
    ['uFace upper-case keys', 'FACE PIN=5\tFID=11\tSIZE=4\tVALID=0\tTMP=QUJD', { pin: '5', fid: 11, valid: false }],
    ['V5.8 order (Valid before Size)', 'FACE PIN=5\tFID=2\tValid=1\tSize=4\tTMP=QUJD', { pin: '5', fid: 2, valid: true }],
    ['JSON-escaped slash', 'FACE PIN=5\tFID=2\tSize=4\tValid=1\tTMP=Q\\/JD', { pin: '5', fid: 2, valid: true }],
  ])('a FACE line, %s', (_name, line, want) => {
    const got = decodeFaceLine(1, line);
    expect(got).toMatchObject(want);
    expect('data' in got && got.data.length > 0).toBe(true);
  });

  it.each([
    ['FACE PIN=\tFID=0\tSize=4\tValid=1\tTMP=QUJD', 'pin'],
    ['FACE PIN=1 2\tFID=0\tSize=4\tValid=1\tTMP=QUJD', 'pin'],
    ['FACE PIN=1\tFID=12\tSize=4\tValid=1\tTMP=QUJD', 'number'],
    ['FACE PIN=1\tFID=x\tSize=4\tValid=1\tTMP=QUJD', 'number'],
    ['FACE PIN=1\tFID=0\tValid=1\tTMP=QUJD', 'number'],
    ['FACE PIN=1\tFID=0\tSize=4\tValid=1\tTMP=QU*D', 'base64'],
    ['FACE PIN=1\tFID=0\tSize=4\tValid=1', 'base64'],
    ['FACE PIN=1\tFID=0\tSize=8\tValid=1\tTMP=QUJD', 'size'],
    ['BIODATA Pin=\tNo=0\tIndex=0\tType=9\tMajorVer=58\tMinorVer=0\tTmp=QUJD', 'pin'],
    ['BIODATA Pin=1\tNo=0\tIndex=16\tType=9\tMajorVer=58\tMinorVer=0\tTmp=QUJD', 'number'],
    ['BIODATA Pin=1\tNo=0\tIndex=0\tType=nine\tMajorVer=58\tMinorVer=0\tTmp=QUJD', 'number'],
    ['BIODATA Pin=1\tNo=0\tIndex=0\tType=9\tMinorVer=0\tTmp=QUJD', 'number'],
    ['BIODATA Pin=1\tNo=0\tIndex=0\tType=9\tMajorVer=58\tMinorVer=0\tTmp=', 'base64'],
    ['BIODATA Pin=1\tNo=0\tIndex=0\tType=9\tMajorVer=58\tMinorVer=0\tSize=9\tTmp=QUJD', 'size'],
  ])('%j is a %s error that shows no template text, never a record', (line, code) => {
    const out = decodeOperlogUsers(line);
    expect(out.faces).toEqual([]);
    expect(out.biodata).toEqual([]);
    expect(out.errors.map((e) => e.code)).toEqual([code]);
    expect(out.errors[0]!.excerpt).not.toContain('QUJD');
    expect(out.errors[0]!.excerpt).not.toContain('QU*D');
  });

  it('FACE and BIODATA lines round-trip, next to USER, FP and OPLOG lines of the same body', () => {
    const f = { pin: '0021', fid: 4, valid: true, data: Buffer.from([0, 1, 2, 250, 251, 252]) };
    const b: PushBiodata = { ...face, duress: true, type: 2, majorVer: '7', data: Buffer.from([9, 8, 7]) };
    const body = ['USER PIN=0021\tName=Rina\tPri=0\tPasswd=\tCard=\tGrp=1', 'FP PIN=0021\tFID=1\tSize=4\tValid=1\tTMP=QUJD', encodeOperlogFace(f), encodeBiodataLine(b), 'OPLOG 4\t0\t2024-03-12 11:03:53\t0\t0\t0\t0'].join('\r\n');
    const out = decodeOperlogUsers(body);
    expect(out.errors).toEqual([]);
    expect([out.users.length, out.fingers.length, out.otherLines]).toEqual([1, 1, 1]);
    expect(out.faces).toEqual([f]);
    expect(out.biodata).toEqual([b]);
  });

  it('BIODATA defaults: No, Index and Format 0, MinorVer 0, Valid 1, Duress 0', () => {
    expect(decodeBiodataLine(1, 'BIODATA Pin=9\tType=9\tMajorVer=58\tTmp=QUJD')).toEqual({ pin: '9', no: 0, index: 0, valid: true, duress: false, type: 9, majorVer: '58', minorVer: '0', format: 0, data: ABC });
  });

  it('never throws on hostile lines', () => {
    for (let i = 0; i < 2000; i += 1) {
      const bytes = Buffer.from(Array.from({ length: 1 + (i % 131) }, (_, j) => (i * 37 + j * 11) % 256)).toString('latin1');
      const head = ['FACE PIN=1\tFID=', 'BIODATA Pin=1\tType=9\tMajorVer=', 'FACE ', 'BIODATA '][i % 4]!;
      expect(() => decodeOperlogUsers(head + bytes)).not.toThrow();
    }
  });
});

describe('what a terminal says of its faces', () => {
  it.each([
    ['FACE table (FaceVersion)', { ZKFPVersion: '10', FaceVersion: '7', FaceFunOn: '1' }, { form: 'FACE', version: '7' }, 'face:7'],
    ['FACE table (~ZKFaceVersion)', { ZKFaceVersion: '7' }, { form: 'FACE', version: '7' }, 'face:7'],
    ['BIODATA visible light', { MultiBioDataSupport: '0:1:0:0:0:0:0:0:0:1', MultiBioVersion: '0:10.0:0:0:0:0:0:0:0:58.0', FaceVersion: '7' }, { form: 'BIODATA', type: 9, version: { major: '58', minor: '0' } }, 'face:vl:58.0'],
    ['BIODATA near infrared', { MultiBioDataSupport: '0:1:1:0:0:0:0:0:0:0', MultiBioVersion: '0:10.0:7.0:0:0:0:0:0:0:0' }, { form: 'BIODATA', type: 2, version: { major: '7', minor: '0' } }, 'face:nir:7.0'],
    ['BIODATA without versions', { MultiBioDataSupport: '0:0:0:0:0:0:0:0:0:1' }, { form: 'BIODATA', type: 9 }, undefined],
    ['faces switched off', { FaceFunOn: '0', FaceVersion: '7' }, undefined, undefined],
    ['fingers only', { ZKFPVersion: '10', MultiBioDataSupport: '0:1:0:0:0:0:0:0:0:0' }, undefined, undefined],
    ['a version that is no number', { FaceVersion: '7;REBOOT' }, undefined, undefined],
  ])('%s', (_name, info, capability, algorithm) => {
    expect(faceCapabilityOf(info)).toEqual(capability);
    expect(faceAlgorithmOf(faceCapabilityOf(info))).toBe(algorithm);
  });

  it('a BIODATA face carries its own algorithm; other Types are no face', () => {
    expect(biodataFaceAlgorithm(9, '58', '0')).toBe('face:vl:58.0');
    expect(biodataFaceAlgorithm(2, '07', '00')).toBe('face:nir:7.0');
    expect(biodataFaceAlgorithm(1, '10', '0')).toBeUndefined();
    expect(biodataFaceAlgorithm(10, '32', '2')).toBeUndefined();
  });
});
