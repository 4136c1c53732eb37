// Digest client against the public example vectors of RFC 7616 §3.9.1 (MD5 and SHA-256, the
// "Mufasa" example) and RFC 2617 §3.5, plus challenge parsing and the nonce count.
import { describe, expect, it } from 'vitest';
import { DigestSession, digestAuthorization, digestResponse, parseDigestChallenge, type DigestChallenge } from '../../../drivers/hikvision-isapi/digest.js';

const RFC7616 = {
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  username: 'Mufasa',
  password: 'Circle of Life',
  uri: '/dir/index.html',
};

describe('digestResponse: RFC example vectors', () => {
  it.each([
    ['RFC 7616 §3.9.1 MD5', 'MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['RFC 7616 §3.9.1 SHA-256', 'SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const)('%s', (_name, algorithm, expected) => {
    const challenge: DigestChallenge = { realm: RFC7616.realm, nonce: RFC7616.nonce, algorithm, qop: ['auth', 'auth-int'], opaque: RFC7616.opaque, stale: false };
    const out = digestResponse({ challenge, method: 'GET', uri: RFC7616.uri, username: RFC7616.username, password: RFC7616.password, nc: 1, cnonce: RFC7616.cnonce });
    expect(out).toEqual({ response: expected, qop: 'auth' });
  });

  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const challenge: DigestChallenge = { realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', algorithm: 'MD5', qop: ['auth'], opaque: '5ccc069c403ebaf9f0171e9517f40e41', stale: false };
    const out = digestResponse({ challenge, method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life', nc: 1, cnonce: '0a4f113b' });
    expect(out.response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('refuses a challenge offering only auth-int', () => {
    const challenge: DigestChallenge = { realm: 'r', nonce: 'n', algorithm: 'MD5', qop: ['auth-int'], stale: false };
    expect(() => digestResponse({ challenge, method: 'GET', uri: '/', username: 'u', password: 'p', nc: 1, cnonce: 'c' })).toThrow(/qop=auth-int/);
  });

  it('answers an RFC 2069 challenge (no qop) without nc/cnonce', () => {
    const header = digestAuthorization({ challenge: { realm: 'r', nonce: 'n', algorithm: 'MD5', qop: [], stale: false }, method: 'GET', uri: '/x', username: 'u', password: 'p', nc: 1, cnonce: 'c' });
    expect(header).not.toMatch(/nc=|cnonce=|qop=/);
  });
});

describe('parseDigestChallenge', () => {
  it.each([
    ['Hikvision style', 'Digest qop="auth", realm="IP Camera(C6359)", nonce="4e5468694e7a42694e7a4d364f4745785a6d4a6b4e6a633d", stale="FALSE"', { realm: 'IP Camera(C6359)', algorithm: 'MD5', qop: ['auth'], stale: false }],
    ['stale TRUE', 'Digest realm="r", nonce="abc", qop="auth", stale=TRUE', { stale: true }],
    ['SHA-256 preferred of two', ['Digest realm="r", nonce="a", algorithm=MD5, qop="auth"', 'Digest realm="r", nonce="b", algorithm=SHA-256, qop="auth"'], { algorithm: 'SHA-256', nonce: 'b' }],
    ['two challenges in one header', 'Digest realm="r", nonce="a", algorithm=MD5, qop="auth", Digest realm="r", nonce="b", algorithm=SHA-256, qop="auth"', { algorithm: 'SHA-256' }],
    ['escaped quote', 'Digest realm="a\\"b", nonce="n"', { realm: 'a"b' }],
  ] as const)('%s', (_name, header, expected) => {
    expect(parseDigestChallenge(header as string | string[])).toMatchObject(expected);
  });

  it.each([['Basic realm="x"'], ['Digest realm="x"'], ['Digest realm="x", nonce="n", algorithm=SHA-512-256'], ['']])('no usable challenge in %j', (header) => {
    expect(parseDigestChallenge(header)).toBeUndefined();
  });
});

describe('DigestSession', () => {
  it('counts nc per nonce and restarts it with a new challenge', () => {
    const session = new DigestSession('admin', 'secret', () => 'cn');
    expect(session.authorize('GET', '/')).toBeUndefined();
    session.accept({ realm: 'r', nonce: 'n1', algorithm: 'MD5', qop: ['auth'], stale: false });
    expect(session.authorize('GET', '/')).toMatch(/nc=00000001/);
    expect(session.authorize('GET', '/')).toMatch(/nc=00000002/);
    session.accept({ realm: 'r', nonce: 'n2', algorithm: 'MD5', qop: ['auth'], stale: true });
    const header = session.authorize('POST', '/ISAPI/AccessControl/AcsEvent?format=json')!;
    expect(header).toMatch(/nc=00000001/);
    expect(header).toContain('uri="/ISAPI/AccessControl/AcsEvent?format=json"');
    expect(header).not.toContain('secret');
  });
});
