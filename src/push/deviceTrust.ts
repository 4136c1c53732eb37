// What authenticates a push device entry, read from its config alone (DESIGN.md "Trust at the
// edge"), for `check`, /api/devices and the status page.
// Invariants:
// - A push device is a zk-push entry or any entry with `push: true` (hikvision-isapi).
// - zk-push is authenticated by allowFrom and/or commKey; Hikvision push by allowFrom, else by its
//   `host` (the only address it then takes events from). macAddress never counts: it is in the
//   body, so anyone who saw one event can copy it.
// - Entries that are not push devices have no trust descriptor (undefined).

export type PushAuthenticator = 'allowFrom' | 'commKey' | 'host';

export interface PushTrust {
  /** false: the listener takes this device's punches from any host on the LAN */
  authenticated: boolean;
  /** what admits a request for it */
  by: PushAuthenticator[];
}

interface PushDeviceFields {
  driver: string;
  push?: unknown;
  allowFrom?: unknown;
  commKey?: unknown;
  host?: unknown;
}

export function pushTrustOf(device: { driver: string }): PushTrust | undefined {
  const d = device as PushDeviceFields;
  const by: PushAuthenticator[] = [];
  if (d.driver === 'zk-push') {
    if (Array.isArray(d.allowFrom)) by.push('allowFrom');
    if (d.commKey !== undefined) by.push('commKey');
  } else if (d.push === true) {
    if (Array.isArray(d.allowFrom)) by.push('allowFrom');
    else if (typeof d.host === 'string' && d.host !== '') by.push('host');
  } else return undefined;
  return { authenticated: by.length > 0, by };
}
