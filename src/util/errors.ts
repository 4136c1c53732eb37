// The one catalog of gateway error codes. README.md documents every code (a test checks it).
// Codecs throw DecodeError and never log; sessions catch, count and log.

export const ERROR_CODES = {
  GW_ERR_CONFIG_INVALID: 'the configuration file does not validate',
  GW_ERR_CONFIG_UNREADABLE: 'the configuration file (or a *File secret it names) cannot be read',
  GW_ERR_CLOCK_UNSYNCHRONIZED: 'the gateway host clock is not synchronized (year before 2024, or timedatectl says NTP is not synchronized)',
  GW_ERR_BUFFER_UNAVAILABLE: 'the SQLite buffer cannot commit (closed, disk full, read-only)',
  GW_ERR_PUNCH_INVALID: 'a driver produced a punch that does not validate',
  GW_ERR_PUNCH_QUARANTINED: 'a punch broke an edge rule (impossible timestamp, PIN outside the rule, JSON over 4 KiB) and was put in quarantine',
  GW_ERR_DEVICE_IDENTITY: 'a device reported an identity string (serial, model, firmware, platform, details) that is not printable or longer than allowed; it was cut, or refused (serial)',
  GW_ERR_DECODE: 'bytes, a line or a body from a device could not be decoded',
  GW_ERR_CHECKSUM: 'a device packet failed its checksum',
  GW_ERR_DEVICE_UNREACHABLE: 'a device did not answer or refused the connection',
  GW_ERR_DEVICE_AUTH: 'a device refused the comm key, or the user name and password (Hikvision ISAPI Digest)',
  GW_ERR_DEVICE_TIMEOUT: 'a device did not answer a request in time',
  GW_ERR_DEVICE_PROTOCOL: 'a device answered with an unexpected reply or data in a layout this build does not know',
  GW_ERR_DOWNLOAD_INCOMPLETE: 'a device download ended before every record arrived',
  GW_ERR_DRIVER_UNKNOWN: 'a device entry names a driver this build does not have',
  GW_ERR_SINK_AUTH: 'a sink refused the gateway credentials (HTTP 401/403, MQTT not authorized)',
  GW_ERR_SINK_REJECTED: 'a sink refused punches for good; they are in the dead-letter table',
  GW_ERR_SINK_UNREACHABLE: 'a sink cannot be reached; punches wait in the buffer',
  GW_ERR_API_BAD_REQUEST: 'a local API request (query or body) or a queue CLI argument does not validate',
  GW_ERR_API_UNAUTHORIZED: 'a local API request lacks the bearer token or carries a wrong one',
  GW_ERR_API_NOT_FOUND: 'no local API route at that path',
  GW_ERR_API_FORBIDDEN: 'a local API request named a Host the API does not answer for, or tried to change state from another web origin (DNS rebinding, cross-site request)',
  GW_ERR_API_UNAVAILABLE: 'the local API cannot listen on api.listen (address in use, not permitted); punches still flow',
  GW_ERR_API_INTERNAL: 'the local API failed to answer a request; the log line has the cause',
  GW_ERR_PUSH_UNAVAILABLE: 'the push listener cannot listen on pushListener.listen; push terminals cannot deliver',
  GW_ERR_PUSH_REFUSED: 'a push request or connection was refused for its source (allowFrom, comm-key pin, Hikvision host or MAC, connection limits); nothing of it was committed',
  GW_ERR_PUSH_UNKNOWN_DEVICE: 'a terminal with a serial no device entry names called the push listener; it is told to retry later',
  GW_ERR_LOG_KEY_INVALID: 'the punch log signing key (<dataDir>/log-key.pem) cannot be read or created, is not a regular file, or is not an Ed25519 PKCS#8 PEM private key; the gateway does not start',
  GW_ERR_LOG_KEY_INSECURE: 'the punch log signing key file is open to its group or others (chmod 600 it, or delete it if someone else may have read it); the gateway does not start',
  GW_ERR_LOG_INCONSISTENT: 'the punch log head is not an extension of the last checkpoint signed (a storage fault); no checkpoint is signed until it is',
  GW_ERR_LOG_VERIFY_FAILED: 'log verify found a problem: a signature, a recomputed root, a missing, altered or uncovered punch, or checkpoints inconsistent with each other; the report says which',
  GW_ERR_LOG_VERIFY_USAGE: 'log verify or log key was given a bad argument: a malformed verifier key, a file that cannot be read, a config without the key',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
  }
}

/** Thrown by pure codecs: `offset` is where in the input the problem was found. */
export class DecodeError extends Error {
  readonly code: string;
  readonly offset: number;
  constructor(code: string, message: string, offset = 0) {
    super(message);
    this.name = 'DecodeError';
    this.code = code;
    this.offset = offset;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
