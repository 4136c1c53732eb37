// `absensi-gateway probe <host>`: connect to a terminal and print who it is: a ZK terminal on port
// 4370 by default, or with `--protocol` its SOAP web service (zk-soap), a Hikvision ISAPI terminal or a Fingerspot
// EasyLink bridge (which must not be asked for new scan logs: probe reads /dev/info only).
// Invariants:
// - Read-only: probe never changes the terminal (no clock set, no clear, no disable).
// - Always ends the session with CMD_EXIT so the terminal is free for the gateway again.
import { InvalidArgumentError, type Command } from 'commander';
import { formatEasyLinkProbe, probeEasyLink } from '../../drivers/fingerspot-easylink/probe.js';
import { formatHikProbe, probeHikvision } from '../../drivers/hikvision-isapi/probe.js';
import { ZkClient } from '../../drivers/zk-tcp/client.js';
import { detectRecordSize, identify, measureClock, readUserTable, type DeviceFacts } from '../../drivers/zk-tcp/device.js';
import type { FreeSizes, ZkUser } from '../../drivers/zk-tcp/codec.js';
import { formatZkSoapProbe, probeZkSoap } from '../../drivers/zk-soap/probe.js';
import { parseDurationMs } from '../config/primitives.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { silentLogger } from '../util/logger.js';

export interface ProbeOptions {
  host: string;
  port: number;
  transport: 'tcp' | 'udp';
  commKey: number;
  timeoutMs: number;
  timeZone: string;
  users: boolean;
}

export interface ProbeResult extends Pick<DeviceFacts, 'serial' | 'model' | 'platform' | 'firmware' | 'vendor' | 'mac'> {
  host: string;
  port: number;
  counts: FreeSizes;
  deviceTime: string;
  timeZone: string;
  clockSkewSec: number;
  variant: { transport: 'tcp' | 'udp'; commKey: boolean; recordSize?: number; userSize?: number; modelRow: string };
  users?: Pick<ZkUser, 'pin' | 'name' | 'privilege' | 'card' | 'disabled'>[];
}

export async function probeTerminal(o: ProbeOptions): Promise<ProbeResult> {
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

export function formatProbe(r: ProbeResult): string {
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

function intOption(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${name}: expected an integer 0..${max}, got "${value}"`);
    return n;
  };
}

const PROBE_PROTOCOLS = ['zk-tcp', 'zk-soap', 'hikvision-isapi', 'fingerspot-easylink'] as const;
type ProbeProtocol = (typeof PROBE_PROTOCOLS)[number];
const DEFAULT_PORT: Record<ProbeProtocol, number> = { 'zk-tcp': 4370, 'zk-soap': 80, 'hikvision-isapi': 80, 'fingerspot-easylink': 8090 };

interface ProbeCliOptions {
  protocol: ProbeProtocol;
  port?: number;
  udp?: boolean;
  commKey: number;
  user: string;
  password?: string;
  serial?: string;
  timeout: string;
  timezone: string;
  users?: boolean;
  json?: boolean;
}

export function registerProbeCommand(program: Command): void {
  program
    .command('probe')
    .description('connect to a terminal and print serial, model, firmware, counts, clock skew and protocol variant (ZK port 4370 by default; --protocol for the others)')
    .argument('<host>', 'terminal IP address or host name')
    .option('--protocol <name>', `${PROBE_PROTOCOLS.join(' | ')}`, protocolOption, 'zk-tcp')
    .option('--port <port>', `terminal port (default ${PROBE_PROTOCOLS.map((p) => `${p} ${DEFAULT_PORT[p]}`).join(', ')})`, intOption('--port', 65535))
    .option('--udp', 'zk-tcp: use UDP instead of TCP (older black-and-white terminals)')
    .option('--comm-key <key>', 'zk-tcp, zk-soap: numeric comm key set on the terminal', intOption('--comm-key', 0xffffffff), 0)
    .option('--user <name>', 'hikvision-isapi: ISAPI user', 'admin')
    .option('--password <password>', 'hikvision-isapi: ISAPI password (default: $HIK_PASSWORD)')
    .option('--serial <sn>', "fingerspot-easylink: the terminal SN as in the bridge's Device.ini (host is the FService PC)")
    .option('--timeout <duration>', 'reply timeout (500ms, 10s)', '10s')
    .option('--timezone <zone>', 'IANA zone of the terminal clock, for the skew', 'Asia/Jakarta')
    .option('--users', 'zk-tcp: also list the user table (PIN, name, privilege, card)')
    .option('--json', 'print the result as JSON')
    .action(async (host: string, options: ProbeCliOptions) => {
      const timeoutMs = parseDurationMs(options.timeout) ?? 10_000;
      const port = options.port ?? DEFAULT_PORT[options.protocol];
      if (options.protocol === 'fingerspot-easylink' && !options.serial) {
        process.stderr.write("probe: --serial is required with --protocol fingerspot-easylink (the terminal SN from the bridge's Device.ini)\n");
        process.exitCode = 64;
        return;
      }
      try {
        const text = await probeAs(options.protocol, host, port, options, timeoutMs);
        process.stdout.write(text);
      } catch (error) {
        const code = error instanceof GatewayError ? error.code : 'GW_ERR_DEVICE_UNREACHABLE';
        if (options.json) process.stdout.write(`${JSON.stringify({ ok: false, host, port, code, error: errorMessage(error) })}\n`);
        else process.stderr.write(`probe ${host}:${port}: ${code}: ${errorMessage(error)}\n`);
        process.exitCode = 1;
      }
    });
}

/** Probes with the protocol's own function; returns what to print. */
async function probeAs(protocol: ProbeProtocol, host: string, port: number, options: ProbeCliOptions, timeoutMs: number): Promise<string> {
  const json = (result: unknown): string => `${JSON.stringify(result, null, 2)}\n`;
  switch (protocol) {
    case 'zk-soap': {
      const result = await probeZkSoap({ host, port, commKey: String(options.commKey), timeoutMs, timeZone: options.timezone });
      return options.json ? json(result) : formatZkSoapProbe(result);
    }
    case 'hikvision-isapi': {
      const password = options.password ?? process.env.HIK_PASSWORD ?? '';
      const result = await probeHikvision({ host, port, username: options.user, password, timeoutMs, timeZone: options.timezone });
      return options.json ? json(result) : formatHikProbe(result);
    }
    case 'fingerspot-easylink': {
      const result = await probeEasyLink({ host, port, serial: options.serial ?? '', timeoutMs, timeZone: options.timezone });
      return options.json ? json(result) : formatEasyLinkProbe(result);
    }
    case 'zk-tcp': {
      const result = await probeTerminal({ host, port, transport: options.udp ? 'udp' : 'tcp', commKey: options.commKey, timeoutMs, timeZone: options.timezone, users: Boolean(options.users) });
      return options.json ? json(result) : formatProbe(result);
    }
  }
}

function protocolOption(value: string): ProbeProtocol {
  if (!(PROBE_PROTOCOLS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected ${PROBE_PROTOCOLS.join(' | ')}`);
  return value as ProbeProtocol;
}
