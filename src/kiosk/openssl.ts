// The openssl CLI as the local kiosk CA uses it: certificate signing and PKCS#12 export, the parts
// Node's crypto does not do (it makes the keys and reads certificates: X509Certificate). No
// ASN.1 is written by hand anywhere in the gateway.
// Invariants:
// - Arguments go to execFileSync as an array (no shell); secrets (the PKCS#12 password) go on
//   stdin, never on the command line where `ps` would show them.
// - A failure is a GatewayError GW_ERR_KIOSK_CA with openssl's first error line, never its
//   input.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { GatewayError } from '../util/errors.js';

/** `OPENSSL` in the environment, else the one on PATH. */
function opensslBinary(): string {
  return process.env.OPENSSL ?? 'openssl';
}

export function openssl(args: readonly string[], input?: string): void {
  try {
    execFileSync(opensslBinary(), args, { stdio: ['pipe', 'ignore', 'pipe'], ...(input !== undefined ? { input } : {}) });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').split('\n').find((line) => line.trim() !== '') ?? (error as Error).message;
    throw new GatewayError('GW_ERR_KIOSK_CA', `openssl ${args[0] ?? ''} failed: ${stderr.slice(0, 200)}`, { cause: error });
  }
}

/** Self-signed CA certificate for an existing key. */
export function selfSignCa(options: { keyFile: string; outFile: string; commonName: string; days: number; serialHex: string }): void {
  openssl([
    'req', '-x509', '-new', '-sha256', '-key', options.keyFile, '-days', String(options.days),
    '-subj', `/CN=${subjectValue(options.commonName)}`, '-set_serial', `0x${options.serialHex}`,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
    '-out', options.outFile,
  ]);
}

export interface LeafRequest {
  keyFile: string;
  csrFile: string;
  extFile: string;
  outFile: string;
  caCert: string;
  caKey: string;
  commonName: string;
  /** negative: a certificate already expired (tests) */
  days: number;
  serialHex: string;
}

/** A leaf certificate signed by the CA; `extensions` are openssl x509v3 config lines. */
export function signLeaf(request: LeafRequest, extensions: readonly string[]): void {
  writeFileSync(request.extFile, `${extensions.join('\n')}\n`, { mode: 0o600 });
  openssl(['req', '-new', '-key', request.keyFile, '-subj', `/CN=${subjectValue(request.commonName)}`, '-out', request.csrFile]);
  openssl([
    'x509', '-req', '-sha256', '-in', request.csrFile, '-CA', request.caCert, '-CAkey', request.caKey,
    '-days', String(request.days), '-set_serial', `0x${request.serialHex}`, '-extfile', request.extFile, '-out', request.outFile,
  ]);
}

/**
 * PBE-SHA1-3DES with a SHA-1 MAC is what every Android, Windows and Java key store imports;
 * OpenSSL 3's default (AES-256-CBC, PBKDF2) is refused by Android before 12 and older Windows.
 */
export type P12Cipher = 'compatible' | 'aes256';

export function exportPkcs12(options: { keyFile: string; certFile: string; caFile: string; name: string; outFile: string; password: string; cipher: P12Cipher }): void {
  const legacy = options.cipher === 'compatible' ? ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'] : [];
  openssl(
    ['pkcs12', '-export', '-inkey', options.keyFile, '-in', options.certFile, '-certfile', options.caFile, '-name', options.name, ...legacy, '-passout', 'stdin', '-out', options.outFile],
    `${options.password}\n`,
  );
}

/** A value in openssl's `-subj /CN=…` form: `/`, `+`, `=` and `\` escaped. */
function subjectValue(text: string): string {
  return text.replace(/[\\/+=]/g, (c) => `\\${c}`);
}
