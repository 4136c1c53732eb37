// `absensi-gateway probe <host> --protocol hikvision-isapi`: who the terminal is, whether it
// answers AcsEvent searches, and its clock. Read-only: only GET deviceInfo/time and one search.
// A refused password is GW_ERR_DEVICE_AUTH with a plain message; the password is never printed.
import { randomUUID } from 'node:crypto';
import { errorMessage, GatewayError } from '../../src/util/errors.js';
import { IsapiClient } from './client.js';
import { decodeAcsEventPage, decodeDeviceInfo, decodeDeviceTime, encodeAcsEventCond, epochOf, type DeviceInfo } from './codec.js';
import { isapiTimeOf } from './sync.js';
import { ISAPI_PATHS } from './tables.js';

export interface HikProbeOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  timeoutMs: number;
  timeZone: string;
}

export interface HikProbeResult extends DeviceInfo {
  host: string;
  port: number;
  deviceTime?: string;
  clockSkewSec?: number;
  acsEvent: { supported: boolean; totalMatchesLast24h?: number; error?: string };
}

export async function probeHikvision(o: HikProbeOptions): Promise<HikProbeResult> {
  const client = new IsapiClient({ host: o.host, port: o.port, username: o.username, password: o.password, timeoutMs: o.timeoutMs });
  const info = decodeDeviceInfo((await client.get(ISAPI_PATHS.deviceInfo)).text);
  const result: HikProbeResult = { host: o.host, port: o.port, ...info, acsEvent: { supported: false } };
  try {
    const time = decodeDeviceTime((await client.get(ISAPI_PATHS.time)).text);
    const epochMs = epochOf(time.localTime);
    result.deviceTime = `${time.localTime.wall}${time.timeZone ? ` (${time.timeZone})` : ''}`;
    if (epochMs !== undefined) result.clockSkewSec = Math.round((epochMs - Date.now()) / 1000);
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'GW_ERR_DEVICE_AUTH') throw error;
  }
  try {
    const now = Date.now();
    const cond = encodeAcsEventCond({ searchId: randomUUID(), position: 0, maxResults: 1, startTime: isapiTimeOf(now - 86_400_000, o.timeZone), endTime: isapiTimeOf(now + 3_600_000, o.timeZone) });
    const page = decodeAcsEventPage((await client.postJson(ISAPI_PATHS.acsEvent, cond)).text);
    result.acsEvent = { supported: true, totalMatchesLast24h: page.totalMatches };
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'GW_ERR_DEVICE_AUTH') throw error;
    result.acsEvent = { supported: false, error: errorMessage(error) };
  }
  return result;
}

export function formatHikProbe(r: HikProbeResult): string {
  const lines = [
    `terminal   ${r.host}:${r.port} (hikvision-isapi, digest)`,
    `serial     ${r.serial ?? '(none reported)'}`,
    `model      ${r.model ?? '?'}  ${r.deviceType ? `type ${r.deviceType}` : ''}`.trimEnd(),
    `firmware   ${r.firmware ?? '?'}`,
    `name/mac   ${r.deviceName ?? '?'}  ${r.macAddress ?? ''}`.trimEnd(),
    `clock      ${r.deviceTime ?? '(not readable)'}${r.clockSkewSec !== undefined ? `, skew ${r.clockSkewSec >= 0 ? '+' : ''}${r.clockSkewSec} s` : ''}`,
    `AcsEvent   ${r.acsEvent.supported ? `supported; ${r.acsEvent.totalMatchesLast24h ?? 0} attendance events in the last 24 h` : `NOT supported (${r.acsEvent.error ?? 'no answer'}): use push only`}`,
  ];
  return `${lines.join('\n')}\n`;
}
