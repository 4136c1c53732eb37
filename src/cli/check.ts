// `absensi-gateway check`: validate a config file and say everything that is wrong with it: what
// the config schema of each entry's family refuses, and what its definition's checkFiles finds in
// the files the entry names (src/devices/definition.ts).
import type { Command } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile, type ConfigProblem } from '../config/load.js';
import { secretFileWarnings, type SecretFileRef } from '../config/secretFiles.js';
import type { AnyDriverDefinition } from '../devices/definition.js';
import { definitionOf, isKioskEntry, pushTrustOf } from '../devices/definition.js';
import { kioskCertificateStatus } from '../kiosk/status.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import type { GatewayConfig } from '../config/schema.js';
import { isLoopbackHost, sinkNamesOf } from '../config/schema.js';

export const EXIT_CONFIG = 78; // EX_CONFIG from sysexits.h: systemd shows it as "configuration error"

export function configWarnings(config: GatewayConfig, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): string[] {
  const warnings: string[] = [];
  if (!config.publish.mqtt && !config.publish.https) warnings.push('publish: no sink configured; punches will only be buffered locally');
  if (config.devices.filter((d) => d.enabled).length === 0) warnings.push('devices: no enabled device');
  if (config.publish.https?.url.startsWith('http://') && !isLoopbackHost(new URL(config.publish.https.url).hostname)) {
    warnings.push('publish.https.url: plain http:// sends punches and the token unencrypted');
  }
  if (config.publish.mqtt?.rejectUnauthorized === false || config.publish.https?.rejectUnauthorized === false) {
    warnings.push('publish: rejectUnauthorized is false; the server certificate is not verified');
  }
  config.devices.forEach((device, index) => {
    if (!device.enabled || pushTrustOf(device, drivers)?.authenticated !== false) return;
    const fix = definitionOf(drivers, device.driver)?.push?.howToAuthenticate;
    warnings.push(`devices[${index}] (${device.id}): push device accepts punches from any host on the network; ${fix}`);
  });
  warnings.push(...kioskWarnings(config, drivers));
  return warnings;
}

const RENEW_WARNING_MS = 30 * 86_400_000;

/** Kiosk entries without a usable certificate, or one about to end; listeners sharing an address. */
export function kioskWarnings(config: GatewayConfig, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS, now = Date.now()): string[] {
  const warnings: string[] = [];
  const kiosks = config.devices.map((device, index) => ({ device, index })).filter(({ device }) => device.enabled && isKioskEntry(device, drivers));
  for (const { device, index } of kiosks) {
    const status = kioskCertificateStatus(config.gateway.dataDir, device.id, now);
    const where = `devices[${index}] (${device.id})`;
    if (status.problem) warnings.push(`${where}: the kiosk CA's lists cannot be read: ${status.problem}`);
    else if (status.valid === 0) warnings.push(`${where}: kiosk has no valid certificate${status.certificate?.revoked ? ' (revoked)' : status.certificate?.expired ? ' (expired)' : ''}; it cannot punch until absensi-gateway kiosk enroll ${device.id} --out ${device.id}.p12`);
    else if (status.certificate && Date.parse(status.certificate.notAfter) - now < RENEW_WARNING_MS) warnings.push(`${where}: kiosk certificate ends ${status.certificate.notAfter}; enroll it again before then`);
  }
  const { listen } = config.kiosk;
  const push = config.pushListener.listen;
  if (kiosks.length > 0 && listen.port === push.port && (listen.host === push.host || listen.host === '0.0.0.0' || push.host === '0.0.0.0')) {
    warnings.push(`kiosk.listen and pushListener.listen share port ${listen.port}; one of them will not start`);
  }
  return warnings;
}

/** What each driver finds wrong in the files its device entries name (card maps and the like). */
export function fileProblems(config: GatewayConfig, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.devices.forEach((device, index) => {
    const definition = definitionOf(drivers, device.driver);
    for (const p of definition?.checkFiles?.(device) ?? []) problems.push({ path: `devices[${index}].${p.key}`, message: p.message });
  });
  return problems;
}

export function registerCheckCommand(program: Command, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): void {
  program
    .command('check')
    .description('validate the config file; exit non-zero and list every problem if it is invalid')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the result as JSON')
    .action((options: { config: string; json?: boolean }) => {
      try {
        const secretFiles: SecretFileRef[] = [];
        const config = loadConfigFile(options.config, { drivers, onSecretFile: (ref) => secretFiles.push(ref) });
        const problems = fileProblems(config, drivers);
        if (problems.length > 0) throw new ConfigError(options.config, problems);
        const warnings = [...configWarnings(config, drivers), ...secretFileWarnings(secretFiles).map((w) => w.message)];
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ok: true, file: options.config, devices: config.devices.length, warnings })}\n`);
        } else {
          process.stdout.write(`${options.config}: OK (${config.devices.length} device(s), sinks: ${sinkNamesOf(config).join(', ') || 'none'})\n`);
          for (const warning of warnings) process.stdout.write(`  warning: ${warning}\n`);
        }
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, file: options.config, code: error.code, problems: error.problems })}\n`);
        else process.stderr.write(`${error.message}\n`);
        process.exitCode = EXIT_CONFIG;
      }
    });
}
