// Signs checkpoints of the punch log and hands them out for publication (DESIGN.md "Punch log:
// tamper-evident, signed"): the retained MQTT checkpoint, every HTTPS batch, the local API.
// Invariants:
// - At start the head is signed (the empty tree too) and published. Then, every `intervalMs`,
//   the head is signed and published if the tree grew since the last one published: at most one
//   publication per interval, none while nothing is committed. At stop, once more if it grew.
// - `covering(seq)` answers a checkpoint whose size is at least seq: the latest signed when it
//   covers it, else one signed there and then (HTTPS batches: the next tick publishes it if it is
//   still the latest). Only a faulty log (below) makes it answer a smaller one, logged.
// - Never a checkpoint the log cannot stand behind: a head smaller than the last one signed, or
//   one the log's consistency proof does not show to extend it, is not signed (the last one
//   stays; GW_ERR_LOG_INCONSISTENT, logged once until it heals). One tree size is signed once.
// - Every checkpoint signed is told to `remember` before anyone sees it; a failure there is
//   logged (once until it works again) and does not stop signing.
// - The signer's key never reaches a log line: only sizes, roots, times and the origin do.
import type { Logger } from 'pino';
import { checkpointTime, formatCheckpoint, logOrigin } from './checkpoint.js';
import { verifyConsistency } from './merkle.js';
import { signNote, type NoteSigner } from './note.js';
import type { PunchLog } from './punchLog.js';

export interface SignedCheckpoint {
  /** the signed note, as published */
  note: string;
  origin: string;
  size: number;
  root: Buffer;
  /** the time line's value: UTC, RFC 3339, seconds */
  time: string;
}

export interface CheckpointerOptions {
  log: Pick<PunchLog, 'epoch' | 'head' | 'consistencyProof'>;
  signer: NoteSigner;
  intervalMs: number;
  /** every checkpoint to publish, in order; a promise it returns is what `stop` waits for */
  publish: (checkpoint: SignedCheckpoint) => unknown;
  logger: Logger;
  now?: () => Date;
  /** told of every checkpoint signed, before it is handed out (the gateway keeps the last one: src/log/signedHead.ts) */
  remember?: (checkpoint: SignedCheckpoint) => void;
}

export class Checkpointer {
  readonly origin: string;
  private readonly options: CheckpointerOptions;
  private signed: SignedCheckpoint | undefined;
  private published: SignedCheckpoint | undefined;
  private timer: NodeJS.Timeout | undefined;
  private faulty = false;
  private unremembered = false;

  constructor(options: CheckpointerOptions) {
    this.options = options;
    this.origin = logOrigin(options.signer.name, options.log.epoch);
  }

  /** the latest checkpoint signed (published or not); undefined before `start` */
  get latest(): SignedCheckpoint | undefined {
    return this.signed;
  }

  start(): void {
    if (this.timer) return;
    this.publishIfGrown();
    this.timer = setInterval(() => this.publishIfGrown(), this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * A checkpoint covering seq: the latest, or one signed now. When the log cannot be signed the
   * latest is given as it is (it still proves what it covers), undefined before any.
   */
  covering(seq: number): SignedCheckpoint | undefined {
    if (this.signed && this.signed.size >= seq) return this.signed;
    const checkpoint = this.sign() ?? this.signed;
    if (checkpoint && checkpoint.size < seq) {
      this.options.logger.error({ code: 'GW_ERR_LOG_INCONSISTENT', seq, size: checkpoint.size, origin: this.origin }, 'punch log: a committed punch has no leaf yet; the checkpoint sent does not cover it');
    }
    return checkpoint;
  }

  /** Stops the timer and publishes a last checkpoint if the tree grew; resolves when that publication settled. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.publishIfGrown();
  }

  private publishIfGrown(): unknown {
    const checkpoint = this.sign();
    if (!checkpoint || (this.published && checkpoint.size <= this.published.size)) return undefined;
    this.published = checkpoint;
    try {
      return Promise.resolve(this.options.publish(checkpoint)).catch((error: unknown) => this.options.logger.warn({ code: 'GW_ERR_SINK_UNREACHABLE', err: error, size: checkpoint.size }, 'punch log: checkpoint not published'));
    } catch (error) {
      this.options.logger.warn({ code: 'GW_ERR_SINK_UNREACHABLE', err: error, size: checkpoint.size }, 'punch log: checkpoint not published');
      return undefined;
    }
  }

  /** The head, signed unless it is the tree signed last; undefined when the log cannot be read or does not extend it. */
  private sign(): SignedCheckpoint | undefined {
    const { log, signer, logger } = this.options;
    let head: { size: number; root: Buffer };
    let extendsLast: boolean;
    const last = this.signed;
    try {
      head = log.head();
      if (last && head.size === last.size && head.root.equals(last.root)) return last;
      extendsLast = !last || (head.size > last.size && verifyConsistency(last.size, head.size, last.root, head.root, log.consistencyProof(last.size, head.size)));
    } catch (error) {
      logger.warn({ code: 'GW_ERR_BUFFER_UNAVAILABLE', err: error, origin: this.origin }, 'punch log: head not readable; no checkpoint signed');
      return undefined;
    }
    if (!extendsLast) {
      if (!this.faulty) logger.error({ code: 'GW_ERR_LOG_INCONSISTENT', origin: this.origin, signedSize: last?.size, headSize: head.size }, 'punch log: the head does not extend the last checkpoint signed; no checkpoint is signed until it does');
      this.faulty = true;
      return undefined;
    }
    if (this.faulty) logger.info({ origin: this.origin, size: head.size }, 'punch log: the head extends the last checkpoint again; signing');
    this.faulty = false;
    const at = (this.options.now ?? (() => new Date()))();
    const note = signNote(formatCheckpoint({ origin: this.origin, size: head.size, root: head.root, time: at }), signer);
    this.signed = { note, origin: this.origin, size: head.size, root: Buffer.from(head.root), time: checkpointTime(at) };
    try {
      this.options.remember?.(this.signed);
      this.unremembered = false;
    } catch (error) {
      if (!this.unremembered) logger.warn({ code: 'GW_ERR_LOG_HEAD_UNSAVED', err: error, origin: this.origin, size: head.size }, 'punch log: the checkpoint signed could not be recorded; a restored buffer would not be noticed at the next start');
      this.unremembered = true;
    }
    return this.signed;
  }
}
