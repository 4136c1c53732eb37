// central.yaml (DESIGN.md "The centre"): validated by zod, `${ENV}` substituted, secrets from
// `*File` keys. The keys DESIGN names are contract; `gateways` (trusted verifier keys) and
// `verify` are additions.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { durationKey } from '../config/primitives.js';
import { ConfigError, formatPath, unreadableReason } from '../config/load.js';

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
        password: z.string().optional(),
        passwordFile: z.string().optional(),
        caFile: z.string().optional(),
      })
      .strict()
      .optional(),
    https: z
      .object({
        listen: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port').describe('where gateways POST punch-batch/v1 (path /api/punches)'),
        certFile: z.string().optional().describe('TLS certificate (PEM); without certFile and keyFile the endpoint is plain HTTP, for a TLS proxy in front'),
        keyFile: z.string().optional(),
        maxBodyBytes: z.number().int().positive().default(16 * 1024 * 1024),
        tokens: z.record(z.string(), z.object({ token: z.string().min(16).optional(), tokenFile: z.string().optional() }).strict()).describe('one bearer token per gateway id'),
      })
      .strict()
      .optional(),
    postgres: z.object({ url: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…') }).strict().optional(),
    gateways: z
      .record(z.string(), z.object({ logKey: vkey.describe('the verifier key recorded when the gateway was installed') }).strict())
      .default({})
      .describe('verifier keys the centre trusts; a gateway missing here is trusted on the first key its status names (logged)'),
    verify: z
      .object({
        missingAfter: durationKey('a seq still missing this long after a checkpoint covering it is recorded as a log problem', 10 * 60_000),
        sweepInterval: durationKey('how often checkpoints waiting for punches are checked again', 30_000),
      })
      .strict()
      .default({ missingAfter: 10 * 60_000, sweepInterval: 30_000 }),
  })
  .strict()
  .refine((config) => config.mqtt || config.https, { message: 'expected mqtt, https or both: where the gateways deliver' });

export type CentralConfig = z.infer<typeof centralConfigSchema>;

/** Reads and validates central.yaml; `${NAME}` is replaced from the environment, `passwordFile` read. */
export function loadCentralConfig(file: string, env: NodeJS.ProcessEnv = process.env): CentralConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '(root)', message: unreadableReason(file, error), code: 'GW_ERR_CONFIG_UNREADABLE' }]);
  }
  return parseCentralConfig(text, file, env);
}

export function parseCentralConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): CentralConfig {
  const substituted = text.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => env[name] ?? '');
  let document: unknown;
  try {
    document = parseYaml(substituted);
  } catch (error) {
    throw new ConfigError(file, [{ path: '(root)', message: `not YAML: ${(error as Error).message}`, code: 'GW_ERR_CONFIG_INVALID' }]);
  }
  const parsed = centralConfigSchema.safeParse(document);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message, code: 'GW_ERR_CONFIG_INVALID' as const })),
    );
  }
  const config = parsed.data;
  for (const [gateway, entry] of Object.entries(config.https?.tokens ?? {})) {
    if (entry.tokenFile) {
      try {
        entry.token = readFileSync(entry.tokenFile, 'utf8').trim();
      } catch (error) {
        throw new ConfigError(file, [{ path: `https.tokens.${gateway}.tokenFile`, message: unreadableReason(entry.tokenFile, error), code: 'GW_ERR_CONFIG_UNREADABLE' }]);
      }
    }
    if (!entry.token || entry.token.length < 16) throw new ConfigError(file, [{ path: `https.tokens.${gateway}`, message: 'expected token (at least 16 characters) or tokenFile', code: 'GW_ERR_CONFIG_INVALID' }]);
  }
  if (config.mqtt?.passwordFile) {
    try {
      config.mqtt.password = readFileSync(config.mqtt.passwordFile, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(file, [{ path: 'mqtt.passwordFile', message: unreadableReason(config.mqtt.passwordFile, error), code: 'GW_ERR_CONFIG_UNREADABLE' }]);
    }
  }
  return config;
}
