// `absensi-gateway kiosk enroll|revoke` and `check` as the operator runs them (the real CLI), and
// the kiosk's certificate in /api/devices.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../src/api/app.js';
import { readIssued, readRevoked } from '../../src/kiosk/ca.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/tmp.js';
import { kioskConfigYaml, startKioskGateway } from './harness.js';

const run = promisify(execFile);
const cli = (args: string[]) => run('node', ['--import', 'tsx', 'src/main.ts', ...args]);

let tmp: ReturnType<typeof tempDir>;
let configFile: string;
let caDir: string;

beforeAll(() => {
  tmp = tempDir();
  configFile = join(tmp.dir, 'config.yaml');
  writeFileSync(configFile, kioskConfigYaml(tmp.dir, ['lobby-kiosk']).replace("devices:\n", "devices:\n  - {id: lobby-1, driver: zk-tcp, host: 192.0.2.10}\n"));
  caDir = join(tmp.dir, 'data', 'kiosk-ca');
  // the .deb creates dataDir for the service user; enroll uses it, never creates it
  mkdirSync(join(tmp.dir, 'data'), { mode: 0o700 });
});
afterAll(() => tmp.cleanup());

describe('kiosk enroll', () => {
  it('writes a PKCS#12 (0600) with a 2-year client certificate, CN = device id, the CA on first use; check then stops warning', async () => {
    const warned = JSON.parse((await cli(['check', '--config', configFile, '--json'])).stdout) as { warnings: string[] };
    expect(warned.warnings).toContainEqual(expect.stringMatching(/lobby-kiosk.*no valid certificate.*kiosk enroll lobby-kiosk/));

    const passwordFile = join(tmp.dir, 'p12.pass');
    writeFileSync(passwordFile, 'sandi-kiosk-1\n', { mode: 0o600 });
    const out = join(tmp.dir, 'lobby-kiosk.p12');
    const { stdout } = await cli(['kiosk', 'enroll', 'lobby-kiosk', '--out', out, '--password-file', passwordFile, '--config', configFile, '--json']);
    const result = JSON.parse(stdout) as { serial: string; notBefore: string; notAfter: string; password?: string };
    expect(result.password).toBeUndefined();
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(statSync(join(caDir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(caDir, 'server.key'), { throwIfNoEntry: false })).toBeUndefined();

    // the file opens with its password, as a TLS client would load it
    expect(() => createSecureContext({ pfx: readFileSync(out), passphrase: 'sandi-kiosk-1' })).not.toThrow();
    expect(() => createSecureContext({ pfx: readFileSync(out), passphrase: 'wrong' })).toThrow();
    const certPem = readFileSync(join(caDir, 'certs', `${result.serial}.pem`), 'utf8');
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toBe('CN=lobby-kiosk');
    expect(cert.checkIssued(new X509Certificate(readFileSync(join(caDir, 'ca.crt'))))).toBe(true);
    expect((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000).toBe(730);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(readIssued(caDir)).toEqual([expect.objectContaining({ deviceId: 'lobby-kiosk', serial: result.serial })]);

    const clean = JSON.parse((await cli(['check', '--config', configFile, '--json'])).stdout) as { warnings: string[] };
    expect(clean.warnings.filter((w) => w.includes('lobby-kiosk'))).toEqual([]);
  });

  it('without --password-file makes up a password and prints it once', async () => {
    const out = join(tmp.dir, 'second.p12');
    const { stdout } = await cli(['kiosk', 'enroll', 'lobby-kiosk', '--out', out, '--config', configFile]);
    const password = /^password: (\S+)$/m.exec(stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(() => createSecureContext({ pfx: readFileSync(out), passphrase: password })).not.toThrow();
  });

  it('refuses a device that is no kiosk entry (exit 64), issuing nothing', async () => {
    const before = readIssued(caDir).length;
    const failure = await cli(['kiosk', 'enroll', 'lobby-1', '--out', join(tmp.dir, 'x.p12'), '--config', configFile]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(failure).toMatchObject({ code: 64, stderr: expect.stringMatching(/^GW_ERR_KIOSK_CA: lobby-1 is not a kiosk entry/) });
    expect(readIssued(caDir)).toHaveLength(before);
  });
});

describe('kiosk revoke', () => {
  it('revokes every certificate of the kiosk; check and /api/devices say so', async () => {
    const { stdout } = await cli(['kiosk', 'revoke', 'lobby-kiosk', '--config', configFile, '--json']);
    const issued = readIssued(caDir).map((c) => c.serial);
    expect((JSON.parse(stdout) as { revoked: { serial: string }[] }).revoked.map((r) => r.serial)).toEqual(issued);
    expect(readRevoked(caDir).map((r) => r.serial)).toEqual(issued);
    const warned = JSON.parse((await cli(['check', '--config', configFile, '--json'])).stdout) as { warnings: string[] };
    expect(warned.warnings).toContainEqual(expect.stringMatching(/lobby-kiosk.*no valid certificate \(revoked\)/));

    const gateway = await startKioskGateway(tmp.dir, ['lobby-kiosk']);
    try {
      const app = await buildApiApp({ view: gateway.view, token: gateway.config.api.token, log: silentLogger() });
      const devices = (await app.inject('/api/devices')).json() as { devices: { id: string; kiosk?: unknown; lastPunchAt: unknown; clockSkewSec: unknown }[] };
      const kiosk = devices.devices.find((d) => d.id === 'lobby-kiosk');
      expect(kiosk).toMatchObject({ lastPunchAt: null, clockSkewSec: null, kiosk: { valid: 0, certificate: { serial: issued.at(-1), revoked: true, expired: false, notAfter: expect.any(String) } } });
      await app.close();
    } finally {
      await gateway.stop();
    }
  });
});
