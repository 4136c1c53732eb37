// `central command`: one signed command to one gateway over MQTT 5, and its answer (README "Remote
// commands").
// Invariants:
// - The command goes to `{prefix}/{site}/gateway/{gatewayId}/cmd` at QoS 1 with a response topic of
//   its own under that gateway's reply topics (`…/cmd/reply/{random}`, subscribed before the
//   command is published) and the command id as correlation data; only an answer on that topic
//   carrying that correlation data and that id is taken.
// - The site is the caller's, else the one the gateway's retained status topic names
//   (`{prefix}/{site}/gateway/{gatewayId}/status`): the broker is asked, no database is opened, so
//   this runs beside a `central` process on embedded PGlite.
// - No answer within the timeout is GatewayError GW_ERR_COMMAND_TIMEOUT, saying what may be
//   wrong; it never says the command did not run.
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { commandResultSchema, signCommand, type CommandAction, type CommandResult, type SignedCommand } from '../commands/command.js';
import type { NoteSigner } from '../log/note.js';
import { GatewayError, errorMessage } from '../util/errors.js';

export interface CommandTarget {
  url: string;
  username?: string;
  password?: string;
  ca?: string;
  prefix: string;
  gatewayId: string;
  /** the gateway's site; undefined: read from its retained status */
  site?: string;
}

export interface CommandRequest {
  action: CommandAction;
  args: Record<string, unknown>;
  signer: NoteSigner;
  lifetimeMs: number;
  timeoutMs: number;
  /** how long to wait for the retained status when the site is not given */
  siteLookupMs?: number;
}

export interface CommandExchange {
  site: string;
  sent: SignedCommand;
  result: CommandResult;
}

export async function sendCommand(target: CommandTarget, request: CommandRequest): Promise<CommandExchange> {
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(target.url, {
      protocolVersion: 5,
      clientId: `absensi-central-cmd-${randomBytes(6).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: Math.min(request.timeoutMs, 10_000),
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.ca ? { ca: target.ca } : {}),
    });
  } catch (error) {
    throw new GatewayError('GW_ERR_SINK_UNREACHABLE', `cannot connect to the broker: ${errorMessage(error)}`);
  }
  try {
    const site = target.site ?? (await siteOf(client, target, request.siteLookupMs ?? Math.min(request.timeoutMs, 5_000)));
    return { site, ...(await exchange(client, { ...target, site }, request)) };
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

/** The site in the topic of the gateway's retained status. */
async function siteOf(client: MqttClient, target: CommandTarget, waitMs: number): Promise<string> {
  const filter = `${target.prefix}/+/gateway/${target.gatewayId}/status`;
  const pattern = new RegExp(`^${escape(target.prefix)}/([^/]+)/gateway/${escape(target.gatewayId)}/status$`);
  const found = new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    client.on('message', (topic) => {
      const site = pattern.exec(topic)?.[1];
      if (site === undefined) return;
      clearTimeout(timer);
      resolve(site);
    });
  });
  await client.subscribeAsync(filter, { qos: 0 });
  const site = await found;
  await client.unsubscribeAsync(filter).catch(() => undefined);
  if (site === undefined) throw new GatewayError('GW_ERR_COMMAND_TIMEOUT', `no retained status of gateway ${target.gatewayId} under ${target.prefix}/+/gateway/ within ${waitMs} ms: is the id right? give its site with --site`);
  return site;
}

async function exchange(client: MqttClient, target: CommandTarget & { site: string }, request: CommandRequest): Promise<Omit<CommandExchange, 'site'>> {
  const commandTopic = `${target.prefix}/${target.site}/gateway/${target.gatewayId}/cmd`;
  const replyTopic = `${commandTopic}/reply/${randomBytes(8).toString('hex')}`;
  const sent = signCommand({ gateway: target.gatewayId, action: request.action, args: request.args, nowMs: Date.now(), lifetimeMs: request.lifetimeMs }, request.signer);
  const correlation = Buffer.from(sent.command.id, 'hex');
  const answer = new Promise<CommandResult>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new GatewayError('GW_ERR_COMMAND_TIMEOUT', `no answer from gateway ${target.gatewayId} (site ${target.site}) within ${request.timeoutMs} ms on ${replyTopic}: it may be offline, have commands disabled, not trust this centre's key, or speak MQTT 3.1.1; the command (${sent.command.id}) may still have run, so check its log before sending it again`)),
      request.timeoutMs,
    );
    client.on('message', (topic, payload, packet) => {
      if (topic !== replyTopic) return;
      const data = packet.properties?.correlationData;
      if (!data || !Buffer.from(data).equals(correlation)) return;
      let parsed;
      try {
        parsed = commandResultSchema.safeParse(JSON.parse(payload.toString('utf8')));
      } catch {
        return;
      }
      if (!parsed.success || (parsed.data.id !== null && parsed.data.id !== sent.command.id)) return;
      clearTimeout(timer);
      resolve(parsed.data);
    });
  });
  // (a failed subscribe or publish must not leave the timer's rejection unhandled)
  answer.catch(() => undefined);
  await client.subscribeAsync(replyTopic, { qos: 1 });
  await client.publishAsync(commandTopic, JSON.stringify(sent), {
    qos: 1,
    retain: false,
    properties: { responseTopic: replyTopic, correlationData: correlation, contentType: 'application/json', payloadFormatIndicator: true, messageExpiryInterval: Math.max(1, Math.ceil(request.lifetimeMs / 1000)) },
  });
  return { sent, result: await answer };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
