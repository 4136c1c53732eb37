// `absensi-gateway run`: the daemon, and its composition root: the Gateway with the families of
// src/drivers.ts and the local API (startApiServer) in front. Logs JSON to stdout for journald;
// exits 78 on a bad config or an unusable punch log key, so systemd does not restart-loop on it;
// the config is checked here, as `check` does (schema and the files devices name), and not in an
// ExecStartPre: RestartPreventExitStatus= covers only the main process's exit status;
// stops gracefully on SIGTERM/SIGINT, and re-reads the config on SIGHUP (Gateway.reloadFromFile).
// A secret file that others may read is logged as a warning at start, the same one `check` prints.
import type { Command } from 'commander';
import { startApiServer } from '../api/server.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from '../config/load.js';
import { secretFileWarnings, type SecretFileRef } from '../config/secretFiles.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { Gateway } from '../gateway.js';
import type { ErrorCode } from '../util/catalogue.js';
import { codeOf, GatewayError } from '../util/errors.js';
import { createLogger } from '../util/logger.js';
import { EXIT_CONFIG, fileProblems } from './check.js';

/** A log key others may have read, or a broken one, needs an operator: exit 78, no restart loop. */
const LOG_KEY_REFUSALS: ReadonlySet<ErrorCode> = new Set(['GW_ERR_LOG_KEY_INVALID', 'GW_ERR_LOG_KEY_INSECURE']);

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the gateway daemon')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .action(async (options: { config: string }) => {
      let config;
      const secretFiles: SecretFileRef[] = [];
      try {
        config = loadConfigFile(options.config, { drivers: BUILTIN_DRIVERS, onSecretFile: (ref) => secretFiles.push(ref) });
        const problems = fileProblems(config, BUILTIN_DRIVERS);
        if (problems.length > 0) throw new ConfigError(options.config, problems);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        // the JSON line for journald and jq, the problems as `check` prints them for a person
        createLogger().fatal({ code: error.code, config: options.config, problems: error.problems }, 'config invalid; not starting (exit 78)');
        process.stderr.write(`${error.message}\n`);
        process.exitCode = EXIT_CONFIG;
        return;
      }
      const log = createLogger({ level: config.gateway.logLevel });
      for (const { path, file, mode, message } of secretFileWarnings(secretFiles)) log.warn({ code: 'GW_ERR_CONFIG_WARNING', path, file, mode }, message);
      const gateway = new Gateway(config, { log, drivers: BUILTIN_DRIVERS, api: startApiServer });
      let stopping: Promise<void> | undefined;
      // a reload asked for while the gateway is still starting runs once the start is done
      let started: () => void = () => undefined;
      const startDone = new Promise<void>((resolve) => (started = resolve));
      const shutdown = (signal: string): void => {
        if (stopping) return;
        log.info({ signal }, 'stopping');
        stopping = gateway.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            log.fatal({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error }, 'unclean stop');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // systemctl reload: re-read the config; an invalid one is refused and the old one keeps running
      process.on('SIGHUP', () => {
        if (stopping) return;
        log.info({ signal: 'SIGHUP', config: options.config }, 'reloading config');
        void startDone
          .then(() => (stopping ? undefined : gateway.reloadFromFile(options.config)))
          .catch((error: unknown) => log.error({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error }, 'config reload failed'));
      });
      process.on('unhandledRejection', (reason) => log.error({ code: 'GW_ERR_INTERNAL', err: reason }, 'unhandled rejection'));
      process.on('uncaughtException', (error) => {
        log.fatal({ code: 'GW_ERR_INTERNAL', err: error }, 'uncaught exception; stopping');
        shutdown('uncaughtException');
        process.exitCode = 1;
      });
      try {
        await gateway.start();
      } catch (error) {
        log.fatal({ code: codeOf(error, 'GW_ERR_INTERNAL'), err: error }, 'gateway failed to start');
        process.exitCode = error instanceof GatewayError && LOG_KEY_REFUSALS.has(error.code) ? EXIT_CONFIG : 1;
        await gateway.stop().catch(() => undefined);
      } finally {
        started();
      }
    });
}
