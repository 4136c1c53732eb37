// A Hikvision HTTP host notification (POST /hikvision/<deviceId> on the push listener) → punch.
// Invariants:
// - 200 only after the punch committed (emitMany resolved), or for an event that is not a punch
//   (door, heartbeat: ignored and counted); 503 when the buffer cannot commit or the terminal's
//   serial (the device part of the punch id) is not known yet, so the terminal sends it again.
// - An unreadable body is counted (status.rejected push-<code>), logged with an excerpt and
//   answered 400; a body whose macAddress differs from the configured one is refused (403).
// - A pushed event and the same event pulled give the same punch id (punches.ts).
import type { DriverContext } from '../../src/devices/driver.js';
import type { PushReply, PushRequest } from '../../src/push/types.js';
import { DecodeError, errorMessage } from '../../src/util/errors.js';
import { decodePushBody } from './codec.js';
import { toPunch, type MappingConfig } from './punches.js';

export interface PushHandlerDeps {
  ctx: DriverContext;
  mapping: MappingConfig;
  macAddress: string | undefined;
  /** resolves true once the punch id's serial is settled (configured, read, or not readable at all) */
  identityReady: () => Promise<boolean>;
  onMapped: (outcome: { zoneMismatchMin?: number; ignored?: string }) => void;
}

const OK: PushReply = { status: 200, body: 'OK' };

const sameMac = (a: string, b: string): boolean => a.replace(/-/g, ':').toLowerCase() === b.replace(/-/g, ':').toLowerCase();

export async function handlePush(request: PushRequest, deps: PushHandlerDeps): Promise<PushReply> {
  const { ctx } = deps;
  const bytes = request.bytes ?? new TextEncoder().encode(request.body);
  let event;
  try {
    event = decodePushBody(bytes, request.contentType ?? '');
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const excerpt = Buffer.from(bytes.subarray(0, 120)).toString('utf8').replace(/[^\x20-\x7e]/g, '.');
    ctx.status.rejected(`push-${error.code}`, `${error.message}: ${excerpt}`);
    ctx.log.warn({ code: 'GW_ERR_DECODE', reason: error.code, remoteAddress: request.remoteAddress, excerpt }, 'hikvision push body refused');
    return { status: 400, body: `ERROR: ${error.message}` };
  }
  if (deps.macAddress && event.macAddress && !sameMac(deps.macAddress, event.macAddress)) {
    ctx.status.rejected('push-mac', `macAddress ${event.macAddress} from ${request.remoteAddress}, configured ${deps.macAddress}`);
    return { status: 403, body: 'ERROR: macAddress does not match this device' };
  }
  if (!event.record) {
    deps.onMapped({ ignored: event.eventType });
    return OK;
  }
  const outcome = toPunch(event.record, 'push', deps.mapping);
  if (outcome.kind === 'ignored') {
    deps.onMapped({ ignored: outcome.reason });
    return OK;
  }
  if (outcome.kind === 'invalid') ctx.status.rejected(outcome.reason, outcome.detail);
  else deps.onMapped({ zoneMismatchMin: outcome.zoneMismatchMin });
  if (!(await deps.identityReady())) return { status: 503, body: 'ERROR: terminal identity not read yet, send again later' };
  try {
    await ctx.emitMany([outcome.raw]);
  } catch (error) {
    ctx.status.update({ lastError: `GW_ERR_BUFFER_UNAVAILABLE: ${errorMessage(error)}` });
    return { status: 503, body: 'ERROR: cannot store, send again later' };
  }
  return OK;
}
