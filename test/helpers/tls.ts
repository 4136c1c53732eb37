// Throwaway PKI for TLS tests, made with the openssl CLI (no test keys are committed).
// Invariants:
// - Generated once per test process (vitest forks: once per test file) into a fresh temp dir,
//   removed when the process exits.
// - The server certificate is valid for IP 127.0.0.1 and DNS localhost only; tests never listen
//   on another address.
// - `client` is signed by `ca` (mTLS succeeds); `otherCa` and `strangerClient` belong to an
//   unrelated CA, for "wrong CA" and "untrusted client certificate" cases.
// - EC P-256 keys: generating them takes milliseconds, RSA would take seconds.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OPENSSL = '/usr/bin/openssl';

export interface PemPair {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

export interface TlsFixture {
  dir: string;
  /** trust anchor for `server` and `client` */
  ca: PemPair;
  /** CN=localhost, SAN IP:127.0.0.1, DNS:localhost, serverAuth; signed by `ca` */
  server: PemPair;
  /** CN=absensi-test-client, clientAuth; signed by `ca` */
  client: PemPair;
  /** an unrelated CA: trusting it instead of `ca` must fail verification */
  otherCa: PemPair;
  /** a client certificate signed by `otherCa`: a server trusting `ca` must refuse it */
  strangerClient: PemPair;
}

let cached: TlsFixture | undefined;

export function tlsFixture(): TlsFixture {
  cached ??= generate();
  return cached;
}

function generate(): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'absensi-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ca = selfSignedCa(dir, 'ca', 'absensi-test-ca');
  const otherCa = selfSignedCa(dir, 'other-ca', 'absensi-other-ca');
  const server = signedLeaf(dir, {
    name: 'server',
    cn: 'localhost',
    issuer: ca,
    extensions: ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth'],
  });
  const client = signedLeaf(dir, { name: 'client', cn: 'absensi-test-client', issuer: ca, extensions: ['extendedKeyUsage=clientAuth'] });
  const strangerClient = signedLeaf(dir, {
    name: 'stranger-client',
    cn: 'absensi-stranger-client',
    issuer: otherCa,
    extensions: ['extendedKeyUsage=clientAuth'],
  });
  return { dir, ca, server, client, otherCa, strangerClient };
}

function openssl(args: string[]): void {
  execFileSync(OPENSSL, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function pair(dir: string, name: string): PemPair {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function selfSignedCa(dir: string, name: string, cn: string): PemPair {
  openssl([
    'req', '-x509', ...EC_KEY, '-sha256', '-days', '2',
    '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`),
  ]);
  return pair(dir, name);
}

interface LeafSpec {
  name: string;
  cn: string;
  issuer: PemPair;
  extensions: string[];
}

function signedLeaf(dir: string, spec: LeafSpec): PemPair {
  const csr = join(dir, `${spec.name}.csr`);
  const ext = join(dir, `${spec.name}.ext`);
  writeFileSync(ext, ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', ...spec.extensions, ''].join('\n'));
  openssl(['req', '-new', ...EC_KEY, '-subj', `/CN=${spec.cn}`, '-keyout', join(dir, `${spec.name}.key`), '-out', csr]);
  openssl([
    'x509', '-req', '-sha256', '-days', '2', '-in', csr,
    '-CA', spec.issuer.certPath, '-CAkey', spec.issuer.keyPath, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-extfile', ext, '-out', join(dir, `${spec.name}.crt`),
  ]);
  return pair(dir, spec.name);
}
