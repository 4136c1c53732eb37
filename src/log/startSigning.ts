// The running gateway's punch log at start: its signing key (created on first start) and the
// checkpointer that signs the buffer's log from then on, with restored-buffer detection
// (DESIGN.md "Punch log").
// Invariants:
// - A buffer that keeps no log is said once (GW_ERR_LOG_UNAVAILABLE) and gets no checkpointer:
//   punches are still collected and delivered.
// - A buffer older than what was signed from it (a restored copy) goes on under a new epoch, said
//   with GW_ERR_LOG_RESTORED, before anything is signed: never a silently shorter log.
import type { Logger } from 'pino';
import { logKeyName } from './checkpoint.js';
import { Checkpointer } from './checkpointer.js';
import { loadOrCreateLogKey, logKeyFile, type LogKey } from './logKey.js';
import type { PunchLog } from './punchLog.js';
import { readSignedHead, restoredFrom, signedHeadFile, writeSignedHead } from './signedHead.js';

export function loadGatewayLogKey(gateway: { dataDir: string; site: string; id: string }, logger: Logger): LogKey {
  const key = loadOrCreateLogKey(logKeyFile(gateway.dataDir), logKeyName(gateway.site, gateway.id));
  if (key.created) logger.info({ file: key.file, logKey: key.vkey }, 'punch log: signing key created; give the centre this verifier key (absensi-gateway log key prints it)');
  return key;
}

/** The buffer's log, which a restored copy moves to a new epoch (src/buffer/logStore.ts). */
export type EpochedLog = PunchLog & { startNewEpoch(): string };

export interface SigningOptions {
  log: EpochedLog | undefined;
  /** why the buffer keeps no log, when it does not */
  logProblem: string | undefined;
  key: LogKey;
  dataDir: string;
  bufferFile: string;
  intervalMs: number;
  logger: Logger;
  publish: (note: string) => void;
}

/** Signs the buffer's log from now on; undefined when the buffer keeps none. */
export function startSigning(o: SigningOptions): Checkpointer | undefined {
  const { log } = o;
  if (!log) {
    o.logger.warn({ code: 'GW_ERR_LOG_UNAVAILABLE', buffer: o.bufferFile, why: o.logProblem }, 'punch log: this buffer keeps none; punches are collected and delivered, no checkpoint is signed');
    return undefined;
  }
  const headFile = signedHeadFile(o.dataDir);
  const restored = restoredFrom(log, readSignedHead(headFile));
  if (restored) {
    const old = log.epoch;
    log.startNewEpoch();
    o.logger.warn({ code: 'GW_ERR_LOG_RESTORED', buffer: o.bufferFile, why: restored, oldEpoch: old, epoch: log.epoch }, 'punch log: the buffer is older than what was signed from it (a restored copy?); its log goes on under a new epoch');
  }
  const checkpointer = new Checkpointer({
    log,
    signer: o.key.signer,
    intervalMs: o.intervalMs,
    logger: o.logger,
    publish: (checkpoint) => o.publish(checkpoint.note),
    remember: (checkpoint) => writeSignedHead(headFile, { origin: checkpoint.origin, epoch: log.epoch, size: checkpoint.size, root: checkpoint.root.toString('base64') }),
  });
  checkpointer.start();
  o.logger.info({ origin: checkpointer.origin, size: checkpointer.latest?.size }, 'punch log: signing checkpoints');
  return checkpointer;
}
