// src/log/logKey.ts: the key file is created once (0600, PKCS#8 PEM, Ed25519), read back as the
// same key, and refused when others may read it, when it is no file or no Ed25519 private key;
// no error text carries the key. The gateway creates it on its first start and refuses to start
// with one others may read.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import { loadOrCreateLogKey, logKeyExists, logKeyFile, readLogKey } from '../../src/log/logKey.js';
import { openNote, signNote } from '../../src/log/note.js';
import { GatewayError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/tmp.js';

const NAME = 'absensi-gateway/BKPP/oki-bkpp-01';
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function refusal(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('the log key file', () => {
  it('is created when absent, 0600, an Ed25519 PKCS#8 PEM, and read back as the same key', () => {
    const file = logKeyFile(tmp.dir);
    expect(logKeyExists(file)).toBe(false);
    const created = loadOrCreateLogKey(file, NAME);
    expect(created.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(created.vkey).toMatch(/^absensi-gateway\/BKPP\/oki-bkpp-01\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    const again = loadOrCreateLogKey(file, NAME);
    expect(again.created).toBe(false);
    expect(again.vkey).toBe(created.vkey);
    expect(openNote(signNote('hello\n', again.signer), [created.verifier]).text).toBe('hello\n');
  });

  it('two gateways racing to create it end up with one key', () => {
    const file = logKeyFile(tmp.dir);
    const keys = Array.from({ length: 5 }, () => loadOrCreateLogKey(file, NAME));
    expect(new Set(keys.map((k) => k.vkey)).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o700])('a key file with mode %o is refused as insecure, naming the fix', (mode) => {
    const file = logKeyFile(tmp.dir);
    loadOrCreateLogKey(file, NAME);
    chmodSync(file, mode);
    if ((mode & 0o077) === 0) {
      expect(readLogKey(file, NAME).vkey).toMatch(/^absensi-gateway/);
      return;
    }
    const error = refusal(() => loadOrCreateLogKey(file, NAME));
    expect(error.code).toBe('GW_ERR_LOG_KEY_INSECURE');
    expect(error.message).toContain(`chmod 600 ${file}`);
  });

  it('a malformed key, a key of another type, a directory or an unreadable path is refused as invalid, never quoted', () => {
    const file = logKeyFile(tmp.dir);
    const secretish = '-----BEGIN PRIVATE KEY-----\nTUFMRk9STUVEU0VDUkVU\n-----END PRIVATE KEY-----\n';
    writeFileSync(file, secretish, { mode: 0o600 });
    const malformed = refusal(() => loadOrCreateLogKey(file, NAME));
    expect(malformed.code).toBe('GW_ERR_LOG_KEY_INVALID');
    expect(malformed.message).not.toContain('TUFMRk9STUVEU0VDUkVU');
    const rsa = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    writeFileSync(file, rsa, { mode: 0o600 });
    const other = refusal(() => readLogKey(file, NAME));
    expect(other.code).toBe('GW_ERR_LOG_KEY_INVALID');
    expect(other.message).toContain('not Ed25519');
    expect(other.message).not.toContain(rsa.split('\n')[1]);
    const dir = join(tmp.dir, 'sub');
    mkdirSync(join(dir, 'log-key.pem'), { recursive: true });
    expect(refusal(() => loadOrCreateLogKey(logKeyFile(dir), NAME)).code).toBe('GW_ERR_LOG_KEY_INVALID');
    expect(refusal(() => loadOrCreateLogKey(join(tmp.dir, 'missing', 'log-key.pem'), NAME)).code).toBe('GW_ERR_LOG_KEY_INVALID');
    expect(refusal(() => readLogKey(join(tmp.dir, 'none.pem'), NAME).vkey).message).toContain('does not exist');
  });
});

describe('the gateway and its key', () => {
  it('creates the key on first start and keeps it; refuses to start, before opening the buffer, when others may read it', async () => {
    const dataDir = join(tmp.dir, 'data');
    const config = parseConfigText(`gateway: {id: gw-key, site: KEY, dataDir: ${dataDir}}\n`, 'key.yaml', { drivers: [] });
    const first = new Gateway(config, { log: silentLogger(), drivers: [] });
    await first.start();
    const vkey = first.logKey?.vkey;
    expect(vkey).toMatch(/^absensi-gateway\/KEY\/gw-key\+/);
    await first.stop();
    const second = new Gateway(config, { log: silentLogger(), drivers: [] });
    await second.start();
    expect(second.logKey?.vkey).toBe(vkey);
    await second.stop();
    chmodSync(logKeyFile(dataDir), 0o640);
    rmSync(join(dataDir, 'buffer.db'), { force: true });
    const third = new Gateway(config, { log: silentLogger(), drivers: [] });
    await expect(third.start()).rejects.toMatchObject({ code: 'GW_ERR_LOG_KEY_INSECURE' });
    expect(existsSync(join(dataDir, 'buffer.db'))).toBe(false);
  });
});
