// Remote commands wired into a running gateway (README "Remote commands"): the runner with the
// config's trust and time rules, the MQTT sink as its channel, the buffer's connection for the
// replay guard, and the gateway's actions.
// Invariants:
// - Nothing listens unless commands.enabled; enabled without publish.mqtt is a warning and no
//   runner, with MQTT 3.1.1 a warning that nothing can be answered (response topics are MQTT 5).
import type { Logger } from 'pino';
import type { SqliteDatabase } from '../buffer/database.js';
import { parseVerifierKey } from '../log/note.js';
import type { MqttPublisher } from '../publish/mqttPublisher.js';
import type { Metrics } from '../util/metrics.js';
import { CommandRunner } from './commandRunner.js';
import { gatewayActions, type ActionParts } from './gatewayActions.js';
import { ReplayGuard } from './replayGuard.js';

export interface CommandParts extends ActionParts {
  readonly mqtt: MqttPublisher | undefined;
  readonly buffer: { readonly database: SqliteDatabase };
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** The started runner, or undefined when commands are off or cannot arrive. */
export function startGatewayCommands(parts: CommandParts, version: string): CommandRunner | undefined {
  const { commands, gateway, publish } = parts.config;
  if (!commands.enabled) return undefined;
  const mqtt = parts.mqtt;
  if (!mqtt) {
    parts.log.warn({ code: 'GW_ERR_CONFIG_WARNING' }, 'commands.enabled but there is no publish.mqtt: remote commands arrive over MQTT only; none will run');
    return undefined;
  }
  if (publish.mqtt?.protocolVersion === 4) parts.log.warn({ code: 'GW_ERR_CONFIG_WARNING' }, 'commands.enabled with MQTT 3.1.1 (protocolVersion 4): commands run, but no answer can be sent (response topics are MQTT 5)');
  const runner = new CommandRunner({
    gatewayId: gateway.id,
    trusted: commands.trustedKeys.map((key) => parseVerifierKey(key)),
    maxSkewMs: commands.maxSkew,
    maxLifetimeMs: commands.maxLifetime,
    channel: mqtt,
    guard: new ReplayGuard(parts.buffer.database),
    actions: gatewayActions(parts, version),
    metrics: parts.metrics,
    log: parts.log,
  });
  runner.start();
  return runner;
}
