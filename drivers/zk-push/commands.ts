// The per-terminal command queue: commands wait until the terminal's next getrequest, are sent
// once as `C:<id>:<cmd>`, and complete when devicecmd brings `ID=<id>&Return=<code>`.
// Invariants:
// - Ids are unpredictable: 9 random decimal digits from node:crypto (a number every terminal
//   parses, below 2^31), distinct among the commands waiting. A result completes only a command
//   queued in this queue (one terminal's), so a result from another terminal, a previous gateway
//   run or a guess completes nothing.
// - A command sent but never answered is sent again after the terminal's next handshake (a
//   rebooted terminal forgets what it had not run).
// - One reply carries at most REPLY_LIMITS (200 commands, 40 KB of `C:<id>:<cmd>` lines,
//   users-templates.md "How commands travel"), in queue order; a lone command over the byte limit
//   still goes, alone, so nothing waits forever behind it.
// - A command queued with `timeoutMs` fails with GW_ERR_DEVICE_TIMEOUT when its result has not come
//   by then (the terminal did not poll, or took it and reported nothing), and leaves the queue: a
//   late result completes nothing. Without `timeoutMs` it waits (backfill: the terminal may be off
//   for days). `close()` fails every command that has a timeout.
import { randomInt } from 'node:crypto';
import { GatewayError } from '../../src/util/errors.js';
import type { CommandResult } from './codec.js';

export const REPLY_LIMITS = { commands: 200, bytes: 40 * 1024 } as const;

export interface QueuedCommand {
  id: string;
  command: string;
  sent: boolean;
  resolve(result: CommandResult): void;
  fail?: (error: GatewayError) => void;
  timer?: NodeJS.Timeout;
}

export class CommandQueue {
  private readonly items: QueuedCommand[] = [];

  /** Queue a command; the promise resolves with the terminal's result (rejects only on `timeoutMs` or `close()`). */
  enqueue(command: string, options: { timeoutMs?: number } = {}): { id: string; result: Promise<CommandResult> } {
    const id = this.freshId();
    const item: QueuedCommand = { id, command, sent: false, resolve: () => undefined };
    const result = new Promise<CommandResult>((resolve, reject) => {
      item.resolve = resolve;
      if (options.timeoutMs !== undefined) item.fail = reject;
    });
    if (options.timeoutMs !== undefined) {
      const ms = options.timeoutMs;
      item.timer = setTimeout(() => {
        const why = item.sent ? `took command ${id} but reported no result within ${ms} ms` : `did not poll for command ${id} within ${ms} ms`;
        this.remove(item)?.fail?.(new GatewayError('GW_ERR_DEVICE_TIMEOUT', `the terminal ${why}`));
      }, ms);
      item.timer.unref();
    }
    this.items.push(item);
    return { id, result };
  }

  /** Commands not yet sent, within REPLY_LIMITS (or the limits given), now marked sent. */
  takeUnsent(limits: { commands: number; bytes: number } = REPLY_LIMITS): { id: string; command: string }[] {
    const taken: { id: string; command: string }[] = [];
    let bytes = 0;
    for (const c of this.items) {
      if (c.sent) continue;
      const size = Buffer.byteLength(`C:${c.id}:${c.command}\n`);
      if (taken.length >= limits.commands || (taken.length > 0 && bytes + size > limits.bytes)) break;
      c.sent = true;
      bytes += size;
      taken.push({ id: c.id, command: c.command });
    }
    return taken;
  }

  /** Completes the command a result names and returns its text; undefined when no such command waits. */
  complete(result: CommandResult): string | undefined {
    const item = this.items.find((c) => c.id === result.id);
    if (!item) return undefined;
    this.remove(item);
    item.resolve(result);
    return item.command;
  }

  /** After a handshake: whatever was sent and not answered goes out again. */
  resendUnanswered(): void {
    for (const c of this.items) c.sent = false;
  }

  /** Is `command` queued (sent or not) and not yet answered? */
  has(command: string): boolean {
    return this.items.some((c) => c.command === command);
  }

  get pending(): number {
    return this.items.length;
  }

  /** The driver stops: every command with a timeout fails now (the others are forgotten with the queue). */
  close(message: string): void {
    for (const item of [...this.items]) if (item.fail) this.remove(item)?.fail?.(new GatewayError('GW_ERR_DEVICE_TIMEOUT', message));
  }

  private remove(item: QueuedCommand): QueuedCommand | undefined {
    const index = this.items.indexOf(item);
    if (index < 0) return undefined;
    this.items.splice(index, 1);
    clearTimeout(item.timer);
    return item;
  }

  private freshId(): string {
    for (;;) {
      const id = String(randomInt(100_000_000, 1_000_000_000));
      if (!this.items.some((c) => c.id === id)) return id;
    }
  }
}
