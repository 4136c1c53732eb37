// central.yaml (DESIGN.md "The centre"), read through the gateway's own config pipeline
// (src/config/load.ts: YAML, `${ENV}`, `*File` secrets read into the key without the suffix,
// problems with their lines and codes). The keys DESIGN names are contract; `gateways` (trusted
// verifier keys) and `verify` are additions.
import { z } from 'zod';
import { durationKey, listenAddress } from '../config/primitives.js';
import { parseYamlConfig, readConfigFile } from '../config/load.js';
import type { SecretFileRef } from '../config/secretFiles.js';
import { isLoopbackHost } from '../util/loopback.js';

const vkey = z.string().regex(/^absensi-gateway\/[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/, 'expected a verifier key as `absensi-gateway log key` prints it');

export const centralConfigSchema = z
  .object({
    central: z
      .object({
        id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).describe('name of this centre; MQTT client ids derive from it'),
        dataDir: z.string().min(1).default('/var/lib/absensi-central').describe('where the embedded database lives when postgres.url is absent'),
        logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict(),
    mqtt: z
      .object({
        url: z.string().regex(/^mqtts?:\/\//, 'expected mqtt:// or mqtts://'),
        topicPrefix: z.string().min(1).default('absensi'),
        group: z.string().regex(/^[A-Za-z0-9._-]+$/).default('central').describe('shared-subscription group: the processes of one group split the punches between them'),
        username: z.string().optional(),
        password: z.string().optional().describe('(or passwordFile: path)'),
        ca: z.string().optional().describe('PEM of the broker CA (caFile: path)'),
        protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5).describe('5 (MQTT 5), or 4 (MQTT 3.1.1) for a broker without MQTT 5 such as the demo\'s embedded one'),
        connections: z.number().int().min(1).max(64).default(4).describe('connections of this process in the shared group: each commits one punch at a time, so more of them commit more at once (the database groups their commits); keep the number stable, a connection dropped from it keeps its share queued at the broker'),
        shared: z.boolean().default(true).describe('punches through the shared subscription $share/{group}/…; false for a broker without shared subscriptions (then run one process only: each one would get every punch)'),
      })
      .strict()
      .optional(),
    https: z
      .object({
        listen: listenAddress('where gateways POST punch-batch/v1 (path /api/punches)'),
        cert: z.string().optional().describe('TLS certificate, PEM (certFile: path); without cert and key the endpoint is plain HTTP, for a TLS proxy in front'),
        key: z.string().optional().describe('its private key, PEM (keyFile: path)'),
        maxBodyBytes: z.number().int().positive().default(16 * 1024 * 1024),
        tokens: z
          .record(z.string(), z.object({ token: z.string().min(16, 'expected at least 16 characters').describe('(or tokenFile: path)') }).strict())
          .describe('one bearer token per gateway id'),
      })
      .strict()
      .optional(),
    http: z
      .object({
        listen: listenAddress('where the fleet page and its JSON API (/api/fleet) listen').prefault('127.0.0.1:8090'),
        token: z.string().min(16, 'expected at least 16 characters').optional().describe('bearer token the fleet API requires (tokenFile: path); set it when listen is not loopback'),
        allowedHosts: z.array(z.string().min(1)).default([]).describe('host names the fleet page answers for besides loopback and the listen host (DNS rebinding guard)'),
        enabled: z.boolean().default(true).describe('false: no fleet page'),
      })
      .strict()
      .prefault({}),
    postgres: z.object({ url: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…') }).strict().optional(),
    gateways: z
      .record(z.string(), z.object({ logKey: vkey.describe('the verifier key recorded when the gateway was installed') }).strict())
      .default({})
      .describe('verifier keys the centre trusts; a gateway missing here is trusted on the first key its status names (logged)'),
    commands: z
      .object({
        key: z.string().optional().describe('the signing key, Ed25519 PKCS#8 PEM: give keyFile: path (`central command-key` creates it and prints the public key for the gateways\' commands.trustedKeys)'),
        lifetime: durationKey('how long a command is valid after it is signed (expiresAt); a gateway refuses it after', 5 * 60_000),
        timeout: durationKey('how long `central command` waits for the answer', 30_000),
      })
      .strict()
      .optional()
      .describe('signed remote commands (README "Remote commands")'),
    verify: z
      .object({
        missingAfter: durationKey('a seq still missing this long after a checkpoint covering it is recorded as a log problem', 10 * 60_000),
        sweepInterval: durationKey('how often checkpoints waiting for punches are checked again', 30_000),
      })
      .strict()
      .default({ missingAfter: 10 * 60_000, sweepInterval: 30_000 }),
  })
  .strict()
  .refine((config) => config.mqtt || config.https, { message: 'expected mqtt, https or both: where the gateways deliver' })
  .refine((config) => !config.http.enabled || config.http.token !== undefined || isLoopbackHost(config.http.listen.host), {
    message: 'http.listen is not a loopback address: set http.token (or tokenFile), or keep the fleet page on 127.0.0.1',
    path: ['http', 'token'],
  });

export type CentralConfig = z.infer<typeof centralConfigSchema>;

export interface CentralLoadOptions {
  /** how `*File` secrets are read (`central command-key`: a key file not there yet reads as empty) */
  readFile?: (path: string) => string;
  /** each `*File` key read, with its path (commands.keyFile: where the command key lives) */
  onSecretFile?: (ref: SecretFileRef) => void;
}

export function loadCentralConfig(file: string, env: NodeJS.ProcessEnv = process.env, options: CentralLoadOptions = {}): CentralConfig {
  return parseCentralConfig(readConfigFile(file), file, env, options);
}

export function parseCentralConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env, options: CentralLoadOptions = {}): CentralConfig {
  return parseYamlConfig(text, file, { schema: centralConfigSchema, env, ...options });
}
