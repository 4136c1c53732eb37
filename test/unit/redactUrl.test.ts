// redactUrl (issue #15 finding 11): URLs are split by parsing, and nothing of the user info, the
// query or the fragment ever comes out, whether the URL parses or not.
import { describe, expect, it } from 'vitest';
import { hideUrlSecrets, redactUrl } from '../../src/util/redactUrl.js';

describe('redactUrl', () => {
  it.each([
    // [input, shown, a secret that must not appear]
    ['mqtt://user:Pass@2026@host', 'mqtt://***@host', 'Pass'],
    ['mqtt://user:Pass@2026@broker.example.go.id:1883', 'mqtt://***@broker.example.go.id:1883', '2026'],
    ['mqtts://gw-bkpp:s3cr3t@broker.example.go.id:8883', 'mqtts://***@broker.example.go.id:8883', 's3cr3t'],
    ['mqtts://u:p%40ss@broker:8883', 'mqtts://***@broker:8883', 'p%40ss'],
    ['mqtt://:only-a-password@host', 'mqtt://***@host', 'only-a-password'],
    ['mqtt://just-a-user@host', 'mqtt://***@host', 'just-a-user'],
    ['https://user:p@ss@absensi.example.go.id/api/punches', 'https://***@absensi.example.go.id/api/punches', 'p@ss'],
    ['https://absensi.example.go.id/api/punches?token=abc123#x', 'https://absensi.example.go.id/api/punches?***', 'abc123'],
    ['ws://u:pw@host:8080/mqtt', 'ws://***@host:8080/mqtt', 'pw@'],
    ['tcp://u:secret@10.0.0.5', 'tcp://***@10.0.0.5', 'secret'],
    // passwords with characters that end the authority early: the text does not parse, or parses wrongly
    ['mqtt://user:pa/ss@host', 'mqtt://***@host', 'pa/ss'],
    ['mqtt://user:pa?ss@host', 'mqtt://***@host', 'pa'],
    ['mqtt://user:pa#ss@host', 'mqtt://***@host', 'pa#'],
    ['https://user:1234/ss@host/api', 'https://***@host/api', '1234'],
    ['mqtt://user:pa@x/y@host', 'mqtt://***@host', 'x/y'],
    ['mqtt://us er:pa ss@ho st', 'mqtt://***@ho st', 'pa ss'],
    ['user:pw@host:1883', '***@host:1883', 'pw'],
  ])('%s → %s', (input, shown, secret) => {
    const out = redactUrl(input);
    expect(out).toBe(shown);
    expect(out).not.toContain(secret);
  });

  it.each([
    ['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:1883'],
    ['mqtt://[::1]:1883', 'mqtt://[::1]:1883'],
    ['https://absensi.example.go.id/api/punches', 'https://absensi.example.go.id/api/punches'],
    ['not a url', 'not a url'],
  ])('%s without credentials is shown as it is', (input, shown) => {
    expect(redactUrl(input)).toBe(shown);
  });
});

describe('hideUrlSecrets', () => {
  it('replaces the URL by its redacted form and the password, as written or decoded, anywhere in a text', () => {
    const url = 'mqtt://user:Pass%402026@host:1883';
    const text = `connect to ${url} failed; the broker said Pass@2026 and Pass%402026 are wrong`;
    const out = hideUrlSecrets(text, url);
    expect(out).toBe('connect to mqtt://***@host:1883 failed; the broker said [redacted] and [redacted] are wrong');
  });

  it('also hides a configured password that is not in the URL', () => {
    expect(hideUrlSecrets('auth for gw with hunter22 refused', 'mqtt://host', ['hunter22', undefined])).toBe('auth for gw with [redacted] refused');
  });
});
