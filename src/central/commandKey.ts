// The centre's command signing key (central.yaml `commands.keyFile`): Ed25519 in PKCS#8 PEM, mode
// 0600, read and created exactly as the gateway's punch log key is (src/log/logKey.ts: written
// whole, linked into place, refused when its group or others may read it), under its own name and
// error code. Key name `absensi-central/{central.id}`; the verifier key (vkey) it prints is what
// gateways list in commands.trustedKeys.
import { loadOrCreateLogKey, readLogKey, type KeyKind, type LogKey } from '../log/logKey.js';

export const COMMAND_KEY_KIND: KeyKind = {
  label: 'command key',
  invalid: 'GW_ERR_COMMAND_KEY',
  insecure: 'GW_ERR_COMMAND_KEY',
  renew: 'put the new public key (absensi-gateway central command-key) in every gateway\'s commands.trustedKeys, and remove the old one there',
};

export function commandKeyName(centralId: string): string {
  return `absensi-central/${centralId}`;
}

/** The key at `file`; GatewayError GW_ERR_COMMAND_KEY when it is missing, unsafe or not Ed25519. */
export function readCommandKey(file: string, centralId: string): LogKey {
  return readLogKey(file, commandKeyName(centralId), COMMAND_KEY_KIND);
}

/** The key at `file`, created first when there is none. */
export function loadOrCreateCommandKey(file: string, centralId: string): LogKey & { created: boolean } {
  return loadOrCreateLogKey(file, commandKeyName(centralId), { kind: COMMAND_KEY_KIND });
}
