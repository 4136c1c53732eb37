// `pull <deviceId>` for a terminal that calls the gateway and that the gateway cannot read itself
// (zk-push: its definition has `push` and no `backfill`): the CLI asks the running daemon, over its
// local API, to queue the read (`DATA QUERY ATTLOG`, src/api/routes/push.ts).
// Invariants:
// - Returns undefined when the config cannot be read or the device is no such device: `pull`
//   then goes on exactly as before (its backfill, its own error messages).
// - Never writes the buffer itself; the punches arrive through the daemon like any upload.
import { loadConfigFile } from '../config/load.js';
import type { GatewayConfig } from '../config/schema.js';
import { callsGateway, definitionOf, type AnyDriverDefinition } from '../devices/definition.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { errorMessage } from '../util/errors.js';
import { localApiUrl } from './localApi.js';

/** A kind `pull` cannot read itself whose terminals call the gateway: the running daemon queues the read. */
export function backfilledByDaemon(definition: AnyDriverDefinition): boolean {
  return definition.backfill === undefined && definition.push !== undefined;
}

export interface QueuedPull {
  ok: boolean;
  /** one line for stdout (ok) or stderr */
  message: string;
}

/** Queues a backfill for such a device through the daemon; undefined when `deviceId` is none. */
export async function queuePushPull(deviceId: string, configPath: string, options: { since?: string; drivers?: readonly AnyDriverDefinition[] } = {}): Promise<QueuedPull | undefined> {
  const { since, drivers = BUILTIN_DRIVERS } = options;
  let config: GatewayConfig;
  try {
    config = loadConfigFile(configPath, { drivers });
  } catch {
    return undefined;
  }
  const device = config.devices.find((d) => d.id === deviceId);
  const definition = device && definitionOf(drivers, device.driver);
  if (!device || !definition || !backfilledByDaemon(definition) || !callsGateway(definition, device)) return undefined;
  const url = `${localApiUrl(config)}/api/devices/${encodeURIComponent(deviceId)}/backfill`;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.api.token ? { authorization: `Bearer ${config.api.token}` } : {}) },
      body: JSON.stringify(since ? { since } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { commandId?: string; since?: string; until?: string; error?: string };
    if (res.status !== 202) return { ok: false, message: `pull ${deviceId}: the daemon refused (${res.status}): ${body.error ?? 'no reason given'}` };
    return { ok: true, message: `${deviceId} (push terminal ${device.serial ?? ''}): backfill ${body.since} … ${body.until} queued as command ${body.commandId}; the terminal uploads the records on its next poll, duplicates are dropped by punch id` };
  } catch (error) {
    return { ok: false, message: `pull ${deviceId}: cannot reach the running daemon's local API at ${url} (${errorMessage(error)}); a push terminal is backfilled through the daemon, so start it first` };
  }
}

/** Where the running daemon's API answers, and that it is connected to the device right now. */
export interface DaemonHolding {
  apiUrl: string;
}

/**
 * Whether the running daemon (its local API, as the config names it) reports `deviceId` online:
 * then a terminal serving one client at a time is busy with it. Undefined when no daemon answers,
 * the config cannot be read, or the daemon is not connected to the device.
 */
export async function daemonHolding(deviceId: string, configPath: string, drivers: readonly AnyDriverDefinition[] = BUILTIN_DRIVERS): Promise<DaemonHolding | undefined> {
  let config: GatewayConfig;
  try {
    config = loadConfigFile(configPath, { drivers });
  } catch {
    return undefined;
  }
  const url = localApiUrl(config);
  try {
    const res = await fetch(`${url}/api/devices`, {
      headers: config.api.token ? { authorization: `Bearer ${config.api.token}` } : {},
      signal: AbortSignal.timeout(3_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { devices?: { id?: unknown; online?: unknown }[] };
    return body.devices?.some((d) => d.id === deviceId && d.online === true) ? { apiUrl: url } : undefined;
  } catch {
    return undefined;
  }
}

/** What to say when `pull` could not connect to a terminal the running daemon is connected to. */
export function heldByDaemonAdvice(deviceId: string, holding: DaemonHolding, since?: string): string {
  const pull = `absensi-gateway pull ${deviceId}${since ? ` --since ${since}` : ''}`;
  return [
    `pull ${deviceId}: the running gateway is connected to this terminal (online in ${holding.apiUrl}/api/devices), and a ZK terminal serves one TCP client at a time, so it turned pull away.`,
    `pull ${deviceId}: the daemon already downloads the terminal's log on every poll; to backfill anyway, stop it for the pull: sudo systemctl stop absensi-gateway && sudo ${pull}; sudo systemctl start absensi-gateway`,
  ].join('\n');
}
