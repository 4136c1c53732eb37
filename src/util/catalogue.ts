// The one catalogue of what can go wrong: every GW_ERR_* code, and every reason a counter carries
// as its `reason` label, each reason with the code its log line carries and one line of meaning.
// README.md documents every code and every reason (test/unit/docs.test.ts checks both ways).
// Invariants:
// - A log line at warn or above carries `code`, one of ERROR_CODES (test/unit/logCodes.test.ts
//   scans src/ and drivers/ for it).
// - Reasons are kebab-case. Each table is one counter's label values: the same word may mean
//   different things on two counters (`too-large` quarantined vs dead-lettered), never within one.
// - A rejection is logged with the code its reason maps to here, whichever driver counts it: a
//   refused comm key is GW_ERR_DEVICE_AUTH, a failed checksum GW_ERR_CHECKSUM.
// - Codecs throw DecodeError whose code is a rejection reason. A code the session counts under
//   another reason, or not at all (the call fails with the entry's code), names where it goes in
//   `countedAs`.
// - A reason built from data is declared as a pattern: its key holds `<name>` where the data goes,
//   `pattern` matches every value it takes, and its TypeScript type is the key with `<…>` as any text.

/** Every GW_ERR_* code and what it means; README's "Error codes" table says what to do. */
export const ERROR_CODES = {
  GW_ERR_CONFIG_INVALID: 'the configuration file does not validate',
  GW_ERR_CONFIG_UNREADABLE: 'the configuration file (or a *File secret it names) cannot be read',
  GW_ERR_CONFIG_WARNING: 'the configuration is accepted, but part of it is unsafe or not applied (a secret file others may read, plain http://, headers the gateway sets itself, a change only a restart applies)',
  GW_ERR_CLOCK_UNSYNCHRONIZED: 'the gateway host clock is not synchronized (year before 2024, or timedatectl says NTP is not synchronized)',
  GW_ERR_BUFFER_UNAVAILABLE: 'the SQLite buffer cannot commit (closed, disk full, read-only)',
  GW_ERR_PUNCH_INVALID: 'a driver produced a punch that does not validate',
  GW_ERR_PUNCH_QUARANTINED: 'a punch broke an edge rule (impossible timestamp, PIN outside the rule, JSON over 4 KiB) and was put in quarantine',
  GW_ERR_DEVICE_IDENTITY: 'a device reported an identity string (serial, model, firmware, platform, details) that is not printable or longer than allowed, or data of another terminal; it was cut, or refused',
  GW_ERR_DECODE: 'bytes, a line or a body from a device could not be decoded',
  GW_ERR_CHECKSUM: 'a device packet or line failed its checksum',
  GW_ERR_DEVICE_UNREACHABLE: 'a device did not answer or refused the connection',
  GW_ERR_DEVICE_AUTH: 'a device refused the comm key, or the user name and password (Hikvision ISAPI Digest)',
  GW_ERR_DEVICE_TIMEOUT: 'a device did not answer a request in time',
  GW_ERR_DEVICE_PROTOCOL: 'a device answered with an unexpected reply or data in a layout this build does not know (or is a model it has no row for)',
  GW_ERR_DEVICE_CLOCK: 'a terminal clock or time zone differs from the gateway and could not be set (the EasyLink bridge PC clock, a Hikvision zone)',
  GW_ERR_DOWNLOAD_INCOMPLETE: 'a device download ended before every record arrived',
  GW_ERR_LOG_KEY_INVALID: 'the punch log signing key (<dataDir>/log-key.pem) cannot be read or created, is not a regular file, or is not an Ed25519 PKCS#8 PEM private key; the gateway does not start',
  GW_ERR_LOG_KEY_INSECURE: 'the punch log signing key file is open to its group or others (chmod 600 it, or delete it if someone else may have read it); the gateway does not start',
  GW_ERR_LOG_INCONSISTENT: 'the punch log head is not an extension of the last checkpoint signed (a storage fault); no checkpoint is signed until it is',
  GW_ERR_LOG_UNAVAILABLE: 'the buffer keeps no punch log (upgraded after retention had removed punches, or its log fell behind its punches); punches are collected and delivered, no checkpoint is signed',
  GW_ERR_LOG_RESTORED: 'the buffer is older than what was signed from it (a restored copy): its log continues under a new epoch, so the centre sees a new log, never a shorter one',
  GW_ERR_LOG_HEAD_UNSAVED: 'the last checkpoint signed could not be recorded in <dataDir>/log-head.json, so a restored buffer would not be noticed at the next start',
  GW_ERR_LOG_VERIFY_FAILED: 'log verify found a problem: a signature, a recomputed root, a missing, altered or uncovered punch, or checkpoints inconsistent with each other; the report says which',
  GW_ERR_LOG_VERIFY_USAGE: 'log verify or log key was given a bad argument: a malformed verifier key, a file that cannot be read, a config without the key',
  GW_ERR_WATERMARK_FROZEN: "a device's log lost records the gateway never read (cleared or replaced behind it): its completeness watermark can no longer advance",
  GW_ERR_DRIVER_UNKNOWN: 'a device entry names a driver this build does not have',
  GW_ERR_SINK_AUTH: 'a sink refused the gateway credentials (HTTP 401/403, MQTT not authorized)',
  GW_ERR_SINK_REJECTED: 'a sink refused punches for good; they are in the dead-letter table',
  GW_ERR_SINK_UNREACHABLE: 'a sink cannot be reached; punches wait in the buffer',
  GW_ERR_SINK_PROTOCOL: 'a sink answered in a form the gateway does not understand (ids not in the batch, a malformed rejected list); what could be read was used',
  GW_ERR_API_BAD_REQUEST: 'a local API request (query or body) or a queue CLI argument does not validate',
  GW_ERR_API_UNAUTHORIZED: 'a local API request lacks the bearer token or carries a wrong one',
  GW_ERR_API_NOT_FOUND: 'no local API route at that path',
  GW_ERR_API_FORBIDDEN: 'a local API request named a Host the API does not answer for, or tried to change state from another web origin (DNS rebinding, cross-site request)',
  GW_ERR_API_UNAVAILABLE: 'the local API cannot listen on api.listen (address in use, not permitted); punches still flow',
  GW_ERR_API_INTERNAL: 'the local API failed to answer a request; the log line has the cause',
  GW_ERR_PUSH_UNAVAILABLE: 'the push listener cannot listen on pushListener.listen; push terminals cannot deliver',
  GW_ERR_PUSH_REFUSED: 'a push request or connection was refused for its source (allowFrom, comm-key pin, Hikvision host or MAC, connection limits); nothing of it was committed',
  GW_ERR_PUSH_UNKNOWN_DEVICE: 'a terminal with a serial no device entry names called the push listener; it is told to retry later',
  GW_ERR_KIOSK_REFUSED: 'a kiosk request was refused for its client certificate (none, not of the local kiosk CA, expired, revoked, or of no configured and enabled kiosk entry); nothing of it was committed',
  GW_ERR_KIOSK_CLOCK: "a kiosk's stated time is further than kiosk.maxSkew from the gateway clock; refused (409) with the gateway's time so the kiosk can correct its clock, nothing committed",
  GW_ERR_KIOSK_BAD_REQUEST: 'a kiosk punch body does not validate (not JSON, a field missing or malformed, a PIN outside the rule, a photo that is not a JPEG of at most 200 KB, a device named in the body); answered 400 or 413, nothing committed',
  GW_ERR_KIOSK_PHOTO_GONE: 'with publish.photos, a kiosk punch names a photo that is no longer on the gateway (kiosk.photoRetention removed it before a sink could take it, or its file no longer matches the hash); the punch is published without it',
  GW_ERR_KIOSK_UNAVAILABLE: 'the kiosk listener cannot start (kiosk.listen in use or not permitted, the local kiosk CA unusable); kiosks cannot punch',
  GW_ERR_KIOSK_CA: 'the local kiosk CA (<dataDir>/kiosk-ca) cannot be created or read, openssl failed, or kiosk enroll / revoke was given a device that is no kiosk entry; nothing was issued or revoked',
  GW_ERR_CENTRAL_STORE_UNAVAILABLE: 'the centre cannot use its database (PostgreSQL unreachable, refused, or a schema newer than it knows); messages are not acknowledged until it can',
  GW_ERR_CENTRAL_MESSAGE_INVALID: 'the centre received a message that is not what its topic carries (not punch/v1, watermark/v1, a status or a checkpoint note); it is acknowledged, logged and counted, never stored',
  GW_ERR_CENTRAL_LOG_PROBLEM: 'the centre found a problem in a gateway\'s punch log: a checkpoint not signed by the gateway\'s key, a punch altered, seqs missing past the grace period, two histories signed; recorded in log_problems',
  GW_ERR_USERS_UNSUPPORTED: 'a users command named a device whose family cannot read or write users through the gateway (its definition has no users side, or says why not)',
  GW_ERR_USERS_DAEMON_HOLDING: 'a users command needs its own connection to a terminal the running daemon is connected to, and the family serves one client at a time: stop the daemon for the command',
  GW_ERR_USERS_DAEMON_NEEDED: 'a users command named a terminal that only the running daemon reaches (zk-push: the terminal calls the gateway), and no daemon answered on the local API: start the daemon, then run the command again',
  GW_ERR_USERS_JOB_BUSY: 'a users job was asked of the daemon for a device another users job of the daemon is still reading or writing (one users job per device at a time): wait for it to end, then run the command again',
  GW_ERR_USERS_INPUT_INVALID: 'a users command was given a bad argument or input file: an employee CSV row, a users/v1 line, a device twice; the message names file and line, nothing was written',
  GW_ERR_USERS_BACKUP_FAILED: 'the backup of a target (or an export) could not be written whole; nothing was written to that terminal',
  GW_ERR_USERS_USER_INVALID: 'a user cannot be written to a terminal as it is (a PIN, name, password or card its record cannot hold, a finger number it has no slot for, a face template over zk-tcp); nothing of that user was sent, the others are written',
  GW_ERR_USERS_WRITE_FAILED: 'a terminal refused or did not confirm one user\'s write or delete (an error answer, zk-soap Result 0, EasyLink Result:false); the others were written, the summary lists each failure',
  GW_ERR_USERS_CONFLICT: 'a user on the target has the source\'s PIN with another name or card (a userSync group: two members hold one PIN otherwise): reported and left as each terminal holds it, never silently overwritten',
  GW_ERR_USERS_ALGORITHM_MISMATCH: 'templates were not copied because the target uses another algorithm version for that kind (or reports none); the user is written without them',
  GW_ERR_COMMAND_REFUSED: 'a remote command was refused before it ran: not signed, signed by a key not in commands.trustedKeys, a bad signature, for another gateway, expired, issued in the future, seen before (replay) or malformed; answered with the reason where a response topic was given, counted in gateway_commands_refused_total',
  GW_ERR_COMMAND_FAILED: 'a remote command was accepted but failed while it ran (the device is not running, did not answer, the buffer is closed); the answer says why',
  GW_ERR_COMMAND_UNSUPPORTED: 'a remote command this gateway cannot run for that device or at all (sync-clock on a driver that cannot set a clock, backfill on a terminal the daemon cannot queue a read for, users-import onto a terminal the running driver holds alone (zk-tcp) or a gateway with no terminal that holds users)',
  GW_ERR_COMMAND_TIMEOUT: 'central command got no answer from the gateway in time (offline, commands not enabled, MQTT 3.1.1, the centre key not in its trustedKeys and no response topic allowed); nothing says the command did not run',
  GW_ERR_COMMAND_KEY: "the centre's command signing key (commands.keyFile) cannot be read or created, is open to its group or others, or is not an Ed25519 PKCS#8 PEM private key; no command is signed",
  GW_ERR_INTERNAL: 'an unexpected failure inside the gateway (a bug, or a component that failed to stop cleanly); the log line has the cause',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ReasonEntry {
  readonly code: ErrorCode;
  /** one line for the reader of a metric or a log line */
  readonly meaning: string;
  /** a reason built from data: matches every value it takes */
  readonly pattern?: RegExp;
  /** a codec's code counted under these reasons instead (none: not counted, the call fails with `code`) */
  readonly countedAs?: readonly string[];
}

/**
 * gateway_rejected_total{reason} (and the device's `rejected` counts and recent rejects): input
 * refused at the edge. Counted by the driver context (status.rejected) or the push listener.
 */
export const REJECTION_REASONS = {
  // any driver (the driver context)
  'identity-invalid': { code: 'GW_ERR_DEVICE_IDENTITY', meaning: 'a serial, model, firmware, platform or status detail the device reported is not printable or too long: cut, or (a serial) refused' },
  // the push listener, before any terminal sees the request
  'unknown-serial': { code: 'GW_ERR_PUSH_UNKNOWN_DEVICE', meaning: 'a terminal whose serial no device entry names called the push listener (answered 503, retry later)' },
  'body-too-large': { code: 'GW_ERR_DECODE', meaning: 'a push body (or its inflated gzip) is larger than pushListener.maxBodyBytes (answered 413)' },
  'bad-gzip': { code: 'GW_ERR_DECODE', meaning: 'a gzip push body cannot be inflated (answered 400)' },
  'bad-request': { code: 'GW_ERR_DECODE', meaning: 'a connection to the push listener sent no valid HTTP request (malformed, oversized headers); closed' },
  'request-timeout': { code: 'GW_ERR_DEVICE_TIMEOUT', meaning: 'a connection to the push listener did not send a whole request within requestTimeoutMs (answered 408, closed)' },
  // a push request refused for its source (also counted in gateway_push_refused_total)
  source: { code: 'GW_ERR_PUSH_REFUSED', meaning: 'a push request from an address the device entry does not admit (allowFrom, or the Hikvision host)' },
  pin: { code: 'GW_ERR_PUSH_REFUSED', meaning: 'a zk-push request from another address than the last good comm-key handshake' },
  'push-mac': { code: 'GW_ERR_PUSH_REFUSED', meaning: 'a Hikvision event without macAddress, or with another one than configured' },
  'comm-key': { code: 'GW_ERR_DEVICE_AUTH', meaning: 'the comm key differs: the zk-tcp terminal refused ours, or a zk-push handshake did not carry the configured one (or none was made yet; the push listener logs that refusal, GW_ERR_PUSH_REFUSED)' },
  // the kiosk listener (mutual TLS): refused before any kiosk driver sees the request
  'kiosk-no-certificate': { code: 'GW_ERR_KIOSK_REFUSED', meaning: 'a TLS client of the kiosk listener presented no client certificate; the handshake was refused' },
  'kiosk-certificate-untrusted': { code: 'GW_ERR_KIOSK_REFUSED', meaning: 'a client certificate not issued by the local kiosk CA (another CA, self-signed); the handshake was refused' },
  'kiosk-certificate-expired': { code: 'GW_ERR_KIOSK_REFUSED', meaning: 'a client certificate of the local kiosk CA outside its validity (expired, or not yet valid): enroll the kiosk again' },
  'kiosk-tls': { code: 'GW_ERR_KIOSK_REFUSED', meaning: 'a TLS handshake with the kiosk listener failed for another reason (no common protocol or cipher, not TLS at all)' },
  'kiosk-revoked': { code: 'GW_ERR_KIOSK_REFUSED', meaning: 'a request with a client certificate revoked by kiosk revoke (answered 403)' },
  'kiosk-unknown': { code: 'GW_ERR_KIOSK_REFUSED', meaning: 'a request whose certificate names (CN) no configured, enabled kiosk entry (answered 403)' },
  // the kiosk driver: a punch body refused
  'kiosk-body': { code: 'GW_ERR_KIOSK_BAD_REQUEST', meaning: 'a kiosk punch body that is not JSON or does not validate (answered 400)' },
  'kiosk-body-too-large': { code: 'GW_ERR_KIOSK_BAD_REQUEST', meaning: 'a kiosk request body larger than a punch with a 200 KB photo can be (answered 413)' },
  'kiosk-device-claim': { code: 'GW_ERR_KIOSK_BAD_REQUEST', meaning: 'a kiosk punch body naming a device (device, deviceId, serial): a kiosk is the one its certificate names, never a body field (answered 400)' },
  'kiosk-pin': { code: 'GW_ERR_KIOSK_BAD_REQUEST', meaning: 'a kiosk punch whose PIN is outside ^[0-9A-Za-z._-]{1,24}$ after NFC (answered 400)' },
  'kiosk-photo': { code: 'GW_ERR_KIOSK_BAD_REQUEST', meaning: 'a kiosk punch photo that is not base64 of a JPEG of at most 200 KB (answered 400)' },
  'kiosk-clock': { code: 'GW_ERR_KIOSK_CLOCK', meaning: "a kiosk punch whose stated time is further than kiosk.maxSkew from the gateway clock (answered 409 with the gateway's time)" },
  // zk-tcp
  'zk-dataset-too-large': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'the terminal announced a dataset larger than any terminal holds; nothing read' },
  'zk-chunk-overrun': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'the terminal sent more bytes in a chunk than were asked for; the download is refused' },
  'zk-attlog-layout': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'no known record layout (8, 16, 40, 49 bytes) fits the attendance log; nothing emitted' },
  'zk-record-undecodable': { code: 'GW_ERR_DECODE', meaning: 'one attendance record does not decode; skipped, the others are committed' },
  'zk-record-no-pin': { code: 'GW_ERR_DECODE', meaning: 'one attendance record carries no PIN (nor a user id the user table maps); skipped' },
  'zk-realtime-undecodable': { code: 'GW_ERR_DECODE', meaning: 'a realtime event packet does not decode; the next poll reads the punch from the log' },
  'zk-realtime-no-pin': { code: 'GW_ERR_DECODE', meaning: 'a realtime event carries no PIN; the next poll reads the punch from the log' },
  // zk-tcp codec codes (drivers/zk-tcp/codec.ts, payloads.ts)
  'zk-short-packet': { code: 'GW_ERR_DECODE', meaning: 'a ZK packet shorter than its 8-byte header; ignored (details.stalePackets)', countedAs: [] },
  'zk-short-time': { code: 'GW_ERR_DECODE', meaning: 'a realtime event too short for its 6-byte time', countedAs: ['zk-realtime-undecodable'] },
  'zk-bad-time': { code: 'GW_ERR_DECODE', meaning: 'a realtime event time with a byte out of range (month 13, hour 24, …)', countedAs: ['zk-realtime-undecodable'] },
  'zk-realtime-size': { code: 'GW_ERR_DECODE', meaning: 'a realtime event of a length no known layout has', countedAs: ['zk-realtime-undecodable'] },
  'zk-short-record': { code: 'GW_ERR_DECODE', meaning: 'a record shorter than its layout', countedAs: ['zk-record-undecodable', 'zk-realtime-undecodable'] },
  'zk-dataset-short': { code: 'GW_ERR_DECODE', meaning: 'a dataset without its 4-byte size', countedAs: ['zk-attlog-layout'] },
  'zk-dataset-size': { code: 'GW_ERR_DECODE', meaning: 'a dataset whose size prefix differs from the bytes it carries', countedAs: ['zk-attlog-layout'] },
  'zk-user-layout': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'no known user record layout (28, 72 bytes) fits the user table; the session ends and reconnects', countedAs: [] },
  'zk-short-datastat': { code: 'GW_ERR_DECODE', meaning: 'a data-stat reply shorter than 5 bytes; the session ends and reconnects', countedAs: [] },
  'zk-short-readreq': { code: 'GW_ERR_DECODE', meaning: 'a read request shorter than 11 bytes (simulator side)', countedAs: [] },
  'zk-short-u32x2': { code: 'GW_ERR_DECODE', meaning: 'a reply shorter than the two 32-bit numbers it carries; the session ends and reconnects', countedAs: [] },
  'zk-template-entry': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'a template table entry whose size is under its 6-byte head or runs past the table; the template read fails', countedAs: [] },
  'zk-upload-buffer': { code: 'GW_ERR_DECODE', meaning: 'a users-and-templates upload whose head, records or table do not add up (simulator side: it answers CMD_ACK_ERROR)', countedAs: [] },
  'zk-short-u32': { code: 'GW_ERR_DECODE', meaning: 'a reply shorter than the 32-bit number it carries (clock, counts); the session ends and reconnects', countedAs: [] },
  // zk-push
  'unknown-endpoint': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'the terminal called an /iclock endpoint this build does not serve (answered 404)' },
  'unknown-table': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'an upload to a table this build does not know (answered OK, not stored)' },
  'command-id': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'a devicecmd result for a command id not queued for this terminal; ignored' },
  'operlog-user': { code: 'GW_ERR_DECODE', meaning: 'a USER or FP line of an OPERLOG upload (the answer to a users query) that does not decode (PIN, numbers, base64, Size); that user or template is left out of the answer' },
  'attlog-fields': { code: 'GW_ERR_DECODE', meaning: 'an ATTLOG line with too few fields; quarantined with the line' },
  'attlog-pin': { code: 'GW_ERR_DECODE', meaning: 'an ATTLOG line with an empty or unusable PIN; quarantined with the line' },
  'attlog-time': { code: 'GW_ERR_DECODE', meaning: 'an ATTLOG line whose time is not YYYY-MM-DD HH:MM:SS; quarantined with the line' },
  'attlog-code': { code: 'GW_ERR_DECODE', meaning: 'an ATTLOG line whose status, verify or workcode is not an integer; quarantined with the line' },
  'attlog-binary': { code: 'GW_ERR_DECODE', meaning: 'an ATTLOG line with control characters (a binary body); quarantined with the line' },
  'attlog-empty-key': { code: 'GW_ERR_DECODE', meaning: 'a key=value ATTLOG line with an empty key; quarantined with the line' },
  'rtlog-fields': { code: 'GW_ERR_DECODE', meaning: 'an rtlog line with too few fields; quarantined with the line' },
  'rtlog-pin': { code: 'GW_ERR_DECODE', meaning: 'an rtlog line with an empty or unusable PIN; quarantined with the line' },
  'rtlog-time': { code: 'GW_ERR_DECODE', meaning: 'an rtlog line whose time is not YYYY-MM-DD HH:MM:SS; quarantined with the line' },
  'rtlog-code': { code: 'GW_ERR_DECODE', meaning: 'an rtlog line whose inoutstatus or verifytype is not an integer; quarantined with the line' },
  'rtlog-binary': { code: 'GW_ERR_DECODE', meaning: 'an rtlog line with control characters (a binary body); quarantined with the line' },
  'rtlog-empty-key': { code: 'GW_ERR_DECODE', meaning: 'an rtlog line with an empty key; quarantined with the line' },
  // zk-soap
  'zk-soap-not-http': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'the port did not answer HTTP: not a ZK web server' },
  'zk-soap-body': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'the SOAP answer could not be read' },
  'zk-soap-body-too-large': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'the SOAP answer is larger than maxBodyBytes (raise it for very large logs)' },
  'zk-soap-body-empty': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'an empty SOAP answer (may mean a wrong commKey)' },
  'zk-soap-body-doctype': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'a SOAP answer with a DOCTYPE or ENTITY declaration (refused)' },
  'zk-soap-body-not-xml': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'a SOAP answer that is not XML' },
  'zk-soap-body-xml': { code: 'GW_ERR_DOWNLOAD_INCOMPLETE', meaning: 'a SOAP answer that is malformed XML (usually cut short)' },
  'zk-soap-body-root': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'a SOAP answer with another root element than the call\'s Response (SOAP off?)' },
  'zk-soap-row-pin': { code: 'GW_ERR_DECODE', meaning: 'a GetAttLog row whose PIN is not 1-24 letters or digits; skipped' },
  'zk-soap-row-time': { code: 'GW_ERR_DECODE', meaning: 'a GetAttLog row whose DateTime is not YYYY-MM-DD HH:MM:SS; skipped' },
  'zk-soap-row-code': { code: 'GW_ERR_DECODE', meaning: 'a GetAttLog row whose Verified, Status or WorkCode is not an integer; skipped' },
  'zk-soap-row-fields': { code: 'GW_ERR_DECODE', meaning: 'a GetAttLog row with a field that is not text; skipped' },
  // zk-soap codec codes (drivers/zk-soap/codec.ts)
  'zk-soap-http-head': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'an answer without the end of its HTTP headers', countedAs: ['zk-soap-not-http'] },
  'zk-soap-http-status': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'an answer without an HTTP status line', countedAs: ['zk-soap-not-http'] },
  'zk-soap-http-truncated': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'an HTTP body shorter than its Content-Length', countedAs: ['zk-soap-not-http'] },
  // fingerspot-easylink
  'fingerspot-bad-reply': { code: 'GW_ERR_DECODE', meaning: 'a 200 reply of the EasyLink bridge that does not decode; retried with backoff' },
  'fingerspot-bad-row': { code: 'GW_ERR_DECODE', meaning: 'one scan row of a bridge reply does not validate; the others are committed' },
  'fingerspot-sn-mismatch': { code: 'GW_ERR_DEVICE_IDENTITY', meaning: 'the bridge returned a scan of another terminal for this sn; not committed under this device' },
  // fingerspot-easylink codec codes (drivers/fingerspot-easylink/codec.ts)
  'fingerspot-json': { code: 'GW_ERR_DECODE', meaning: 'a bridge reply that is not JSON', countedAs: ['fingerspot-bad-reply'] },
  'fingerspot-shape': { code: 'GW_ERR_DECODE', meaning: 'a bridge reply in a JSON shape this build does not know', countedAs: ['fingerspot-bad-reply'] },
  // hikvision-isapi
  'push-json': { code: 'GW_ERR_DECODE', meaning: 'a Hikvision push body (or its JSON part) that is not JSON (answered 400)' },
  'push-xml': { code: 'GW_ERR_DECODE', meaning: 'a Hikvision push body in XML: set the terminal\'s HTTP host to JSON (answered 400)' },
  'push-shape': { code: 'GW_ERR_DECODE', meaning: 'a Hikvision push body without the event envelope it needs (answered 400)' },
  'push-record': { code: 'GW_ERR_DECODE', meaning: 'a Hikvision push event whose access-control record does not validate (answered 400)' },
  'push-multipart': { code: 'GW_ERR_DECODE', meaning: 'a Hikvision multipart push body without its boundary or JSON part (answered 400)' },
  'acs-json': { code: 'GW_ERR_DECODE', meaning: 'an AcsEvent page that is not JSON; the search stops, the cursor stays' },
  'acs-shape': { code: 'GW_ERR_DECODE', meaning: 'an AcsEvent page without its AcsEvent object or InfoList; the search stops, the cursor stays' },
  'acs-status': { code: 'GW_ERR_DECODE', meaning: 'an AcsEvent page whose responseStatusStrg is not OK, MORE or NO MATCH; the search stops' },
  'acs-record': { code: 'GW_ERR_DECODE', meaning: 'one AcsEvent record does not validate; the rest of the page is committed' },
  'acs-time': { code: 'GW_ERR_DECODE', meaning: 'an attendance event whose time is not ISO 8601; quarantined' },
  'acs-no-employee': { code: 'GW_ERR_DECODE', meaning: 'an attendance event without employeeNoString; quarantined' },
  'acs-search-unbounded': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'an AcsEvent search still answered MORE past any terminal\'s capacity; the cursor stays' },
  'isapi-body-too-large': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'an ISAPI answer larger than the client accepts; the search stops' },
  // hikvision-isapi codec codes (drivers/hikvision-isapi/codec.ts): deviceInfo and time
  'isapi-xml': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'a deviceInfo or time answer that is not XML; the identity or clock read fails', countedAs: [] },
  'isapi-xml-shape': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'a deviceInfo or time answer without its root element; the identity or clock read fails', countedAs: [] },
  'isapi-time': { code: 'GW_ERR_DEVICE_PROTOCOL', meaning: 'a time answer whose localTime is not ISO 8601; the clock read fails', countedAs: [] },
  // serial-line (and its USB import)
  'line-no-match': { code: 'GW_ERR_DECODE', meaning: 'a line that does not match the configured format' },
  'line-bad-time': { code: 'GW_ERR_DECODE', meaning: 'a line whose date or time does not fit the format, or is no real date' },
  'line-checksum': { code: 'GW_ERR_CHECKSUM', meaning: 'a line whose checksum does not match its data' },
  'card-unknown': { code: 'GW_ERR_DECODE', meaning: 'a card number not in the card map (unknownCard: reject)' },
  'line-too-long': { code: 'GW_ERR_DECODE', meaning: 'more than 4096 characters without the delimiter (baud rate or delimiter wrong?); dropped' },
  'line-undecodable': { code: 'GW_ERR_DECODE', meaning: 'a line the codec failed on in an unexpected way' },
} as const satisfies Record<string, ReasonEntry>;

/** gateway_punches_quarantined_total{reason} (and the device's `rejected` counts): punches kept out of the stream. */
export const QUARANTINE_REASONS = {
  'pin-invalid': { code: 'GW_ERR_PUNCH_QUARANTINED', meaning: 'the PIN is outside ^[0-9A-Za-z._-]{1,24}$ after NFC (an invisible character, a name instead of a number)' },
  'time-before-<year>': { code: 'GW_ERR_PUNCH_QUARANTINED', meaning: 'the punch time is before punches.minYear (a terminal clock reset to 2000)', pattern: /^time-before-\d+$/ },
  'time-in-future': { code: 'GW_ERR_PUNCH_QUARANTINED', meaning: 'the punch time is further ahead of the gateway clock than punches.maxFuture' },
  'too-large': { code: 'GW_ERR_PUNCH_QUARANTINED', meaning: 'the punch JSON is over 4 KiB' },
  'invalid-punch': { code: 'GW_ERR_PUNCH_INVALID', meaning: 'the punch does not validate (no real local time, a field of the wrong type, a bad line kept with its text)' },
} as const satisfies Record<string, ReasonEntry>;

/** gateway_push_refused_total{reason}: push requests and connections refused for their source; nothing of them committed. */
export const PUSH_REFUSAL_REASONS = {
  source: { code: 'GW_ERR_PUSH_REFUSED', meaning: 'the address is not in the device\'s allowFrom (or not the Hikvision host): 403' },
  pin: { code: 'GW_ERR_PUSH_REFUSED', meaning: 'a comm key is configured and the address is not the last good handshake\'s: 403' },
  'comm-key': { code: 'GW_ERR_PUSH_REFUSED', meaning: 'a handshake without the configured comm key, or a request before any good handshake: 401' },
  mac: { code: 'GW_ERR_PUSH_REFUSED', meaning: 'a Hikvision event whose macAddress is missing or not the configured one: 403' },
  connections: { code: 'GW_ERR_PUSH_REFUSED', meaning: 'more than pushListener.maxConnections open connections from unknown addresses: closed at once' },
  'connections-per-address': { code: 'GW_ERR_PUSH_REFUSED', meaning: 'more than pushListener.maxConnectionsPerAddress open connections from one address: closed at once' },
} as const satisfies Record<string, ReasonEntry>;

/** gateway_punches_dead_lettered_total{reason}: punches a sink refused for good (the dead-letter table keeps the sink's own words). */
export const DEAD_LETTER_REASONS = {
  'too-large': { code: 'GW_ERR_SINK_REJECTED', meaning: 'the sink refuses the punch for its size alone (broker Maximum Packet Size, HTTP 413 for a batch of one)' },
  refused: { code: 'GW_ERR_SINK_REJECTED', meaning: 'the sink refused the punch (HTTP 4xx, a "rejected" entry in a 2xx answer)' },
} as const satisfies Record<string, ReasonEntry>;

/** gateway_commands_refused_total{reason}: remote commands refused before they ran (README "Remote commands"). */
export const COMMAND_REFUSAL_REASONS = {
  malformed: { code: 'GW_ERR_COMMAND_REFUSED', meaning: 'the message is not a signed command/v1 (not JSON, a field missing or of the wrong type, an unknown command, too large)' },
  unsigned: { code: 'GW_ERR_COMMAND_REFUSED', meaning: 'the command carries no signature' },
  'untrusted-key': { code: 'GW_ERR_COMMAND_REFUSED', meaning: 'the signature names a key id that no key in commands.trustedKeys has' },
  'bad-signature': { code: 'GW_ERR_COMMAND_REFUSED', meaning: 'the signature does not verify with the trusted key it names (forged or altered)' },
  'wrong-target': { code: 'GW_ERR_COMMAND_REFUSED', meaning: 'the signed command is for another gateway id' },
  expired: { code: 'GW_ERR_COMMAND_REFUSED', meaning: 'the command arrived after its expiresAt' },
  'issued-in-future': { code: 'GW_ERR_COMMAND_REFUSED', meaning: 'the command says it was issued further ahead of the gateway clock than the allowed skew, or lives longer than commands.maxLifetime' },
  replayed: { code: 'GW_ERR_COMMAND_REFUSED', meaning: 'a command with this id was accepted before (a replay); ids are remembered in the buffer until they expire' },
} as const satisfies Record<string, ReasonEntry>;

/** Every reason table, by the counter whose `reason` label it holds. */
export const REASON_TABLES = {
  gateway_rejected_total: REJECTION_REASONS,
  gateway_punches_quarantined_total: QUARANTINE_REASONS,
  gateway_push_refused_total: PUSH_REFUSAL_REASONS,
  gateway_punches_dead_lettered_total: DEAD_LETTER_REASONS,
  gateway_commands_refused_total: COMMAND_REFUSAL_REASONS,
} as const satisfies Record<string, Record<string, ReasonEntry>>;

/** A catalogue key as the values it stands for: a pattern's `<name>` becomes any text. */
type ValuesOf<Key extends string> = Key extends `${infer Head}<${string}>${infer Tail}` ? `${Head}${string}${ValuesOf<Tail>}` : Key;

export type RejectionReason = ValuesOf<keyof typeof REJECTION_REASONS>;
export type QuarantineReason = ValuesOf<keyof typeof QUARANTINE_REASONS>;
export type PushRefusalReason = ValuesOf<keyof typeof PUSH_REFUSAL_REASONS>;
export type DeadLetterReason = ValuesOf<keyof typeof DEAD_LETTER_REASONS>;
export type CommandRefusalReason = ValuesOf<keyof typeof COMMAND_REFUSAL_REASONS>;

/** The entry of `reason` in `table`: its own row, else the pattern that matches it. */
export function reasonEntry(table: Readonly<Record<string, ReasonEntry>>, reason: string): ReasonEntry | undefined {
  if (Object.hasOwn(table, reason)) return table[reason];
  return Object.values(table).find((entry) => entry.pattern?.test(reason));
}

/** The code a rejection is logged with. */
export function rejectionCode(reason: RejectionReason): ErrorCode {
  return reasonEntry(REJECTION_REASONS, reason)?.code ?? 'GW_ERR_DECODE';
}

/** The code a quarantined punch is logged with. */
export function quarantineCode(reason: QuarantineReason): ErrorCode {
  return reasonEntry(QUARANTINE_REASONS, reason)?.code ?? 'GW_ERR_PUNCH_QUARANTINED';
}
