// `absensi-gateway probe <bridge> --protocol fingerspot-easylink --serial SN`: ask the EasyLink bridge
// about one terminal.
// Invariants:
// - Calls /dev/info only: never /scanlog/new (it would consume scans the gateway then never sees)
//   and never /scanlog/all/paging (it would move the bridge's paging session).
// - Read-only: no clock set, no delete.
import { GatewayError } from '../../src/util/errors.js';
import { clockSkewSec, parseWallTime } from '../../src/punch/time.js';
import { EasyLinkClient } from './client.js';
import type { DevInfoCounts } from './tables.js';

export interface EasyLinkProbeOptions {
  host: string;
  port: number;
  serial: string;
  timeoutMs: number;
  timeZone: string;
}

export interface EasyLinkProbeResult {
  protocol: 'fingerspot-easylink';
  bridge: string;
  serial: string;
  /** the bridge answered /dev/info with Result:true for this sn */
  serialKnown: boolean;
  counts: DevInfoCounts;
  variant: Record<string, string>;
  deviceTime?: string;
  timeZone: string;
  clockSkewSec?: number;
  warnings: string[];
}

export const SINGLE_CONSUMER_WARNING =
  'the bridge keeps ONE /scanlog/new cursor per terminal: the gateway must be its only client (stop FService sample apps, scripts and other attendance software that call /scanlog/new, or their scans are lost to the gateway until a reconciliation re-reads them)';

export async function probeEasyLink(o: EasyLinkProbeOptions): Promise<EasyLinkProbeResult> {
  const client = new EasyLinkClient({ host: o.host, port: o.port, serial: o.serial, timeoutMs: o.timeoutMs });
  const info = await client.info();
  const base = { protocol: 'fingerspot-easylink' as const, bridge: client.address, serial: o.serial, timeZone: o.timeZone };
  if (info.kind === 'failed') {
    throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `bridge ${client.address} answered /dev/info for sn ${o.serial} with Result:false (${info.message}): is the SN in FService's Device.ini, activated, and the terminal reachable from the bridge PC?`);
  }
  const wall = info.deviceTime ? parseWallTime(info.deviceTime) : undefined;
  const warnings = [SINGLE_CONSUMER_WARNING];
  if (!wall) warnings.push('this firmware reports no clock in /dev/info (no "Jam"): clock skew unknown');
  return {
    ...base, serialKnown: true, counts: info.counts, variant: info.variant,
    ...(info.deviceTime ? { deviceTime: info.deviceTime } : {}),
    ...(wall ? { clockSkewSec: clockSkewSec(wall, o.timeZone, Date.now()) } : {}),
    warnings,
  };
}

export function formatEasyLinkProbe(r: EasyLinkProbeResult): string {
  const c = r.counts;
  const n = (v?: number): string => (v === undefined ? '?' : String(v));
  const lines = [
    `bridge     ${r.bridge} (EasyLink SDK / FService)`,
    `serial     ${r.serial} (known to the bridge)`,
    `users      ${n(c.users)}   admins ${n(c.admins)}   fingerprints ${n(c.fingerprints)}   faces ${n(c.faces)}   veins ${n(c.veins)}   cards ${n(c.cards)}`,
    `records    ${n(c.records)}   not yet downloaded via /scanlog/new: ${n(c.newRecords)}`,
    `clock      ${r.deviceTime ?? '(not reported)'} (${r.timeZone})${r.clockSkewSec === undefined ? '' : `, skew ${r.clockSkewSec >= 0 ? '+' : ''}${r.clockSkewSec} s`}`,
    ...Object.entries(r.variant).map(([k, v]) => `${k.padEnd(10)} ${v}`),
    ...r.warnings.map((w) => `warning    ${w}`),
  ];
  return `${lines.join('\n')}\n`;
}
