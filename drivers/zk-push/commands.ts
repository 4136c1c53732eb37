// The per-terminal command queue: commands wait until the terminal's next getrequest, are sent
// once as `C:<id>:<cmd>`, and complete when devicecmd brings `ID=<id>&Return=<code>`.
// Invariants:
// - Ids are unpredictable: 9 random decimal digits from node:crypto (a number every terminal
//   parses, below 2^31), distinct among the commands waiting. A result completes only a command
//   queued in this queue (one terminal's), so a result from another terminal, a previous gateway
//   run or a guess completes nothing.
// - A command sent but never answered is sent again after the terminal's next handshake (a
//   rebooted terminal forgets what it had not run).
import { randomInt } from 'node:crypto';
import type { CommandResult } from './codec.js';

export interface QueuedCommand {
  id: string;
  command: string;
  sent: boolean;
  resolve(result: CommandResult): void;
}

export class CommandQueue {
  private readonly items: QueuedCommand[] = [];

  /** Queue a command; the promise resolves with the terminal's result. */
  enqueue(command: string): { id: string; result: Promise<CommandResult> } {
    const id = this.freshId();
    let resolve!: (r: CommandResult) => void;
    const result = new Promise<CommandResult>((r) => (resolve = r));
    this.items.push({ id, command, sent: false, resolve });
    return { id, result };
  }

  /** Commands not yet sent, now marked sent. */
  takeUnsent(limit = 20): { id: string; command: string }[] {
    return this.items
      .filter((c) => !c.sent)
      .slice(0, limit)
      .map((c) => {
        c.sent = true;
        return { id: c.id, command: c.command };
      });
  }

  /** Completes the command a result names and returns its text; undefined when no such command waits. */
  complete(result: CommandResult): string | undefined {
    const index = this.items.findIndex((c) => c.id === result.id);
    if (index < 0) return undefined;
    const [item] = this.items.splice(index, 1);
    item?.resolve(result);
    return item?.command;
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

  private freshId(): string {
    for (;;) {
      const id = String(randomInt(100_000_000, 1_000_000_000));
      if (!this.items.some((c) => c.id === id)) return id;
    }
  }
}
