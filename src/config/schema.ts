// The configuration schema (DESIGN.md "Config"). Contract keys keep their names and meaning;
// new keys may be added with defaults. config/config.schema.json is generated from this file
// (`npm run schema`; a test fails when it is stale) and config/example.yaml documents every key.
// Invariants:
// - Every object is strict: an unknown key is an error (a typo must not silently do nothing).
// - Secrets arrive here already read from their `*File` keys (load.ts); the schema sees `token`,
//   `password`, `ca`, `cert`, `key` as plain strings.
import { join } from 'node:path';
import { z } from 'zod';
import type { AnyDriverDefinition } from '../devices/definition.js';
import { DEFAULT_ZONE } from '../punch/time.js';
import { isLoopbackHost } from '../util/loopback.js';
import { baseDeviceSchema, duration, hostName, listenAddress, parsedUrl, timeZone } from './primitives.js';
import { closestName } from './suggest.js';
import { parseVerifierKey } from '../log/note.js';

export { isLoopbackHost };

const tlsFields = {
  ca: z.string().optional().describe('PEM CA bundle to trust (or caFile: path)'),
  cert: z.string().optional().describe('PEM client certificate for mutual TLS (or certFile: path)'),
  key: z.string().optional().describe('PEM client private key for mutual TLS (or keyFile: path)'),
  rejectUnauthorized: z.boolean().default(true).describe('verify the server certificate; leave true outside tests'),
};

export const gatewaySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, dot, dash or underscore').describe('gateway id, unique in the fleet'),
  site: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, dot, dash or underscore').describe('site / OPD / building code; part of MQTT topics'),
  timezone: timeZone.default(DEFAULT_ZONE).describe('default IANA zone of device clocks (Asia/Jakarta WIB, Asia/Makassar WITA, Asia/Jayapura WIT)'),
  dataDir: z.string().min(1).default('/var/lib/absensi-gateway').describe('directory of the SQLite buffer and of the punch log signing key (log-key.pem)'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('log level'),
});

export const apiSchema = z
  .strictObject({
    listen: listenAddress('local API address; keep it on loopback unless a token is set').prefault('127.0.0.1:8080'),
    token: z.string().min(16, 'expected at least 16 characters').optional().describe('bearer token for the local API (or tokenFile: path)'),
    allowedHosts: z
      .array(hostName('a host name or address the local API may be reached under'))
      .default([])
      .describe('names (no port) the API answers for besides loopback and the listen host, e.g. a reverse proxy\'s or the PC\'s own DNS name; any other Host header is refused (DNS rebinding)'),
  })
  .superRefine((api, ctx) => {
    if (!isLoopbackHost(api.listen.host) && !api.token) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'required when api.listen is not a loopback address' });
    }
  });

export const pushListenerSchema = z.strictObject({
  listen: listenAddress('address terminals push to (ZK ADMS, Hikvision)').prefault('0.0.0.0:8081'),
  maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024).describe('largest request body accepted from a terminal'),
  requestTimeout: duration('a request (headers and body) not received whole within this is answered 408 and its connection closed (slowloris)').default(30_000),
  idleTimeout: duration('a connection silent for this long is closed').default(60_000),
  keepAliveTimeout: duration('how long a connection is kept open for the next request after a reply').default(5_000),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .default(1_024)
    .describe('open connections at once from addresses no configured terminal uses (allowFrom, pinned comm-key address, Hikvision host); further ones are closed at once, while configured terminals always find room'),
  maxConnectionsPerAddress: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .default(16)
    .describe('open connections at once from any one source address (a terminal uses one or two); further ones are closed at once'),
});

export const kioskSchema = z
  .strictObject({
    listen: listenAddress('address kiosks and apps reach the kiosk listener at: HTTPS with mutual TLS only, started when a kiosk device is configured').prefault('0.0.0.0:8443'),
    maxSkew: duration('a punch whose stated time is further than this from the gateway clock is refused (409 GW_ERR_KIOSK_CLOCK, with the gateway time)').default(120_000),
    photoRetention: duration('how long kiosk punch photos are kept in <gateway.dataDir>/photos').default(30 * 86_400_000),
    serverNames: z
      .array(hostName('a host name or address kiosks reach the gateway by'))
      .default([])
      .describe('names and addresses to put in the listener\'s server certificate besides localhost, this host\'s name and its addresses (a DNS name the tablets use)'),
  })
  .describe('the kiosk listener (DESIGN.md "Kiosks and apps"); certificates come from the local CA in <gateway.dataDir>/kiosk-ca (kiosk enroll)');

export const mqttSinkSchema = z.strictObject({
  url: parsedUrl(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected mqtt://, mqtts://, ws:// or wss:// URL').describe('broker URL'),
  topicPrefix: z.string().min(1).regex(/^[^#+]+$/, 'must not contain MQTT wildcards').default('absensi').describe('first topic level'),
  clientId: z.string().min(1).optional().describe('MQTT client id; default absensi-gw-<gateway.id>'),
  username: z.string().optional().describe('broker user name'),
  password: z.string().optional().describe('broker password (or passwordFile: path, or ${ENV})'),
  ...tlsFields,
  protocolVersion: z.union([z.literal('auto'), z.literal(4), z.literal(5)]).default('auto').describe('MQTT 3.1.1 (4), 5, or auto: try 5, fall back to 3.1.1'),
  keepalive: duration('keepalive interval').default(30_000),
  connectTimeout: duration('connect timeout').default(30_000),
  reconnectMin: duration('first reconnect delay').default(1_000),
  reconnectMax: duration('longest reconnect delay (exponential backoff)').default(60_000),
  maxInFlight: z.number().int().min(1).max(65_000).default(500).describe('QoS 1 publishes awaiting PUBACK at once'),
  batchSize: z.number().int().min(1).max(10_000).default(100).describe('punches handed to the publisher at once'),
  ackTimeout: duration('how long to wait for a PUBACK before publishing again').default(60_000),
  statusInterval: duration('how often the retained gateway status is refreshed').default(60_000),
});

export const httpsSinkSchema = z.strictObject({
  url: parsedUrl(/^https?:\/\/.+/, 'expected an https:// URL').describe('endpoint receiving punch-batch/v1 POSTs'),
  token: z.string().optional().describe('bearer token (or tokenFile: path, or ${ENV})'),
  ...tlsFields,
  gzip: z.boolean().default(false).describe('gzip request bodies'),
  batchSize: z.number().int().min(1).max(10_000).default(500).describe('punches per POST'),
  maxWait: duration('how long a partial batch waits for more punches').default(1_000),
  timeout: duration('request timeout').default(30_000),
  authRetry: duration('after 401/403, how long to wait before trying again').default(300_000),
  photosUrl: parsedUrl(/^https?:\/\/.+/, 'expected an https:// URL').optional().describe('with publish.photos: where photos are PUT as <photosUrl>/<sha256> (image/jpeg); default <url>/photos'),
});

export const publishSchema = z
  .strictObject({
    mqtt: mqttSinkSchema.optional(),
    https: httpsSinkSchema.optional(),
    photos: z.boolean().default(false).describe('also publish kiosk punch photos (personal data): MQTT {prefix}/{site}/{deviceId}/photo/{sha256}, HTTPS PUT <https.photosUrl>/{sha256}; each before its punch. Off: photos stay on the gateway, punches carry only raw.photoSha256'),
  })
  .prefault({});

export const bufferSchema = z
  .strictObject({
    file: z.string().min(1).optional().describe('SQLite file; default <gateway.dataDir>/buffer.db'),
    retention: duration('how long delivered punches are kept for local look-up').default(90 * 86_400_000),
    synchronous: z.enum(['full', 'normal']).default('full').describe('SQLite synchronous mode; full survives power loss'),
    writer: z.enum(['thread', 'inline']).default('thread').describe('commit on a worker thread (fsync beside the event loop) or inline'),
    pruneInterval: duration('how often retention runs').default(3_600_000),
  })
  .prefault({});

export const punchesSchema = z
  .strictObject({
    minYear: z.number().int().min(1970).default(2000).describe('punches dated before this year go to quarantine'),
    maxFuture: duration('punches dated further than this ahead of the gateway clock go to quarantine').default(86_400_000),
  })
  .prefault({});

export const logSchema = z
  .strictObject({
    checkpointInterval: duration('how often, at most, a new signed checkpoint of the punch log is published (MQTT retained checkpoint topic), and only when punches were committed since; HTTPS batches and the stop get one whenever they need it')
      .refine((ms) => ms >= 100, 'expected at least 100ms')
      .default(10_000),
  })
  .prefault({})
  .describe('the tamper-evident punch log: checkpoints signed with <gateway.dataDir>/log-key.pem');

const verifierKey = z.string().superRefine((text, ctx) => {
  try {
    parseVerifierKey(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `expected a verifier key as \`absensi-gateway central command-key\` prints it (${error instanceof Error ? error.message : 'unreadable'})` });
  }
});

export const commandsSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('run signed remote commands from the centre (needs publish.mqtt on an MQTT 5 broker)'),
    trustedKeys: z.array(verifierKey).default([]).describe('verifier keys of the centres whose commands this gateway runs (`absensi-gateway central command-key` prints one)'),
    maxSkew: duration('how far ahead of the gateway clock a command may say it was issued').default(120_000),
    maxLifetime: duration('the longest a command may live (expiresAt − issuedAt); longer ones are refused').default(3_600_000),
  })
  .prefault({})
  .refine((c) => !c.enabled || c.trustedKeys.length > 0, { message: 'commands.enabled needs at least one key in commands.trustedKeys', path: ['trustedKeys'] })
  .describe('signed remote commands from the centre (README "Remote commands")');

export const userSyncGroupSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, dot, dash or underscore').describe('group name, in logs, metrics and /api/users/conflicts'),
  devices: z.array(z.string().min(1)).min(2, 'a group needs at least two devices').describe('device ids whose users and templates are kept alike (families whose users side runs beside the daemon)'),
  templates: z.boolean().default(true).describe('copy biometric templates too (only between equal algorithm versions)'),
  interval: duration('how often the group is compared and missing users copied').default(300_000),
});

export const userSyncSchema = z.array(userSyncGroupSchema).default([]).describe('groups of terminals whose users the daemon copies to each other (README "Users and templates"); conflicts are reported, never overwritten, nothing is deleted');

export const supervisorSchema = z
  .strictObject({
    restartMin: duration('first delay before restarting a failed driver').default(1_000),
    restartMax: duration('longest delay between driver restarts').default(300_000),
    shutdownTimeout: duration('how long SIGTERM waits for drivers and in-flight publishes').default(10_000),
  })
  .prefault({});

/**
 * The family whose schema checks an entry's keys: the one its `driver:` names, else the one a
 * misspelt name most likely means (`zk-tpc` → zk-tcp), else none.
 */
export function entryDefinition(drivers: readonly AnyDriverDefinition[], driver: unknown): { definition?: AnyDriverDefinition; guessed: boolean } {
  if (typeof driver !== 'string') return { guessed: false };
  const exact = drivers.find((d) => d.protocol === driver);
  if (exact) return { definition: exact, guessed: false };
  const guess = closestName(driver, drivers.map((d) => d.protocol));
  return { definition: drivers.find((d) => d.protocol === guess), guessed: guess !== undefined };
}

// An entry whose driver is unknown (or missing) is still checked, so that fixing the driver does
// not bring a second round of errors: against the family a misspelt name means, else against the
// fields every entry has (without refusing keys, which only a family knows).
function deviceSchema(drivers: readonly AnyDriverDefinition[]) {
  const known = drivers.map((d) => d.protocol);
  const has = `this build has: ${known.join(', ') || 'none'}`;
  return z
    .looseObject({ driver: z.unknown().optional().describe(`device protocol: ${known.join(', ') || '(none built in)'}`) })
    .transform((entry, ctx) => {
      const { definition, guessed } = entryDefinition(drivers, entry.driver);
      if (!definition || guessed) {
        const message =
          entry.driver === undefined
            ? `required: the device protocol; ${has}`
            : typeof entry.driver !== 'string'
              ? `expected a device protocol name; ${has}`
              : `unknown driver "${entry.driver}"; ${definition ? `did you mean "${definition.protocol}"? ` : ''}${has}`;
        ctx.addIssue({ code: 'custom', path: ['driver'], message });
      }
      const parsed = definition ? definition.configSchema.safeParse(guessed ? { ...entry, driver: definition.protocol } : entry) : baseDeviceSchema.safeParse(entry);
      // zod's own codes are kept (load.ts words `unrecognized_keys` and a missing key its own way)
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue(issue as z.core.$ZodRawIssue);
      if (!parsed.success || !definition || guessed) return z.NEVER;
      return parsed.data as { id: string; driver: string; enabled: boolean; timezone?: string; serial?: string };
    });
}

function configShape<D extends z.ZodType>(devices: D) {
  return {
    gateway: gatewaySchema,
    api: apiSchema.prefault({}),
    pushListener: pushListenerSchema.prefault({}),
    kiosk: kioskSchema.prefault({}),
    devices: z.array(devices).default([]).describe('the terminals this gateway reads'),
    publish: publishSchema,
    buffer: bufferSchema,
    punches: punchesSchema,
    log: logSchema,
    commands: commandsSchema,
    userSync: userSyncSchema,
    supervisor: supervisorSchema,
  };
}

/**
 * The same shape with `devices` as a plain union of every driver's schema: what editors and the
 * JSON Schema file need. Validation uses `buildConfigSchema`, whose per-driver errors are clearer.
 */
export function buildDocumentationSchema(drivers: readonly AnyDriverDefinition[]) {
  const schemas = drivers.map((d) => d.configSchema);
  const devices = schemas.length === 0 ? z.never() : schemas.length === 1 ? (schemas[0] as z.ZodType) : z.union(schemas as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  return z.strictObject(configShape(devices)).describe('absensi-gateway configuration');
}

export function buildConfigSchema(drivers: readonly AnyDriverDefinition[]) {
  return z
    .strictObject({
      ...configShape(deviceSchema(drivers)),
    })
    .superRefine((config, ctx) => {
      const seen = new Map<string, number>();
      config.devices.forEach((device, index) => {
        const first = seen.get(device.id);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['devices', index, 'id'], message: `duplicate device id "${device.id}" (also devices[${first}])` });
        else seen.set(device.id, index);
      });
      for (const issue of userSyncIssues(config, drivers)) ctx.addIssue({ code: 'custom', ...issue });
    });
}

/**
 * What makes a userSync group unrunnable: a device id no entry has, a disabled entry, a family
 * without a users side, or one that serves a single client (zk-tcp: the daemon's own session
 * holds the terminal, so the sync would have to borrow the driver's connection, which this build
 * does not do), a device twice, a group name twice.
 */
function userSyncIssues(config: { devices: readonly { id: string; driver: string; enabled: boolean }[]; userSync: readonly { name: string; devices: readonly string[] }[] }, drivers: readonly AnyDriverDefinition[]): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const names = new Set<string>();
  config.userSync.forEach((group, g) => {
    if (names.has(group.name)) issues.push({ path: ['userSync', g, 'name'], message: `duplicate userSync group "${group.name}"` });
    names.add(group.name);
    group.devices.forEach((id, i) => {
      const path = ['userSync', g, 'devices', i];
      if (group.devices.indexOf(id) !== i) return void issues.push({ path, message: `"${id}" is named twice in this group` });
      const device = config.devices.find((d) => d.id === id);
      if (!device) return void issues.push({ path, message: `no device "${id}"; devices are: ${config.devices.map((d) => d.id).join(', ') || 'none'}` });
      if (!device.enabled) return void issues.push({ path, message: `"${id}" is disabled (enabled: false); enable it or leave it out of the group` });
      const users = drivers.find((d) => d.protocol === device.driver)?.users;
      if (!users) return void issues.push({ path, message: `"${id}" is a ${device.driver} device, whose family has no users side in this build` });
      if ('unsupported' in users) return void issues.push({ path, message: `"${id}" is a ${device.driver} device: ${users.unsupported}` });
      if ('throughDaemon' in users) return; // its running driver lends its session
      if (!users.alongsideDaemon && !users.lendsToDaemon) {
        issues.push({ path, message: `"${id}" is a ${device.driver} device: its terminal serves one connection at a time and the daemon's driver holds it, so userSync cannot read it beside the daemon in this build (only families whose users side runs beside the daemon: ${drivers.filter((d) => d.users && 'load' in d.users && d.users.alongsideDaemon).map((d) => d.protocol).join(', ')}); copy its users with \`absensi-gateway users copy\` with the daemon stopped` });
      }
    });
  });
  return issues;
}

export type GatewayConfig = z.output<ReturnType<typeof buildConfigSchema>>;
export type MqttSinkConfig = z.output<typeof mqttSinkSchema>;
export type HttpsSinkConfig = z.output<typeof httpsSinkSchema>;
export type KioskSectionConfig = z.output<typeof kioskSchema>;
export type DeviceConfig = GatewayConfig['devices'][number];
export type UserSyncGroupConfig = GatewayConfig['userSync'][number];

/** The SQLite buffer file a config points at: buffer.file, else <gateway.dataDir>/buffer.db. */
export function bufferFileOf(config: Pick<GatewayConfig, 'buffer' | 'gateway'>): string {
  return config.buffer.file ?? join(config.gateway.dataDir, 'buffer.db');
}

/** The sink names a config publishes to, in the order the gateway creates them. */
export function sinkNamesOf(config: Pick<GatewayConfig, 'publish'>): string[] {
  return [...(config.publish.mqtt ? ['mqtt'] : []), ...(config.publish.https ? ['https'] : [])];
}

type Walkable = z.core.$ZodType;

/** Through optional, default, prefault, nullable, readonly, catch and the input side of a transform. */
function unwrapSchema(schema: Walkable): Walkable {
  let current = schema;
  for (let hops = 0; hops < 32; hops += 1) {
    const def = current._zod.def as { type: string; innerType?: Walkable; in?: Walkable };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

let plainShape: Walkable | undefined;

/**
 * The keys the object at `path` of a config accepts (for "did you mean"): the schema walked along
 * the path, a device entry's from the family its `driver:` names or most likely means. `input` is
 * the config as read, to find each entry's driver. Empty where there is no object schema.
 */
export function knownKeysAt(drivers: readonly AnyDriverDefinition[], input: unknown, path: readonly (string | number)[]): string[] {
  plainShape ??= z.strictObject(configShape(z.unknown()));
  let schema: Walkable = plainShape;
  let value: unknown = input;
  for (const [depth, part] of path.entries()) {
    const next = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    if (depth === 1 && path[0] === 'devices' && typeof part === 'number') {
      const driver = next && typeof next === 'object' ? (next as { driver?: unknown }).driver : undefined;
      schema = entryDefinition(drivers, driver).definition?.configSchema ?? baseDeviceSchema;
    } else {
      const def = unwrapSchema(schema)._zod.def as { type: string; shape?: Record<string, Walkable>; element?: Walkable; valueType?: Walkable };
      const inner = def.type === 'object' ? def.shape?.[part] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
      if (!inner) return [];
      schema = inner;
    }
    value = next;
  }
  const def = unwrapSchema(schema)._zod.def as { type: string; shape?: Record<string, Walkable> };
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
