// What /readyz answers: can this gateway take punches and hand them on right now?
// Invariants:
// - Ready means: the buffer is open, its last commit did not fail, and at least one sink is
//   connected and not halted (or no sink is configured: a buffer-only gateway is ready).
// - A failed commit (disk full, read-only file) makes the gateway unready until a later commit
//   succeeds; the tracker learns both from the buffer's commit watch, and detaches on close.
import type { BufferView, GatewayView } from './view.js';

export interface ReadyReason {
  code: string;
  message: string;
}

export interface Readiness {
  ready: boolean;
  reasons: ReadyReason[];
  bufferOpen: boolean;
  lastCommitError: { at: string; message: string } | null;
  sinks: { sink: string; connected: boolean; halted: string | null }[];
}

export class CommitHealth {
  lastError: { at: string; message: string } | null = null;
  readonly close: () => void;

  constructor(buffer: BufferView) {
    this.close = buffer.watchCommits({
      failed: (error) => {
        this.lastError = { at: new Date().toISOString(), message: error.message };
      },
      committed: () => {
        this.lastError = null;
      },
    });
  }
}

export function readiness(view: GatewayView, commits: CommitHealth): Readiness {
  const reasons: ReadyReason[] = [];
  const bufferOpen = !view.buffer.isClosed();
  if (!bufferOpen) reasons.push({ code: 'GW_ERR_BUFFER_UNAVAILABLE', message: 'the buffer is closed' });
  if (commits.lastError) reasons.push({ code: 'GW_ERR_BUFFER_UNAVAILABLE', message: `the last buffer commit failed: ${commits.lastError.message}` });
  const sinks = view.sinkHealth().map((health) => ({ sink: health.sink, connected: health.connected, halted: health.halted }));
  if (sinks.length > 0 && !sinks.some((s) => s.connected && !s.halted)) {
    const halted = sinks.filter((s) => s.halted);
    reasons.push(
      halted.length > 0 && halted.length === sinks.length
        ? { code: 'GW_ERR_SINK_AUTH', message: `every sink refused the credentials: ${halted.map((s) => s.sink).join(', ')}` }
        : { code: 'GW_ERR_SINK_UNREACHABLE', message: `no sink is connected: ${sinks.map((s) => s.sink).join(', ')}` },
    );
  }
  return { ready: reasons.length === 0, reasons, bufferOpen, lastCommitError: commits.lastError, sinks };
}
