// `absensi-gateway central command …` and `central command-key` (README "Remote commands").
// - `central command-key [-c central.yaml] [--json]` creates commands.keyFile when there is none
//   and prints its verifier key: what each gateway lists in commands.trustedKeys.
// - `central command <gatewayId> info|sync-clock|backfill|users-import [--device D] [--since T]
//   [--csv F] [--site S] [--json]` signs one command, sends it, waits for the answer, prints it.
//   The site: --site, else the gateway's row in PostgreSQL (postgres.url), else its retained status.
// Exit codes: 0 the gateway ran it, 1 the gateway refused it or it failed there, 64 bad arguments,
// 69 no broker or no answer in time, 78 a bad config or command key.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadCentralConfig, type CentralConfig } from '../central/config.js';
import { sendCommand } from '../central/commandClient.js';
import { loadOrCreateCommandKey, readCommandKey } from '../central/commandKey.js';
import { openPostgres } from '../central/store.js';
import { COMMAND_ACTIONS, commandArgsSchema, type CommandAction } from '../commands/command.js';
import { ConfigError } from '../config/load.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { pickDefined } from '../util/pickDefined.js';
import { EXIT_CONFIG } from './check.js';

const DEFAULT_CENTRAL_CONFIG = '/etc/absensi-central/central.yaml';
const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;

interface Loaded {
  config: CentralConfig;
  /** commands.keyFile as given */
  keyFile: string | undefined;
}

/** central.yaml with the path of commands.keyFile; `allowMissingKey` lets `command-key` read it before the key exists. */
function load(file: string, allowMissingKey: boolean): Loaded | undefined {
  let keyFile: string | undefined;
  try {
    const config = loadCentralConfig(file, process.env, {
      onSecretFile: (ref) => {
        if (ref.path === 'commands.keyFile') keyFile = ref.file;
      },
      ...(allowMissingKey ? { readFile: readOrEmpty } : {}),
    });
    return { config, keyFile };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = EXIT_CONFIG;
    return undefined;
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function fail(message: string, exitCode: number): void {
  process.stderr.write(`${message}\n`);
  process.exitCode = exitCode;
}

function commandKey(options: { config: string; json?: boolean }): void {
  const loaded = load(options.config, true);
  if (!loaded) return;
  if (!loaded.keyFile) return fail(`${options.config}: commands.keyFile is not set: add commands: { keyFile: /etc/absensi-central/command-key.pem }`, EXIT_CONFIG);
  try {
    const key = loadOrCreateCommandKey(loaded.keyFile, loaded.config.central.id);
    process.stdout.write(options.json ? `${JSON.stringify({ file: key.file, name: key.name, vkey: key.vkey, created: key.created })}\n` : `${key.vkey}\n`);
    if (!options.json) process.stderr.write(`${key.created ? 'created' : 'read'} ${key.file}; put the line above in each gateway's commands.trustedKeys\n`);
  } catch (error) {
    fail(`${error instanceof GatewayError ? `${error.code}: ` : ''}${errorMessage(error)}`, EXIT_CONFIG);
  }
}

interface CommandOptions {
  config: string;
  device?: string;
  devices?: string;
  since?: string;
  csv?: string;
  site?: string;
  json?: boolean;
}

/** The command's args from the options; a usage message when they do not fit the action. */
function argsFor(action: CommandAction, o: CommandOptions): Record<string, unknown> | string {
  switch (action) {
    case 'info':
      return {};
    case 'sync-clock':
      return o.device ? { device: o.device } : 'sync-clock needs --device <id>';
    case 'backfill':
      return o.device ? { device: o.device, ...(o.since ? { since: o.since } : {}) } : 'backfill needs --device <id> [--since T]';
    case 'users-import': {
      if (!o.csv) return 'users-import needs --csv <file> [--devices a,b]';
      try {
        return { csv: readFileSync(o.csv, 'utf8'), ...(o.devices ? { devices: o.devices.split(',').map((d) => d.trim()).filter(Boolean) } : {}) };
      } catch (error) {
        return `--csv ${o.csv}: ${errorMessage(error)}`;
      }
    }
  }
}

async function command(gatewayId: string, action: string, options: CommandOptions): Promise<void> {
  if (!(COMMAND_ACTIONS as readonly string[]).includes(action)) return fail(`unknown command "${action}"; expected one of ${COMMAND_ACTIONS.join(', ')}`, EXIT_USAGE);
  const args = argsFor(action as CommandAction, options);
  if (typeof args === 'string') return fail(args, EXIT_USAGE);
  // what the gateway would refuse as malformed is a usage error here
  const checked = commandArgsSchema.safeParse({ action, args });
  if (!checked.success) return fail(`${action}: ${checked.error.issues.map((i) => `${i.path.slice(1).join('.') || 'args'}: ${i.message}`).join('; ')}`, EXIT_USAGE);
  const loaded = load(options.config, false);
  if (!loaded) return;
  const { config, keyFile } = loaded;
  if (!config.mqtt) return fail(`${options.config}: central command needs mqtt (the gateways listen for commands on the broker)`, EXIT_CONFIG);
  if (!keyFile || !config.commands) return fail(`${options.config}: commands.keyFile is not set (create the key with: absensi-gateway central command-key)`, EXIT_CONFIG);
  let signer;
  try {
    signer = readCommandKey(keyFile, config.central.id).signer;
  } catch (error) {
    return fail(`${error instanceof GatewayError ? `${error.code}: ` : ''}${errorMessage(error)}`, EXIT_CONFIG);
  }
  const { mqtt } = config;
  const known = options.site ? { site: options.site, from: 'option' as const } : await storedSite(config, gatewayId);
  try {
    const { site, sent, result } = await sendCommand(
      { url: mqtt.url, prefix: mqtt.topicPrefix, gatewayId, ...pickDefined({ username: mqtt.username, password: mqtt.password, ca: mqtt.ca, site: known?.site }) },
      { action: action as CommandAction, args, signer, lifetimeMs: config.commands.lifetime, timeoutMs: config.commands.timeout },
    );
    if (options.json) process.stdout.write(`${JSON.stringify({ site, siteFrom: known?.from ?? 'broker', command: sent.command, result }, null, 2)}\n`);
    else if (result.ok) process.stdout.write(`${gatewayId} (${site}) ran ${action} (${sent.command.id}):\n${JSON.stringify(result.result, null, 2)}\n`);
    else process.stdout.write(`${gatewayId} (${site}) did not run ${action} (${sent.command.id}): ${result.code}${result.reason ? ` (${result.reason})` : ''}: ${result.message ?? ''}\n`);
    if (!result.ok) process.exitCode = 1;
  } catch (error) {
    fail(`${error instanceof GatewayError ? `${error.code}: ` : ''}${errorMessage(error)}`, EXIT_UNAVAILABLE);
  }
}

/**
 * The site the centre stored for the gateway (its `gateways` row, from the gateway's status), when
 * central.yaml names a PostgreSQL server; undefined otherwise (the retained status on the broker
 * is asked then). Embedded PGlite is never opened here: the running `central` holds it.
 */
async function storedSite(config: CentralConfig, gatewayId: string): Promise<{ site: string; from: 'database' } | undefined> {
  if (!config.postgres) return undefined;
  let store;
  try {
    store = await openPostgres(config.postgres.url, { max: 1 });
    const row = (await store.query<{ site: string }>('SELECT site FROM gateways WHERE id = $1', [gatewayId])).rows[0];
    return row ? { site: row.site, from: 'database' } : undefined;
  } catch (error) {
    process.stderr.write(`GW_ERR_CENTRAL_STORE_UNAVAILABLE: the gateway's site is not read from the database (${errorMessage(error)}); asking the broker\n`);
    return undefined;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

export function registerCentralCommands(central: Command): void {
  central
    .command('command-key')
    .description("create the centre's command signing key (commands.keyFile) when there is none, and print its public key for the gateways' commands.trustedKeys")
    .option('-c, --config <file>', 'central.yaml', DEFAULT_CENTRAL_CONFIG)
    .option('--json', 'file, name and key as JSON')
    .action(commandKey);
  central
    .command('command')
    .description(`send a signed command to a gateway and print its answer: ${COMMAND_ACTIONS.join(' | ')}`)
    .argument('<gatewayId>', 'the gateway (gateway.id)')
    .argument('<command>', COMMAND_ACTIONS.join(' | '))
    .option('-c, --config <file>', 'central.yaml', DEFAULT_CENTRAL_CONFIG)
    .option('--device <id>', 'sync-clock, backfill: the device (its id in the gateway config)')
    .option('--since <time>', 'backfill: from this terminal-local date or time (2026-01-01, 2026-01-01T07:00)')
    .option('--csv <file>', 'users-import: the employee list (pin,name,card,privilege)')
    .option('--devices <ids>', 'users-import: comma-separated device ids (default: every terminal)')
    .option('--site <site>', "the gateway's site (default: from its retained status on the broker)")
    .option('--json', 'the command and the answer as JSON')
    .action(command);
}
