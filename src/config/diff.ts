// What differs between a running config and a new one, for a reload (Gateway.reload decides what
// of it applies live).
// Invariants:
// - A device entry is compared as its driver runs it: with the running gateway's zone filled in
//   where the entry names none, so writing out the default zone is no change.
// - `added` and `changed` keep the new file's order, `removed` the running one's.
// - `sections` names every top-level key other than `devices` whose value differs (compared as
//   JSON), in the new config's key order.
import type { DeviceConfig, GatewayConfig } from './schema.js';

export interface ConfigDiff {
  added: string[];
  removed: string[];
  changed: string[];
  sections: string[];
}

/** A device entry as its driver sees it: the device's own zone, else the gateway's. */
export function withZone<D extends { timezone?: string | undefined }>(device: D, gatewayZone: string): D {
  return { ...device, timezone: device.timezone ?? gatewayZone };
}

export function diffConfig(current: GatewayConfig, next: GatewayConfig): ConfigDiff {
  const zone = current.gateway.timezone;
  const asRun = (device: DeviceConfig): string => JSON.stringify(withZone(device, zone));
  const before = new Map(current.devices.map((d) => [d.id, asRun(d)]));
  const after = new Map(next.devices.map((d) => [d.id, d]));
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after.entries()].filter(([id, device]) => before.has(id) && before.get(id) !== asRun(device)).map(([id]) => id),
    sections: (Object.keys(next) as (keyof GatewayConfig)[]).filter((key) => key !== 'devices' && JSON.stringify(next[key]) !== JSON.stringify(current[key])),
  };
}
