// `absensi-gateway central`: the reference centre (DESIGN.md "The centre", README "The centre").
// - `central [run] --config central.yaml [--instance N]` consumes the fleet into the database
//   until SIGTERM/SIGINT; several processes with one mqtt.group split the punches.
// - `central report --date YYYY-MM-DD [--json]` says per gateway and device whether the day is
//   complete, or what is missing, and lists the log problems found.
// - `central command …` and `central command-key`: signed remote commands (centralCommand.ts).
// Exit codes: 0, 1 (report: a device not complete, or a log problem), 64 bad arguments, 69 the
// database cannot be used, 78 a bad config.
import type { Command } from 'commander';
import { Central, openCentralStore } from '../central/central.js';
import { loadCentralConfig, type CentralConfig } from '../central/config.js';
import { dayReport, formatDayReport } from '../central/report.js';
import { ConfigError } from '../config/load.js';
import { codeOf, errorMessage } from '../util/errors.js';
import { createLogger } from '../util/logger.js';
import { EXIT_CONFIG } from './check.js';
import { registerCentralCommands } from './centralCommand.js';

const DEFAULT_CENTRAL_CONFIG = '/etc/absensi-central/central.yaml';
const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 69;

function configOrExit(file: string): CentralConfig | undefined {
  try {
    return loadCentralConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = EXIT_CONFIG;
    return undefined;
  }
}

async function runCentral(options: { config: string; instance: string }): Promise<void> {
  const config = configOrExit(options.config);
  if (!config) return;
  const log = createLogger({ level: config.central.logLevel });
  const central = new Central({ config, log, instance: options.instance });
  try {
    await central.start();
  } catch (error) {
    log.fatal({ code: codeOf(error, 'GW_ERR_CENTRAL_STORE_UNAVAILABLE'), err: error }, 'central did not start');
    process.exitCode = EXIT_UNAVAILABLE;
    await central.stop().catch(() => undefined);
    return;
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await central.stop();
  log.info(central.receiver?.counts ?? {}, 'central stopped');
}

async function report(options: { config: string; date: string; json?: boolean }): Promise<void> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.date)) {
    process.stderr.write(`--date: expected YYYY-MM-DD, got "${options.date}"\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  const config = configOrExit(options.config);
  if (!config) return;
  let store;
  try {
    store = await openCentralStore(config);
  } catch (error) {
    process.stderr.write(`GW_ERR_CENTRAL_STORE_UNAVAILABLE: ${errorMessage(error)}\n`);
    process.exitCode = EXIT_UNAVAILABLE;
    return;
  }
  try {
    const day = await dayReport(store, options.date);
    process.stdout.write(options.json ? `${JSON.stringify(day, null, 2)}\n` : formatDayReport(day));
    if (day.devices.some((d) => !d.complete) || day.problems.length > 0) process.exitCode = 1;
  } finally {
    await store.close();
  }
}

export function registerCentralCommand(program: Command): void {
  const central = program.command('central').description('the reference centre: punches, checkpoints and watermarks of a fleet into PostgreSQL, with every log checked');
  central
    .command('run', { isDefault: true })
    .description('consume the fleet from the broker into the database (the default)')
    .option('-c, --config <file>', 'central.yaml', DEFAULT_CENTRAL_CONFIG)
    .option('--instance <name>', 'tells processes of one group apart (MQTT client id {central.id}-{instance})', '1')
    .action(runCentral);
  central
    .command('report')
    .description('is a day complete, per gateway and device? (watermark past the day, every seq stored and verified)')
    .requiredOption('--date <YYYY-MM-DD>', 'the local day')
    .option('-c, --config <file>', 'central.yaml', DEFAULT_CENTRAL_CONFIG)
    .option('--json', 'the report as JSON')
    .action(report);
  registerCentralCommands(central);
}
