// The gateway's side of signed remote commands (README "Remote commands"): listens on its command
// topic over the MQTT sink's connection, refuses what it must, runs the rest, and answers on the
// MQTT 5 response topic with the correlation data.
// Invariants:
// - A command runs only when `verifyCommand` accepted it (signed by a key in trustedKeys, for this
//   gateway, unexpired, not issued ahead of the clock beyond maxSkew) AND the replay guard admits
//   its id for the first time. Every refusal is counted in gateway_commands_refused_total{reason},
//   logged with GW_ERR_COMMAND_REFUSED (rate-limited per reason: a flood is a few lines and a
//   count) and answered with the code and reason where a response topic is given.
// - Answers go only to response topics under `{prefix}/{site}/gateway/{id}/cmd/reply/` (one more
//   level, no wildcards): a message, signed or not, can never make the gateway publish onto a
//   punch, status or checkpoint topic. Another response topic is not answered (logged). Refusals
//   are answered at most REFUSAL_ANSWERS_PER_MINUTE a minute: junk is not echoed at its own rate.
// - Every accepted command and its result are logged (info; a failure warn with its code) and kept
//   in the last RECENT_KEPT for the local API; a users-import CSV is never logged or kept.
// - Commands run one at a time, in arrival order: a second sync-clock never interleaves a first.
// - An id that cannot be recorded (the buffer closed or full) means the command does not run: it
//   is answered with the buffer's code, never run unprotected against its replay.
import { setTimeout } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ListenedMessage } from '../publish/mqttPublisher.js';
import type { NoteVerifier } from '../log/note.js';
import type { CommandRefusalReason } from '../util/catalogue.js';
import { codeOf, errorMessage } from '../util/errors.js';
import { LogLimiter } from '../util/logLimiter.js';
import type { Metrics } from '../util/metrics.js';
import { failedResult, okResult, verifyCommand, type Command, type CommandResult } from './command.js';
import type { ReplayGuard } from './replayGuard.js';

export const RECENT_KEPT = 20;
export const REFUSAL_ANSWERS_PER_MINUTE = 60;
/** how long an answer's PUBACK is waited for before the next command runs (the answer stays in mqtt.js's store) */
const ANSWER_WAIT_MS = 10_000;

/** What the gateway does for each accepted command; a rejection's GatewayError code is the answer's. */
export interface CommandActions {
  run(command: Command, signal: AbortSignal): Promise<unknown>;
}

/** The MQTT sink as the runner needs it. */
export interface CommandChannel {
  listen(topic: string, handler: (message: ListenedMessage) => void): void;
  respond(topic: string, payload: string, correlationData?: Buffer): Promise<boolean>;
  readonly topics: { command: string; commandReplies: string };
}

export interface RecentCommand {
  at: string;
  id: string | null;
  action: string | null;
  /** the signing key's name, once verified */
  issuer?: string;
  ok: boolean;
  code?: string;
  reason?: string;
  message?: string;
  answered: boolean;
}

export interface CommandRunnerOptions {
  gatewayId: string;
  trusted: readonly NoteVerifier[];
  maxSkewMs: number;
  maxLifetimeMs: number;
  channel: CommandChannel;
  guard: ReplayGuard;
  actions: CommandActions;
  metrics: Metrics;
  log: Logger;
  now?: () => number;
}

export class CommandRunner {
  private readonly recentCommands: RecentCommand[] = [];
  private readonly refusalLog: LogLimiter;
  private readonly log: Logger;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly halt = new AbortController();
  private readonly now: () => number;
  private refusalWindow = { startedAtMs: 0, answered: 0 };

  constructor(private readonly options: CommandRunnerOptions) {
    this.log = options.log.child({ part: 'commands' });
    this.refusalLog = new LogLimiter(this.log);
    this.now = options.now ?? Date.now;
  }

  start(): void {
    const { channel } = this.options;
    channel.listen(channel.topics.command, (message) => {
      this.chain = this.chain.then(() => this.handle(message)).catch((error: unknown) => this.log.error({ code: 'GW_ERR_INTERNAL', err: error }, 'remote command handling failed'));
    });
    this.log.info({ topic: channel.topics.command, trustedKeys: this.options.trusted.map((k) => k.name) }, 'remote commands: listening');
  }

  /** Waits for the command running now; nothing new starts. */
  async stop(): Promise<void> {
    this.halt.abort();
    await this.chain;
    this.refusalLog.flush();
  }

  /** the last commands, newest first */
  recent(): RecentCommand[] {
    return [...this.recentCommands];
  }

  async handle(message: ListenedMessage): Promise<void> {
    if (this.halt.signal.aborted) return;
    const { gatewayId, trusted, maxSkewMs, maxLifetimeMs } = this.options;
    const nowMs = this.now();
    const verdict = verifyCommand(message.payload, { trusted, gatewayId, nowMs, maxSkewMs, maxLifetimeMs });
    if (!verdict.ok) {
      await this.refuse(message, verdict.reason, verdict.detail, { id: verdict.id ?? null, action: verdict.action ?? null });
      return;
    }
    const { command, key } = verdict;
    if (!(await this.admitted(message, verdict, nowMs))) return;
    this.log.info({ commandId: command.id, action: command.action, args: loggable(command), issuer: key, issuedAt: command.issuedAt, expiresAt: command.expiresAt }, 'remote command accepted');
    const result = await this.run(command);
    this.options.metrics.commands.inc({ command: command.action, result: result.ok ? 'ok' : result.code === 'GW_ERR_COMMAND_UNSUPPORTED' ? 'unsupported' : 'failed' });
    const answered = await this.answer(message, result);
    // info's answer is a copy of the status page; the others' are a few fields worth keeping in the journal
    if (result.ok) this.log.info({ commandId: command.id, action: command.action, answered, ...(command.action === 'info' ? {} : { result: result.result }) }, 'remote command done');
    else this.log.warn({ code: result.code, commandId: command.id, action: command.action, error: result.message, answered }, 'remote command failed');
    this.remember({ at: result.at, id: command.id, action: command.action, issuer: key, ok: result.ok, ...pick(result), answered });
  }

  /** Whether the command's id is new (remembered from now on); else it was refused or answered here. */
  private async admitted(message: ListenedMessage, verdict: { command: Command; expiresAtMs: number; key: string }, nowMs: number): Promise<boolean> {
    const { command, expiresAtMs, key } = verdict;
    try {
      if (this.options.guard.admit(command.id, expiresAtMs, nowMs)) return true;
    } catch (error) {
      // the id cannot be remembered, so the command does not run (its replay could not be refused)
      const result = failedResult({ id: command.id, gateway: this.options.gatewayId, action: command.action, nowMs }, { code: codeOf(error, 'GW_ERR_BUFFER_UNAVAILABLE'), message: `not run: its id cannot be recorded (${errorMessage(error)})` });
      this.options.metrics.commands.inc({ command: command.action, result: 'failed' });
      const answered = await this.answer(message, result);
      this.log.warn({ code: result.code, commandId: command.id, action: command.action, error: result.message, answered }, 'remote command not run');
      this.remember({ at: result.at, id: command.id, action: command.action, issuer: key, ok: false, ...pick(result), answered });
      return false;
    }
    await this.refuse(message, 'replayed', `command ${command.id} was accepted before`, { id: command.id, action: command.action, issuer: key });
    return false;
  }

  private async run(command: Command): Promise<CommandResult> {
    const draft = { id: command.id, gateway: this.options.gatewayId, action: command.action };
    try {
      const value = await this.options.actions.run(command, this.halt.signal);
      return okResult({ ...draft, nowMs: this.now() }, value);
    } catch (error) {
      return failedResult({ ...draft, nowMs: this.now() }, { code: codeOf(error, 'GW_ERR_COMMAND_FAILED'), message: errorMessage(error) });
    }
  }

  private async refuse(message: ListenedMessage, reason: CommandRefusalReason, detail: string, echo: { id: string | null; action: string | null; issuer?: string }): Promise<void> {
    this.options.metrics.commandsRefused.inc({ reason });
    const nowMs = this.now();
    const result = failedResult({ id: echo.id, gateway: this.options.gatewayId, action: echo.action, nowMs }, { code: 'GW_ERR_COMMAND_REFUSED', reason, message: detail });
    const answered = this.mayAnswerRefusal(nowMs) && (await this.answer(message, result));
    this.refusalLog.warn(`refused:${reason}`, { code: 'GW_ERR_COMMAND_REFUSED', reason, detail, commandId: echo.id, action: echo.action, answered }, 'remote command refused');
    this.remember({ at: result.at, ...echo, ok: false, code: 'GW_ERR_COMMAND_REFUSED', reason, message: detail, answered });
  }

  private mayAnswerRefusal(nowMs: number): boolean {
    if (nowMs - this.refusalWindow.startedAtMs >= 60_000) this.refusalWindow = { startedAtMs: nowMs, answered: 0 };
    this.refusalWindow.answered += 1;
    return this.refusalWindow.answered <= REFUSAL_ANSWERS_PER_MINUTE;
  }

  /** Publishes `result` on the message's response topic when it is one of ours; false when not answered. */
  private async answer(message: ListenedMessage, result: CommandResult): Promise<boolean> {
    const topic = message.responseTopic;
    if (topic === undefined) return false;
    if (!this.isReplyTopic(topic)) {
      this.refusalLog.warn('reply-topic', { code: 'GW_ERR_COMMAND_REFUSED', responseTopic: topic.slice(0, 200), allowed: `${this.options.channel.topics.commandReplies}<one level>` }, 'remote command: response topic outside the gateway\'s reply topics; not answered');
      return false;
    }
    // a PUBACK that never comes (the broker gone mid-answer) must not hold up the next command
    const acked = this.options.channel.respond(topic, JSON.stringify(result), message.correlationData);
    return Promise.race([acked, setTimeout(ANSWER_WAIT_MS, false, { ref: false })]);
  }

  private isReplyTopic(topic: string): boolean {
    const prefix = this.options.channel.topics.commandReplies;
    const rest = topic.slice(prefix.length);
    return topic.startsWith(prefix) && topic.length <= 512 && /^[A-Za-z0-9._-]{1,128}$/.test(rest);
  }

  private remember(entry: RecentCommand): void {
    this.recentCommands.unshift(entry);
    if (this.recentCommands.length > RECENT_KEPT) this.recentCommands.length = RECENT_KEPT;
  }
}

/** A command's arguments as they may be logged: a CSV (names, cards) only by its size. */
function loggable(command: Command): Record<string, unknown> {
  if (command.action !== 'users-import') return command.args;
  return { devices: command.args.devices, csvBytes: Buffer.byteLength(command.args.csv, 'utf8') };
}

function pick(result: CommandResult): Pick<RecentCommand, 'code' | 'reason' | 'message'> {
  return { ...(result.code ? { code: result.code } : {}), ...(result.reason ? { reason: result.reason } : {}), ...(result.message ? { message: result.message } : {}) };
}
