// `absensi-gateway kiosk enroll|revoke`: the local kiosk CA from the command line (DESIGN.md
// "Kiosks and apps", README "Kiosks").
// Invariants:
// - Only a device that is a kiosk entry of the config (`driver: kiosk`) is enrolled or revoked.
// - `enroll` writes one PKCS#12 file (mode 0600) holding the kiosk's key, its certificate (CN =
//   device id, 2 years) and the CA certificate; the password comes from --password-file (its first
//   line), or is made up and printed once. Neither is ever written anywhere else.
// - `revoke` takes effect on the running daemon's next request from that kiosk: the listener
//   rereads revoked.json, no restart.
// - Like `log key`, files are created only where the daemon can read them: by dataDir's owner, or
//   by root, who hands them to that owner.
// - Exit codes: 0 done, 64 bad arguments (EX_USAGE: not a kiosk entry, an unreadable or empty
//   password file), 69 the CA is unusable (EX_UNAVAILABLE), 78 a bad config (EX_CONFIG).
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { isKioskEntry } from '../devices/definition.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { KioskCa, type Owner } from '../kiosk/ca.js';
import type { P12Cipher } from '../kiosk/openssl.js';
import { kioskCaName } from '../kiosk/start.js';
import { errorMessage, GatewayError } from '../util/errors.js';
import { EXIT_CONFIG } from './check.js';
import { ownerFor } from './log.js';

const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;

class UsageError extends Error {}

interface EnrollOptions {
  config: string;
  out: string;
  passwordFile?: string;
  p12Cipher: string;
  json?: boolean;
}

/** The config, the kiosk entry's id checked, and the CA (created on first use). */
function openFor(configFile: string, deviceId: string): { config: GatewayConfig; ca: KioskCa } {
  const config = loadConfigFile(configFile, { drivers: BUILTIN_DRIVERS });
  const device = config.devices.find((d) => d.id === deviceId);
  if (!device || !isKioskEntry(device, BUILTIN_DRIVERS)) {
    const kiosks = config.devices.filter((d) => isKioskEntry(d, BUILTIN_DRIVERS)).map((d) => d.id);
    throw new UsageError(`${deviceId} is not a kiosk entry of ${configFile} (driver: kiosk); kiosks there: ${kiosks.join(', ') || 'none'}`);
  }
  const owner = ownerFor(config.gateway.dataDir);
  if (!owner.ok) throw new GatewayError('GW_ERR_KIOSK_CA', `cannot use the kiosk CA in ${config.gateway.dataDir}: ${owner.why}`);
  const chown: Owner | undefined = owner.chown;
  const { ca, created } = KioskCa.open(config.gateway.dataDir, { name: kioskCaName(config.gateway), ...(chown ? { owner: chown } : {}) });
  if (created) process.stderr.write(`created the kiosk CA in ${ca.dir}\n`);
  return { config, ca };
}

function passwordOf(file: string | undefined): { password: string; generated: boolean } {
  if (file === undefined) return { password: randomBytes(12).toString('base64url'), generated: true };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the password file ${file}: ${errorMessage(error)}`);
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password.length < 4) throw new UsageError(`the password file ${file} must hold a password of at least 4 characters on its first line`);
  return { password, generated: false };
}

function run(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = EXIT_CONFIG;
    } else if (error instanceof UsageError) {
      process.stderr.write(`GW_ERR_KIOSK_CA: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else if (error instanceof GatewayError) {
      process.stderr.write(`${error.code}: ${error.message}\n`);
      process.exitCode = EXIT_UNAVAILABLE;
    } else throw error;
  }
}

function enroll(deviceId: string, options: EnrollOptions): void {
  if (options.p12Cipher !== 'compatible' && options.p12Cipher !== 'aes256') throw new UsageError('--p12-cipher is compatible or aes256');
  const { password, generated } = passwordOf(options.passwordFile);
  const { ca } = openFor(options.config, deviceId);
  const issued = ca.enroll(deviceId, { out: options.out, password, cipher: options.p12Cipher as P12Cipher });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...issued, file: options.out, ...(generated ? { password } : {}) })}\n`);
    return;
  }
  process.stdout.write(`${options.out}: certificate for ${deviceId}, serial ${issued.serial}, valid until ${issued.notAfter}\n`);
  if (generated) process.stdout.write(`password: ${password}\n(shown once; give it to whoever installs the file on the kiosk)\n`);
}

function revoke(deviceId: string, options: { config: string; json?: boolean }): void {
  const { ca } = openFor(options.config, deviceId);
  const revoked = ca.revoke(deviceId);
  if (options.json) process.stdout.write(`${JSON.stringify({ device: deviceId, revoked })}\n`);
  else if (revoked.length === 0) process.stdout.write(`${deviceId}: no certificate left to revoke\n`);
  else process.stdout.write(`${deviceId}: revoked ${revoked.map((r) => r.serial).join(', ')}; the kiosk listener refuses them from its next request on\n`);
}

export function registerKioskCommand(program: Command): void {
  const kiosk = program.command('kiosk').description('kiosk certificates of the local kiosk CA (<dataDir>/kiosk-ca)');
  kiosk
    .command('enroll <deviceId>')
    .description('issue a kiosk its client certificate (CN = device id, 2 years) as PKCS#12')
    .requiredOption('--out <file>', 'the PKCS#12 file to write (mode 0600)')
    .option('--password-file <file>', "the PKCS#12 password, the file's first line (default: a random one, printed once)")
    .option('--p12-cipher <cipher>', 'compatible (PBE-SHA1-3DES: every Android, Windows, Java) or aes256 (OpenSSL 3 default)', 'compatible')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the result as JSON')
    .action((deviceId: string, options: EnrollOptions) => run(() => enroll(deviceId, options)));
  kiosk
    .command('revoke <deviceId>')
    .description("refuse every certificate issued to the kiosk so far (the running listener's next request on)")
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the result as JSON')
    .action((deviceId: string, options: { config: string; json?: boolean }) => run(() => revoke(deviceId, options)));
}
