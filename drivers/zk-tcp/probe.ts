// `absensi-gateway probe <host>` (zk-tcp, the default protocol): who the terminal is, its counts,
// clock and protocol variant, and with `--users` its user table.
// Invariants:
// - Read-only: probe never changes the terminal (no clock set, no clear, no disable).
// - Always ends the session with CMD_EXIT so the terminal is free for the gateway again.
import { silentLogger } from '../../src/util/logger.js';
import { ZkClient } from './client.js';
import type { FreeSizes, ZkUser } from './codec.js';
import { detectRecordSize, identify, measureClock, readUserTable, type DeviceFacts } from './device.js';

export interface ZkTcpProbeOptions {
  host: string;
  port: number;
  transport: 'tcp' | 'udp';
  commKey: number;
  timeoutMs: number;
  timeZone: string;
  users: boolean;
}

export interface ZkTcpProbeResult extends Pick<DeviceFacts, 'serial' | 'model' | 'platform' | 'firmware' | 'vendor' | 'mac'> {
  host: string;
  port: number;
  counts: FreeSizes;
  deviceTime: string;
  timeZone: string;
  clockSkewSec: number;
  variant: { transport: 'tcp' | 'udp'; commKey: boolean; recordSize?: number; userSize?: number; modelRow: string };
  users?: Pick<ZkUser, 'pin' | 'name' | 'privilege' | 'card' | 'disabled'>[];
}

export async function probeZkTcp(o: ZkTcpProbeOptions): Promise<ZkTcpProbeResult> {
  const client = new ZkClient({ host: o.host, port: o.port, transport: o.transport, commKey: o.commKey, timeoutMs: o.timeoutMs, log: silentLogger() });
  await client.connect();
  try {
    const facts = await identify(client);
    const clock = await measureClock(client, o.timeZone, false);
    const recordSize = await detectRecordSize(client, facts.sizes.records ?? 0);
    const { users, recordSize: userSize } = facts.sizes.users ? await readUserTable(client, facts.sizes.users) : { users: [], recordSize: undefined };
    return {
      host: o.host, port: o.port, serial: facts.serial, model: facts.model, platform: facts.platform, firmware: facts.firmware,
      vendor: facts.vendor, mac: facts.mac, counts: facts.sizes, deviceTime: clock.deviceTime, timeZone: o.timeZone,
      clockSkewSec: clock.clockSkewSec,
      variant: { transport: o.transport, commKey: o.commKey !== 0, recordSize, userSize, modelRow: facts.known.row?.source ?? 'unknown model (default quirks)' },
      ...(o.users ? { users: users.map(({ pin, name, privilege, card, disabled }) => ({ pin, name, privilege, card, disabled })) } : {}),
    };
  } finally {
    await client.close();
  }
}

export function formatZkTcpProbe(r: ZkTcpProbeResult): string {
  const c = r.counts;
  const of = (n?: number, cap?: number): string => `${n ?? '?'}${cap ? ` / ${cap}` : ''}`;
  const lines = [
    `terminal   ${r.host}:${r.port} (${r.variant.transport}${r.variant.commKey ? ', comm key' : ''})`,
    `serial     ${r.serial ?? '(none reported)'}`,
    `model      ${r.model ?? '?'}  platform ${r.platform ?? '?'}`,
    `firmware   ${r.firmware ?? '?'}${r.vendor ? `  vendor ${r.vendor}` : ''}`,
    `users      ${of(c.users, c.userCapacity)}   fingerprints ${of(c.fingers, c.fingerCapacity)}${c.faces ? `   faces ${of(c.faces, c.faceCapacity)}` : ''}`,
    `records    ${of(c.records, c.recordCapacity)}${r.variant.recordSize ? `   (${r.variant.recordSize}-byte records)` : ''}`,
    `clock      ${r.deviceTime} (${r.timeZone}), skew ${r.clockSkewSec >= 0 ? '+' : ''}${r.clockSkewSec} s`,
    `quirks     ${r.variant.modelRow}`,
  ];
  for (const u of r.users ?? []) lines.push(`  user ${u.pin.padEnd(10)} ${u.name.padEnd(24)} privilege ${u.privilege}${u.card ? ` card ${u.card}` : ''}${u.disabled ? ' (disabled)' : ''}`);
  return `${lines.join('\n')}\n`;
}
