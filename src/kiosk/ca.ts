// The local kiosk CA in <dataDir>/kiosk-ca/ (DESIGN.md "Kiosks and apps"): created on first use,
// it issues each kiosk's client certificate (`kiosk enroll`) and the kiosk listener's server
// certificate, and keeps the list of what it issued and what was revoked (`kiosk revoke`).
// Files: ca.key, ca.crt, server.key, server.crt, issued.json (kiosk-issued/v1), revoked.json
// (kiosk-revoked/v1), certs/<serial>.pem (every certificate issued, for audit).
// Invariants:
// - Private keys are made by Node's crypto and written 0600 from their first byte; the directory
//   is 0700. A kiosk's private key never stays on the gateway: it exists only in a private temp
//   directory while its PKCS#12 is written, then is removed.
// - Serials are 128 random bits (top bit clear, so never negative, and never a leading zero
//   nibble), upper-case hex: the form `normalSerial` gives a certificate's serial.
// - issued.json and revoked.json are replaced whole (write, then rename), so a listener reading
//   them never sees half a file; revoking a device revokes every certificate issued to it so far
//   (a later enroll issues a new one).
// - Run by root for a dataDir another user owns (the service user), every file made is handed to
//   that owner, so the daemon can read it.
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../util/errors.js';
import { exportPkcs12, selfSignCa, signLeaf, type P12Cipher } from './openssl.js';

const CA_DAYS = 3650;
export const KIOSK_CERT_DAYS = 730;
const SERVER_CERT_DAYS = 730;
/** a server certificate closer than this to its end is issued again at the listener's start */
const SERVER_RENEW_MS = 30 * 86_400_000;

export interface Owner {
  uid: number;
  gid: number;
}

export function kioskCaDir(dataDir: string): string {
  return join(dataDir, 'kiosk-ca');
}

const issuedSchema = z.object({
  schema: z.literal('kiosk-issued/v1'),
  certificates: z.array(z.object({ deviceId: z.string(), serial: z.string(), notBefore: z.string(), notAfter: z.string(), issuedAt: z.string() })),
});
const revokedSchema = z.object({
  schema: z.literal('kiosk-revoked/v1'),
  revoked: z.array(z.object({ deviceId: z.string(), serial: z.string(), revokedAt: z.string() })),
});

export type IssuedCertificate = z.output<typeof issuedSchema>['certificates'][number];
export type RevokedCertificate = z.output<typeof revokedSchema>['revoked'][number];

/** A certificate's serial as the CA lists it: upper-case hex without leading zeros. */
export function normalSerial(hex: string): string {
  return hex.replace(/[^0-9a-f]/gi, '').replace(/^0+(?=.)/, '').toUpperCase();
}

function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x10;
  return bytes.toString('hex').toUpperCase();
}

function readJson<T>(file: string, schema: z.ZodType<T>, empty: T): T {
  if (!existsSync(file)) return empty;
  const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new GatewayError('GW_ERR_KIOSK_CA', `${file} is not what the kiosk CA wrote: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function readIssued(dir: string): IssuedCertificate[] {
  return readJson(join(dir, 'issued.json'), issuedSchema, { schema: 'kiosk-issued/v1', certificates: [] }).certificates;
}

export function readRevoked(dir: string): RevokedCertificate[] {
  return readJson(join(dir, 'revoked.json'), revokedSchema, { schema: 'kiosk-revoked/v1', revoked: [] }).revoked;
}

export class KioskCa {
  readonly dir: string;
  readonly caCertFile: string;
  private readonly caKeyFile: string;
  private readonly owner: Owner | undefined;

  private constructor(dir: string, owner: Owner | undefined) {
    this.dir = dir;
    this.caCertFile = join(dir, 'ca.crt');
    this.caKeyFile = join(dir, 'ca.key');
    this.owner = owner;
  }

  /** The CA of `dataDir`, created (key, self-signed certificate) when there is none yet. */
  static open(dataDir: string, options: { name: string; owner?: Owner }): { ca: KioskCa; created: boolean } {
    const dir = kioskCaDir(dataDir);
    const ca = new KioskCa(dir, options.owner);
    if (existsSync(ca.caKeyFile) && existsSync(ca.caCertFile)) return { ca, created: false };
    try {
      mkdirSync(join(dir, 'certs'), { recursive: true, mode: 0o700 });
      ca.own(dir);
      ca.own(join(dir, 'certs'));
      ca.writePrivate(ca.caKeyFile, newKeyPem());
      selfSignCa({ keyFile: ca.caKeyFile, outFile: ca.caCertFile, commonName: options.name, days: CA_DAYS, serialHex: newSerial() });
      ca.own(ca.caCertFile);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw new GatewayError('GW_ERR_KIOSK_CA', `cannot create the kiosk CA in ${dir}: ${(error as Error).message}`, { cause: error });
    }
    return { ca, created: true };
  }

  get caPem(): string {
    return readFileSync(this.caCertFile, 'utf8');
  }

  issued(): IssuedCertificate[] {
    return readIssued(this.dir);
  }

  revoked(): RevokedCertificate[] {
    return readRevoked(this.dir);
  }

  /**
   * Issues `deviceId` a client certificate (CN = device id, clientAuth) valid for `days` and writes
   * it with its key and the CA certificate as PKCS#12 to `out` (mode 0600).
   */
  enroll(deviceId: string, options: { out: string; password: string; days?: number; cipher?: P12Cipher }): IssuedCertificate {
    const work = mkdtempSync(join(tmpdir(), 'absensi-kiosk-'));
    try {
      const serial = newSerial();
      const keyFile = join(work, 'kiosk.key');
      const certFile = join(work, 'kiosk.crt');
      writeFileSync(keyFile, newKeyPem(), { mode: 0o600 });
      signLeaf(
        { keyFile, csrFile: join(work, 'kiosk.csr'), extFile: join(work, 'kiosk.ext'), outFile: certFile, caCert: this.caCertFile, caKey: this.caKeyFile, commonName: deviceId, days: options.days ?? KIOSK_CERT_DAYS, serialHex: serial },
        ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'],
      );
      const p12 = join(work, 'kiosk.p12');
      exportPkcs12({ keyFile, certFile, caFile: this.caCertFile, name: deviceId, outFile: p12, password: options.password, cipher: options.cipher ?? 'compatible' });
      writeFileSync(options.out, readFileSync(p12), { mode: 0o600 });
      chmodSync(options.out, 0o600);
      const pem = readFileSync(certFile, 'utf8');
      this.writeFile(join(this.dir, 'certs', `${serial}.pem`), pem);
      const x509 = new X509Certificate(pem);
      const entry: IssuedCertificate = { deviceId, serial: normalSerial(x509.serialNumber), notBefore: isoOf(x509.validFrom), notAfter: isoOf(x509.validTo), issuedAt: new Date().toISOString() };
      this.replaceJson('issued.json', { schema: 'kiosk-issued/v1', certificates: [...this.issued(), entry] });
      return entry;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** Revokes every certificate issued to `deviceId` not revoked yet; returns those it revoked. */
  revoke(deviceId: string, now = new Date()): RevokedCertificate[] {
    const revoked = this.revoked();
    const already = new Set(revoked.map((r) => r.serial));
    const added = this.issued()
      .filter((c) => c.deviceId === deviceId && !already.has(c.serial))
      .map((c) => ({ deviceId, serial: c.serial, revokedAt: now.toISOString() }));
    if (added.length > 0) this.replaceJson('revoked.json', { schema: 'kiosk-revoked/v1', revoked: [...revoked, ...added] });
    return added;
  }

  /**
   * The listener's server certificate, issued again when missing, closer than 30 days to its end,
   * or not naming every one of `names` (host names and addresses the kiosks reach it by).
   */
  serverCertificate(names: readonly string[], now = Date.now()): { key: string; cert: string } {
    const keyFile = join(this.dir, 'server.key');
    const certFile = join(this.dir, 'server.crt');
    if (!serverCertificateFits(keyFile, certFile, names, now)) {
      const work = mkdtempSync(join(tmpdir(), 'absensi-kiosk-'));
      try {
        const freshKey = join(work, 'server.key');
        writeFileSync(freshKey, newKeyPem(), { mode: 0o600 });
        const alt = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
        signLeaf(
          { keyFile: freshKey, csrFile: join(work, 'server.csr'), extFile: join(work, 'server.ext'), outFile: join(work, 'server.crt'), caCert: this.caCertFile, caKey: this.caKeyFile, commonName: names[0] ?? 'localhost', days: SERVER_CERT_DAYS, serialHex: newSerial() },
          ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', `subjectAltName=${alt}`],
        );
        this.writePrivate(keyFile, readFileSync(freshKey, 'utf8'));
        this.writeFile(certFile, readFileSync(join(work, 'server.crt'), 'utf8'));
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  }

  private replaceJson(name: string, value: unknown): void {
    const file = join(this.dir, name);
    const temp = `${file}.${process.pid}.tmp`;
    this.writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(temp, file);
  }

  private writePrivate(file: string, text: string): void {
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600);
    this.own(file);
  }

  private writeFile(file: string, text: string): void {
    writeFileSync(file, text, { mode: 0o644 });
    this.own(file);
  }

  private own(path: string): void {
    if (this.owner) chownSync(path, this.owner.uid, this.owner.gid);
  }
}

function newKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
}

function isoOf(x509Date: string): string {
  return new Date(x509Date).toISOString();
}

function serverCertificateFits(keyFile: string, certFile: string, names: readonly string[], now: number): boolean {
  if (!existsSync(keyFile) || !existsSync(certFile) || statSync(keyFile).size === 0) return false;
  const cert = new X509Certificate(readFileSync(certFile));
  if (Date.parse(cert.validTo) - now < SERVER_RENEW_MS) return false;
  const alt = new Set((cert.subjectAltName ?? '').split(', ').map((entry) => entry.replace(/^(DNS|IP Address):/, '')));
  return names.every((name) => alt.has(name));
}
