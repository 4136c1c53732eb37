// The gateway's log signing key: `{dataDir}/log-key.pem`, Ed25519 in PKCS#8 PEM, mode 0600
// (DESIGN.md "Punch log: tamper-evident, signed").
// Invariants:
// - The key is created once, when absent: written whole to a temporary file (0600, fsync'ed),
//   then linked into place, which fails if another process got there first (its key is then
//   used). A crash leaves either no key or a whole one, never half of one.
// - A key file that its group or others may access, that is not a file, or that does not hold an
//   Ed25519 private key is refused with GatewayError (GW_ERR_LOG_KEY_INSECURE / _INVALID): the
//   gateway does not start rather than sign with a key others may have read.
// - The key's bytes never reach a log line, an error text or a returned value: callers get the
//   signer and the public verifier key (vkey) only.
import { randomBytes, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chownSync, closeSync, fsyncSync, linkSync, lstatSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ErrorCode } from '../util/catalogue.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { ed25519Signer, type NoteSigner, type NoteVerifier } from './note.js';

export const LOG_KEY_FILE = 'log-key.pem';

/** What a key file is for, in the words and codes of its errors (the centre's command key reads the same way). */
export interface KeyKind {
  /** `log key`, `command key` */
  label: string;
  invalid: ErrorCode;
  insecure: ErrorCode;
  /** what to do after deleting an insecure key */
  renew: string;
}

export const LOG_KEY_KIND: KeyKind = { label: 'log key', invalid: 'GW_ERR_LOG_KEY_INVALID', insecure: 'GW_ERR_LOG_KEY_INSECURE', renew: 'tell the centre the new one: absensi-gateway log key' };

export interface LogKey {
  /** the file it was read from */
  file: string;
  /** the key name: absensi-gateway/{site}/{gatewayId} */
  name: string;
  /** `<name>+<key id>+<base64(0x01 ‖ public key)>`: what a centre verifies checkpoints with */
  vkey: string;
  signer: NoteSigner;
  verifier: NoteVerifier;
}

export function logKeyFile(dataDir: string): string {
  return join(dataDir, LOG_KEY_FILE);
}

/** Whether a key file is there at all (whatever its state). */
export function logKeyExists(file: string, kind: KeyKind = LOG_KEY_KIND): boolean {
  try {
    lstatSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new GatewayError(kind.invalid, `${kind.label} ${file}: ${errorMessage(error)}`);
  }
}

/** Reads the key at `file`; GatewayError when it is missing, unsafe or not an Ed25519 private key. */
export function readLogKey(file: string, name: string, kind: KeyKind = LOG_KEY_KIND): LogKey {
  const { label } = kind;
  let stat;
  try {
    stat = lstatSync(file);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GatewayError(kind.invalid, missing ? `${label} ${file} does not exist` : `${label} ${file}: ${errorMessage(error)}`);
  }
  if (!stat.isFile()) throw new GatewayError(kind.invalid, `${label} ${file} is not a regular file`);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new GatewayError(kind.insecure, `${label} ${file} has mode ${mode}: others than its owner may read or change it; it may be known, so it is not used. Run chmod 600 ${file} if no one else can have read it, else delete it (a new key is created; ${kind.renew})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: readFileSync(file), format: 'pem' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // the parser's message says nothing of the content, but keep to our own words anyway
    const why = code === 'EACCES' || code === 'EPERM' ? errorMessage(error) : 'not a PEM private key';
    throw new GatewayError(kind.invalid, `${label} ${file}: ${why}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new GatewayError(kind.invalid, `${label} ${file} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key, not Ed25519`);
  const signer = ed25519Signer(name, key);
  return { file, name, vkey: signer.verifier.vkey, signer, verifier: signer.verifier };
}

export interface CreateOptions {
  /** chown the new key to this owner (the `log key` command run by root for the service user) */
  owner?: { uid: number; gid: number };
  /** what the key is for (default the punch log's) */
  kind?: KeyKind;
}

/** Reads the key at `file`, creating it first when there is none. `created` says which. */
export function loadOrCreateLogKey(file: string, name: string, options: CreateOptions = {}): LogKey & { created: boolean } {
  const kind = options.kind ?? LOG_KEY_KIND;
  if (logKeyExists(file, kind)) return { ...readLogKey(file, name, kind), created: false };
  const created = createKeyFile(file, options);
  return { ...readLogKey(file, name, kind), created };
}

/** Writes a new key unless one appeared meanwhile; true when this call wrote it. */
function createKeyFile(file: string, options: CreateOptions): boolean {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, pem);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.owner) chownSync(temp, options.owner.uid, options.owner.gid);
    try {
      linkSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    syncDirectory(dirname(file));
    return true;
  } catch (error) {
    const kind = options.kind ?? LOG_KEY_KIND;
    throw new GatewayError(kind.invalid, `${kind.label} ${file} cannot be created: ${errorMessage(error)}`);
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // it was never written
    }
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a directory; the link is there either way
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
