// The core's half of the completeness watermark (DESIGN.md "Completeness watermark"; the driver's
// half is WatermarkReporter in driver.ts): a driver's proof becomes a watermark/v1 of its device.
// Invariants:
// - seqThrough is the buffer's head seq, read after (1) every commit the proof rests on resolved
//   (the driver awaits them before `advance`) and (2) every other commit this context had started
//   settled. A seq is assigned inside the commit transaction as head + 1, so every punch committed
//   before the read — by this proof, or earlier, which is what a duplicate of it means — has a seq
//   at or below it, and a punch committed after the read has a higher one and is not claimed. The
//   head is max(seq) of the whole file (other processes' commits, such as `pull`, included), and
//   never lower after retention; it is ≥ the seq of every punch of the device committed so far.
// - completeThrough is the driver's device wall time in the device zone, but never later than the
//   gateway's own clock in that zone: a terminal clock running fast would otherwise claim a future
//   that its own correction (syncClock, a technician) would then fill with punches already covered.
//   A weaker claim is still true, so the cap can only make a watermark honest, never wrong.
// - Watermarks only move forward: one that is not later than the stored one changes nothing. A
//   terminal clock set back is therefore not followed back; the punches it stamps with times
//   already covered are committed at the next download with seqs above seqThrough. A watermark
//   speaks of what the terminal had recorded when it was proven (`at`).
// - A frozen device (freeze) takes no later watermark, ever: its record has a gap nobody can fill.
// - Both are kept in the buffer (per-device checkpoint keys WATERMARK_KEY, FROZEN_KEY), so a
//   restart republishes the last watermark and keeps a freeze; a stored value that does not
//   validate counts as none.
import type { Logger } from 'pino';
import type { PunchBuffer } from '../buffer/punchBuffer.js';
import { formatLocal, formatOffset, formatUtc, formatWallTime, parseLocalTime, resolveLocalTime, wallFromSeconds, wallSeconds, zoneOffsetMinutes } from '../punch/time.js';
import { watermarkOf, watermarkProofSchema, type Watermark, type WatermarkProof } from '../punch/watermark.js';
import { GatewayError } from '../util/errors.js';
import type { WatermarkDeclaration, WatermarkReporter } from './driver.js';

export const WATERMARK_KEY = 'gateway.watermark';
export const FROZEN_KEY = 'gateway.watermarkFrozen';

/**
 * A terminal stamps a punch when it verifies the finger, face or card and writes the record a
 * moment later; a clock reading taken before a download covers, for certain, only records stamped
 * this much earlier. No public source gives the delay; 5 s is generous, and costs nothing to a
 * question about yesterday.
 */
export const RECORD_SETTLE_SEC = 5;

export interface WatermarkFrozen {
  reason: string;
  /** gateway UTC time of the freeze */
  at: string;
}

type CheckpointReader = Pick<PunchBuffer, 'getCheckpoint'>;

/** The device's stored watermark with the gateway's identity, or undefined (none, or not valid). */
export function storedWatermark(buffer: CheckpointReader, identity: { gateway: string; site: string }, deviceId: string): Watermark | undefined {
  const proof = watermarkProofSchema.safeParse(buffer.getCheckpoint(deviceId, WATERMARK_KEY));
  return proof.success ? watermarkOf({ ...identity, device: deviceId }, proof.data) : undefined;
}

export function storedFreeze(buffer: CheckpointReader, deviceId: string): WatermarkFrozen | undefined {
  const value = buffer.getCheckpoint(deviceId, FROZEN_KEY) as Partial<WatermarkFrozen> | undefined;
  return typeof value?.reason === 'string' && typeof value.at === 'string' ? { reason: value.reason, at: value.at } : undefined;
}

/** `completeThroughLocal` for a terminal clock reading taken just before a complete read of its log. */
export function completeThroughOfReading(readingLocal: string): string {
  const reading = parseLocalTime(readingLocal);
  if (!reading) throw new Error(`not a device wall time: ${readingLocal}`);
  return formatWallTime(wallFromSeconds(wallSeconds(reading) - RECORD_SETTLE_SEC));
}

export interface WatermarkDeps {
  deviceId: string;
  zone: string;
  gateway: { id: string; site: string };
  buffer: Pick<PunchBuffer, 'getCheckpoint' | 'setCheckpoint' | 'headSeq' | 'isClosed'>;
  log: Logger;
  /** resolves once every commit the context has started so far has settled */
  commitsSettled(): Promise<void>;
  /** a new watermark is stored (the gateway publishes it) */
  onChange?(deviceId: string): void;
  now?: () => number;
}

export function createWatermarkReporter(deps: WatermarkDeps): WatermarkReporter {
  const { deviceId, buffer, log } = deps;
  const identity = { gateway: deps.gateway.id, site: deps.gateway.site };
  const now = deps.now ?? Date.now;
  return {
    async advance(declaration: WatermarkDeclaration): Promise<Watermark | undefined> {
      const proven = resolveLocalTime(declaration.completeThroughLocal, deps.zone);
      if (!proven) throw new Error(`watermark: not a device wall time: ${declaration.completeThroughLocal}`);
      await deps.commitsSettled();
      if (buffer.isClosed) throw new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'the buffer is closed');
      const current = storedWatermark(buffer, identity, deviceId);
      const frozen = storedFreeze(buffer, deviceId);
      if (frozen) return current;
      const nowMs = now();
      const epochMs = Math.min(proven.epochMs, Math.floor(nowMs / 1000) * 1000);
      if (current && Date.parse(current.completeThrough) >= epochMs) {
        if (Date.parse(current.completeThrough) > epochMs) log.info({ proven: declaration.completeThroughLocal, completeThrough: current.completeThrough }, 'terminal clock behind its watermark (set back?); the watermark stays');
        return current;
      }
      const offset = zoneOffsetMinutes(deps.zone, epochMs);
      const proof: WatermarkProof = {
        completeThrough: `${formatLocal(epochMs, offset)}${formatOffset(offset)}`,
        seqThrough: buffer.headSeq(),
        basis: declaration.basis,
        at: formatUtc(nowMs),
      };
      buffer.setCheckpoint(deviceId, { [WATERMARK_KEY]: proof });
      log.debug({ ...proof }, 'watermark advanced');
      deps.onChange?.(deviceId);
      return watermarkOf({ ...identity, device: deviceId }, proof);
    },
    freeze(reason: string): void {
      if (storedFreeze(buffer, deviceId)) return;
      const frozen: WatermarkFrozen = { reason: reason.slice(0, 200), at: formatUtc(now()) };
      buffer.setCheckpoint(deviceId, { [FROZEN_KEY]: frozen });
      log.warn({ code: 'GW_ERR_WATERMARK_FROZEN', reason: frozen.reason, watermark: storedWatermark(buffer, identity, deviceId)?.completeThrough ?? null }, 'completeness can no longer be proven for this device; its watermark stays where it is');
      deps.onChange?.(deviceId);
    },
  };
}
