// SIGHUP / `systemctl reload`: re-read the config file and apply the device list live.
// Invariants:
// - An invalid new config changes nothing: the error is logged with every problem
//   (GW_ERR_CONFIG_INVALID / GW_ERR_CONFIG_UNREADABLE), counted as `refused`, and the old config
//   keeps running.
// - Only `devices` changes live. A device whose config is unchanged keeps running untouched; a
//   removed one is stopped; a changed one is stopped completely before its new instance starts
//   (never two sessions to one terminal); an added one is started. Punches are never lost or
//   doubled by this: a driver's emit commits before it acknowledges (the buffer de-duplicates by
//   id), so a punch a stopping driver did not commit is fetched again by the new instance.
// - Every other section (gateway, api, pushListener, publish, buffer, punches, supervisor) needs a
//   restart: a change there is logged as such and the running value is kept. So does the first
//   push device (zk-push) of a gateway that started without one: its listener is not running.
// - A removed device's retained MQTT status turns `online: false` with lastError "removed from the
//   gateway config", so the centre does not see a stale "online".
// - Reloads of one gateway run one after another, never interleaved.
import type { Logger } from 'pino';
import { ConfigError, loadConfigFile, type LoadOptions } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import type { DeviceSnapshot } from '../devices/deviceState.js';
import type { BaseDeviceConfig } from '../devices/driver.js';
import { needsPushListener } from '../devices/definition.js';
import type { Gateway } from '../gateway.js';

export interface ReloadOutcome {
  applied: boolean;
  added: string[];
  removed: string[];
  changed: string[];
  /** top-level sections that differ but need a restart; their running values were kept */
  needsRestart: string[];
}

const REFUSED: ReloadOutcome = { applied: false, added: [], removed: [], changed: [], needsRestart: [] };
const inFlight = new WeakMap<Gateway, Promise<unknown>>();

/** Re-reads `file` and applies it to a running gateway; never throws for a bad file. */
export function reloadFromFile(gateway: Gateway, file: string, options: Partial<LoadOptions> = {}): Promise<ReloadOutcome> {
  return serialized(gateway, async () => {
    let next: GatewayConfig;
    try {
      next = loadConfigFile(file, { drivers: gateway.drivers, ...options });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      gateway.metrics.configReloads.inc({ result: 'refused' });
      gateway.log.error({ code: error.code, file, problems: error.problems }, 'config reload refused: the new file is invalid; the running config is kept');
      return REFUSED;
    }
    return applyConfig(gateway, next);
  });
}

/** Applies an already validated config to a running gateway (see the invariants above). */
export function reloadGateway(gateway: Gateway, next: GatewayConfig): Promise<ReloadOutcome> {
  return serialized(gateway, () => applyConfig(gateway, next));
}

function serialized<T>(gateway: Gateway, task: () => Promise<T>): Promise<T> {
  const previous = inFlight.get(gateway) ?? Promise.resolve();
  const run = previous.then(task, task);
  inFlight.set(gateway, run.catch(() => undefined));
  return run;
}

async function applyConfig(gateway: Gateway, next: GatewayConfig): Promise<ReloadOutcome> {
  if (!gateway.supervisor) {
    gateway.log.warn('config reload ignored: the gateway has not started yet');
    return REFUSED;
  }
  const current = gateway.config;
  const zone = current.gateway.timezone;
  const effective = (device: BaseDeviceConfig): BaseDeviceConfig => ({ ...device, timezone: device.timezone ?? zone });
  const before = new Map(current.devices.map((d) => [d.id, JSON.stringify(effective(d))]));
  const after = new Map(next.devices.map((d) => [d.id, d]));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const added = [...after.keys()].filter((id) => !before.has(id));
  const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== JSON.stringify(effective(after.get(id)!)));
  const needsRestart = Object.keys(next).filter((key) => key !== 'devices' && JSON.stringify(next[key as keyof GatewayConfig]) !== JSON.stringify(current[key as keyof GatewayConfig]));
  // the push listener starts with the gateway, and only when a push device is configured then
  const needsListener = [...added, ...changed].some((id) => needsPushListener(after.get(id)!, gateway.drivers));
  if (needsListener && !gateway.push && !needsRestart.includes('pushListener')) needsRestart.push('pushListener');

  const { supervisor, log } = gateway;
  const timeoutMs = current.supervisor.shutdownTimeout;
  const lastKnown = new Map(removed.map((id) => [id, gateway.states.get(id)]));
  await Promise.all([...removed, ...changed].map((id) => supervisor.remove(id, timeoutMs)));
  for (const id of removed) {
    gateway.metrics.deviceUp.remove({ device: id });
    publishRemoved(gateway, id, lastKnown.get(id));
  }
  gateway.config = { ...current, devices: next.devices };
  for (const id of [...changed, ...added]) supervisor.add(effective(after.get(id)!));
  gateway.clock.annotate();
  gateway.metrics.configReloads.inc({ result: 'applied' });
  logOutcome(log, { applied: true, added, removed, changed, needsRestart }, next.devices.length);
  return { applied: true, added, removed, changed, needsRestart };
}

/** The retained device status must not go on saying "online" for a device the gateway no longer reads. */
function publishRemoved(gateway: Gateway, deviceId: string, last: DeviceSnapshot | undefined): void {
  gateway.mqtt?.publishDeviceStatus(deviceId, {
    online: false,
    lastSeen: last?.lastSeen ?? null,
    lastPunchAt: last?.lastPunchAt ?? null,
    serial: last?.serial ?? null,
    model: last?.model ?? null,
    clockSkewSec: last?.clockSkewSec ?? null,
    lastError: 'removed from the gateway config',
  });
}

function logOutcome(log: Logger, outcome: ReloadOutcome, devices: number): void {
  const { added, removed, changed, needsRestart } = outcome;
  log.info({ added, removed, changed, devices }, 'config reloaded');
  if (needsRestart.length > 0) {
    log.warn({ sections: needsRestart }, 'config sections changed that only a restart applies (systemctl restart absensi-gateway); running values kept');
  }
}
