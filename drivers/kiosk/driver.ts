// The kiosk Driver: one configured kiosk behind the kiosk listener, which has already proved the
// request's client certificate names it (src/kiosk/listener.ts).
// Invariants:
// - `200 { id, seq }` only after `ctx.emit` resolved (committed); the same punch posted again is
//   the same id (punch/v1's id over serial, pin, local time, state, verify) and answers the same
//   id and seq. When the buffer cannot commit the answer is 503 and the kiosk keeps the punch.
// - The clock: a stated time (or sentAt) further than kiosk.maxSkew from the gateway clock is 409
//   GW_ERR_KIOSK_CLOCK with the gateway's time, committing nothing; every stated time sets the
//   device's clockSkewSec (kiosk minus gateway), which the punch then carries.
// - The punch's local time is the stated instant in the device's zone; `raw` holds the time as
//   stated, the certificate serial and, with a photo, its SHA-256 only: the photo itself stays in
//   <dataDir>/photos (stored before the commit, so a committed punch's photo exists).
// - Every refused body is counted and logged through the context (status.rejected) with its
//   catalogue reason, and the reply carries the same code; nothing of it is committed.
// - Nothing keeps running after `stop()` resolves: in-flight requests are awaited.
import type { Driver, DriverContext } from '../../src/devices/driver.js';
import type { KioskReply, KioskRequest, KioskTerminal } from '../../src/devices/kiosk.js';
import { deviceZone, formatWallTime, wallTimeIn } from '../../src/punch/time.js';
import { rejectionCode, type RejectionReason } from '../../src/util/catalogue.js';
import { codeOf, errorMessage } from '../../src/util/errors.js';
import { decodeKioskPunch, type KioskPunch } from './body.js';
import type { KioskConfig } from './config.js';

/** no punch for this long and the kiosk shows as offline */
const OFFLINE_AFTER_MS = 15 * 60_000;

export class KioskDriver implements Driver, KioskTerminal {
  readonly deviceId: string;
  private readonly zone: string;
  private unregister: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private offlineTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly cfg: KioskConfig,
    private readonly ctx: DriverContext,
  ) {
    this.deviceId = ctx.deviceId;
    this.zone = deviceZone(cfg);
  }

  async start(): Promise<void> {
    if (!this.ctx.kiosk) throw new Error('a kiosk needs the kiosk listener (kiosk.listen); none in this context');
    this.stopped = false;
    this.unregister = this.ctx.kiosk.register(this);
    this.ctx.status.update({ serial: this.cfg.serial ?? this.cfg.id, online: false, details: { variant: 'kiosk', waitingForKiosk: true } });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unregister?.();
    this.unregister = undefined;
    clearTimeout(this.offlineTimer);
    await Promise.allSettled([...this.inFlight]);
  }

  handle(request: KioskRequest): Promise<KioskReply> {
    if (this.stopped) return Promise.resolve({ status: 503, body: { error: 'stopping', code: 'GW_ERR_BUFFER_UNAVAILABLE' } });
    const work = this.serve(request);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  private async serve(request: KioskRequest): Promise<KioskReply> {
    const decoded = decodeKioskPunch(request.body);
    if (!decoded.ok) return this.refuse(400, decoded.reason, decoded.message);
    const punch = decoded.punch;
    const nowMs = Date.now();
    // + 0: a kiosk a fraction behind would otherwise show -0 (JSON writes 0, the state keeps -0)
    const skewSec = Math.round((punch.clockMs - nowMs) / 1000) + 0;
    this.markSeen(skewSec);
    const maxSkewMs = this.ctx.kiosk?.maxSkewMs ?? 120_000;
    if (Math.abs(punch.clockMs - nowMs) > maxSkewMs) {
      const reply = this.refuse(409, 'kiosk-clock', `the kiosk clock is ${skewSec} s off the gateway's (at most ${Math.round(maxSkewMs / 1000)} s)`);
      return { ...reply, body: { ...reply.body, gatewayTime: new Date(nowMs).toISOString(), clockSkewSec: skewSec } };
    }
    let photoSha256: string | undefined;
    try {
      if (punch.photo && this.ctx.kiosk) photoSha256 = await this.ctx.kiosk.photos.save(this.deviceId, punch.photo);
    } catch (error) {
      this.ctx.log.error({ code: 'GW_ERR_INTERNAL', err: error }, 'kiosk photo could not be stored; the punch is not taken');
      return { status: 503, body: { error: 'the photo could not be stored', code: 'GW_ERR_INTERNAL' } };
    }
    return this.commit(punch, request, photoSha256);
  }

  private async commit(punch: KioskPunch, request: KioskRequest, photoSha256: string | undefined): Promise<KioskReply> {
    const localTime = formatWallTime(wallTimeIn(this.zone, punch.timeMs));
    const raw: Record<string, unknown> = { time: punch.time, certificateSerial: request.certificate.serial };
    if (photoSha256) raw.photoSha256 = photoSha256;
    try {
      const result = await this.ctx.emit({ pin: punch.pin, localTime, state: punch.state, verify: punch.verify, address: request.remoteAddress, raw });
      if (!result.punch) return { status: 422, body: { error: 'the punch was quarantined (see queue quarantine)', code: 'GW_ERR_PUNCH_QUARANTINED' } };
      return { status: 200, body: { id: result.punch.id, seq: result.punch.seq } };
    } catch (error) {
      return { status: 503, body: { error: `not committed: ${errorMessage(error).slice(0, 120)}`, code: codeOf(error, 'GW_ERR_BUFFER_UNAVAILABLE') } };
    }
  }

  /** Counted and logged through the context; the reply names the same code. */
  private refuse(status: number, reason: RejectionReason, message: string): KioskReply {
    this.ctx.status.rejected(reason, message);
    return { status, body: { error: message, code: rejectionCode(reason), reason } };
  }

  private markSeen(clockSkewSec: number): void {
    this.ctx.status.update({ online: true, clockSkewSec, details: { waitingForKiosk: false } });
    clearTimeout(this.offlineTimer);
    this.offlineTimer = setTimeout(() => this.ctx.status.update({ online: false }), OFFLINE_AFTER_MS);
    this.offlineTimer.unref();
  }
}
