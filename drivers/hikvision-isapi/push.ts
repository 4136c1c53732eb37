// A Hikvision HTTP host notification (POST /hikvision/<deviceId> on the push listener) → punch.
// Invariants:
// - The source comes first (pushTrust.ts): a request from an address the entry does not admit
//   (allowFrom, else host) is refused (403 `ERROR: source`) before its body is decoded; an event
//   whose macAddress is missing or another while macAddress is configured is refused (403).
//   Refusals are counted (status and gateway_push_refused_total), logged by the listener, and
//   change nothing: no punch, not even "seen".
// - 200 only after the punch committed (emitMany resolved), or for an event that is not a punch
//   (door, heartbeat: ignored and counted); 503 when the buffer cannot commit or the terminal's
//   serial (the device part of the punch id) is not known yet, so the terminal sends it again.
// - An unreadable body is counted (status.rejected with the codec's push-* code, its excerpt and
//   address in the detail) and answered 400 with a fixed text: no reply carries request text.
// - A pushed punch carries `address`: the request's source IP.
// - A pushed event and the same event pulled give the same punch id (punches.ts).
import type { DriverContext } from '../../src/devices/driver.js';
import type { PushRefusal, PushReply, PushRequest } from '../../src/devices/push.js';
import { DecodeError, errorMessage } from '../../src/util/errors.js';
import { decodePushBody } from './codec.js';
import { toPunch, type MappingConfig } from './punches.js';
import type { HikPushTrust } from './pushTrust.js';

export interface PushHandlerDeps {
  ctx: DriverContext;
  mapping: MappingConfig;
  trust: HikPushTrust;
  /** resolves true once the punch id's serial is settled (configured, read, or not readable at all) */
  identityReady: () => Promise<boolean>;
  onMapped: (outcome: { zoneMismatchMin?: number; ignored?: string }) => void;
}

const OK: PushReply = { status: 200, body: 'OK' };

function refuse(request: PushRequest, deps: PushHandlerDeps, reason: PushRefusal, detail: string): PushReply {
  deps.ctx.status.rejected(reason === 'mac' ? 'push-mac' : reason, `${detail} from ${request.remoteAddress}`, { logged: true });
  deps.ctx.push?.refused(deps.ctx.deviceId, reason, request);
  return { status: 403, body: reason === 'mac' ? 'ERROR: macAddress does not match this device' : 'ERROR: source' };
}

export async function handlePush(request: PushRequest, deps: PushHandlerDeps): Promise<PushReply> {
  const { ctx } = deps;
  if (!(await deps.trust.admitsSource(request.remoteAddress))) return refuse(request, deps, 'source', 'event');
  const bytes = request.bytes ?? new TextEncoder().encode(request.body);
  let event;
  try {
    event = decodePushBody(bytes, request.contentType ?? '');
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const excerpt = Buffer.from(bytes.subarray(0, 120)).toString('utf8').replace(/[^\x20-\x7e]/g, '.');
    ctx.status.rejected(error.code, `${error.message}: ${excerpt} (from ${request.remoteAddress})`);
    return { status: 400, body: 'ERROR: body not readable' };
  }
  if (!deps.trust.macMatches(event.macAddress)) {
    return refuse(request, deps, 'mac', event.macAddress === undefined ? 'event without macAddress' : `macAddress ${JSON.stringify(event.macAddress.slice(0, 40))}`);
  }
  ctx.status.seen();
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
    await ctx.emitMany([{ ...outcome.raw, address: request.remoteAddress }]);
  } catch (error) {
    ctx.status.update({ lastError: { code: 'GW_ERR_BUFFER_UNAVAILABLE', message: errorMessage(error) } });
    return { status: 503, body: 'ERROR: cannot store, send again later' };
  }
  return OK;
}
