// `absensi-gateway probe <host> --protocol zk-soap`: does this terminal answer ZK SOAP at all, and
// what does it report? (the php_zklib maintainer notes newer ZK firmware disabled SOAP:
// vodvud/php_zklib#26, so "answers something else" must be told apart from "unreachable").
// Invariants:
// - Read-only: GetDate, GetAllUserInfo, GetAttLog and GetOption only; never SetDate or ClearData.
// - The first call decides: a refusal, a non-HTTP reply, a 404/HTML page or a non-XML body rejects
//   with a GatewayError whose message says what came back. Later calls are best effort.
// - The comm key is never printed.
import { parseLocalTime, wallSeconds, wallTimeIn } from '../../src/punch/time.js';
import { errorMessage } from '../../src/util/errors.js';
import { SoapClient } from './client.js';
import { decodeAttLog, decodeDate, decodeUsers } from './codec.js';
import { ALL_PINS } from './tables.js';

export interface ZkSoapProbeOptions {
  host: string;
  port: number;
  commKey: string;
  timeoutMs: number;
  timeZone: string;
  maxBodyBytes?: number;
}

export interface ZkSoapProbeResult {
  host: string;
  port: number;
  protocol: 'zk-soap';
  /** the HTTP Server header, e.g. "ZK Web Server" */
  server?: string;
  users?: number;
  records?: number;
  /** rows of the log that did not decode */
  badRecords?: number;
  newestRecord?: string;
  serial?: string;
  deviceTime?: string;
  timeZone: string;
  clockSkewSec?: number;
  /** calls the terminal did not answer usefully, with why */
  unsupported: Record<string, string>;
  commKey: boolean;
}

export async function probeZkSoap(o: ZkSoapProbeOptions): Promise<ZkSoapProbeResult> {
  const client = new SoapClient({ host: o.host, port: o.port, commKey: o.commKey, timeoutMs: o.timeoutMs, maxBodyBytes: o.maxBodyBytes ?? 64 * 1024 * 1024 });
  const users = await client.call('GetAllUserInfo', [{ name: 'PIN2', value: ALL_PINS, type: 'integer' }]);
  const result: ZkSoapProbeResult = {
    host: o.host, port: o.port, protocol: 'zk-soap', server: users.http.headers.server, timeZone: o.timeZone,
    unsupported: {}, commKey: o.commKey !== '0',
  };
  const attempt = async (name: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      result.unsupported[name] = errorMessage(error);
    }
  };
  await attempt('GetAllUserInfo', async () => void (result.users = decodeUsers(users.doc).length));
  await attempt('GetAttLog', async () => {
    const log = decodeAttLog((await client.call('GetAttLog', [{ name: 'PIN', value: ALL_PINS, type: 'integer' }])).doc);
    result.records = log.records.length;
    result.badRecords = log.errors.length;
    result.newestRecord = log.records.reduce<string | undefined>((max, r) => (max === undefined || r.localTime > max ? r.localTime : max), undefined);
  });
  await attempt('GetDate', async () => {
    const deviceTime = decodeDate((await client.call('GetDate')).doc);
    const wall = deviceTime ? parseLocalTime(deviceTime) : undefined;
    if (!deviceTime || !wall) throw new Error('no Date/Time in the answer');
    result.deviceTime = deviceTime;
    result.clockSkewSec = wallSeconds(wall) - wallSeconds(wallTimeIn(o.timeZone, Date.now()));
  });
  await attempt('GetOption ~SerialNumber', async () => {
    const answer = await client.call('GetOption', [{ name: 'Name', value: '~SerialNumber', type: 'string' }]);
    const value = answer.doc.rows.map((r) => r.value).find((v): v is string => typeof v === 'string' && v !== '');
    if (!value) throw new Error('no Value in the answer');
    result.serial = value.replace(/^~?SerialNumber=/i, '');
  });
  return result;
}

export function formatZkSoapProbe(r: ZkSoapProbeResult): string {
  const skew = r.clockSkewSec === undefined ? '' : `, skew ${r.clockSkewSec >= 0 ? '+' : ''}${r.clockSkewSec} s`;
  const lines = [
    `terminal   ${r.host}:${r.port} (zk-soap${r.commKey ? ', comm key' : ''}): answers ZK SOAP${r.server ? ` (Server: ${r.server})` : ''}`,
    `serial     ${r.serial ?? '(not reported: set `serial:` in the device entry if you know it)'}`,
    `users      ${r.users ?? '?'}`,
    `records    ${r.records ?? '?'}${r.badRecords ? ` (${r.badRecords} undecodable)` : ''}${r.newestRecord ? `, newest ${r.newestRecord}` : ''}`,
    `clock      ${r.deviceTime ? `${r.deviceTime} (${r.timeZone})${skew}` : 'not reported (GetDate unsupported): skew unknown'}`,
  ];
  for (const [call, why] of Object.entries(r.unsupported)) lines.push(`  ${call}: ${why}`);
  return `${lines.join('\n')}\n`;
}
