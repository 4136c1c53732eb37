// The push side of the driver seam, for terminals that call the gateway (zk-push, Hikvision push):
// a driver registers a PushTerminal with the context's `push` (a PushRegistrar) and answers the
// requests routed to it. The HTTP listener (src/push/listener.ts) implements PushRegistrar: it owns
// HTTP, a driver owns one terminal's protocol state. The seam owns these types, so src/devices and
// the drivers never import src/push for them.
// Invariants:
// - A terminal is reachable through its own route only: `iclock` terminals by the serial number
//   (SN=) of /iclock requests, `hikvision` terminals by the device id in /hikvision/<deviceId>. A
//   key of one route never reaches a terminal of another; at most one registration per key.
// - `handle` resolves with the reply only when everything the reply promises is done: an upload's
//   `OK` only after its punches committed.
// - A terminal that refuses a request for who sent it (allowFrom, comm-key pin, MAC) reports it
//   through `PushRegistrar.refused` (counted and logged there, once) and changes no state of its
//   own for that request.
// - Replies never carry request text: every byte of a body comes from config, state the gateway
//   validated, or fixed strings.
import type { PushRefusalReason } from '../util/catalogue.js';

export interface PushRequest {
  method: string;
  /** last path segment under /iclock/, without `.aspx`: cdata, getrequest, devicecmd, ping, registry, push, querydata */
  endpoint: string;
  /** query parameters, first value of each */
  query: Record<string, string>;
  /** body text after Content-Encoding was undone ('' for GET) */
  body: string;
  /** the source IP address, IPv4-mapped IPv6 written as IPv4 (addresses.ts normalizeAddress) */
  remoteAddress: string;
  /** the body bytes as received, for terminals that send binary or multipart bodies (/hikvision) */
  bytes?: Uint8Array;
  /** the Content-Type request header ('' when absent); set together with `bytes` */
  contentType?: string;
}

/**
 * Why a terminal refused a request for its source (gateway_push_refused_total{reason}; what each
 * means is the catalogue's PUSH_REFUSAL_REASONS): `source` not in allowFrom (or not the Hikvision
 * host), `pin` not the last good handshake's address, `comm-key` no good handshake, `mac` a
 * Hikvision event of another MAC.
 */
export type PushRefusal = Extract<PushRefusalReason, 'source' | 'pin' | 'comm-key' | 'mac'>;

export interface PushReply {
  status: number;
  body: string;
}

export type PushRoute = 'iclock' | 'hikvision';

export interface PushTerminal {
  /** which of the listener's routes reaches this terminal */
  readonly route: PushRoute;
  /** the routing key within the route: the serial (SN=) or `<kind>/<deviceId>` (see pathTerminalKey) */
  readonly serial: string;
  /** the configured device id (metric labels, logs) */
  readonly deviceId: string;
  handle(request: PushRequest): Promise<PushReply>;
  /**
   * Is `address` one this terminal is configured or pinned to (allowFrom, the address of the last
   * good comm-key handshake, the Hikvision `host`)? Such addresses always find a connection slot.
   */
  knowsAddress(address: string): boolean;
}

export interface PushRegistrar {
  /** Route requests of `terminal.route` keyed `terminal.serial` to `terminal`; returns the unregister function. */
  register(terminal: PushTerminal): () => void;
  /**
   * A terminal refused `request` for its source: counted in
   * gateway_push_refused_total{device,reason} and logged with the address (GW_ERR_PUSH_REFUSED,
   * rate-limited).
   */
  refused(deviceId: string, reason: PushRefusal, request: PushRequest): void;
}

/** Routing key of a terminal that calls a path of its own: `POST /<kind>/<deviceId>`. */
export function pathTerminalKey(kind: string, deviceId: string): string {
  return `${kind}/${deviceId}`;
}

/**
 * A push driver whose terminal can be told to upload a range of its log again (zk-push `DATA
 * QUERY ATTLOG`): how `pull` reaches a terminal that calls us (through the daemon's local API).
 * Times are terminal-local `YYYY-MM-DDTHH:mm:ss`; `id` is the queued command's.
 */
export interface BackfillTarget {
  queueBackfill(sinceLocal: string, untilLocal: string): { id: string; result: Promise<unknown> };
}

export function isBackfillTarget(driver: unknown): driver is BackfillTarget {
  return typeof (driver as Partial<BackfillTarget> | undefined)?.queueBackfill === 'function';
}
