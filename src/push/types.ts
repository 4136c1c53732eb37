// The seam between the push listener (src/push) and push drivers (drivers/zk-push): the listener
// owns HTTP, a driver owns one terminal's protocol state. Types only.
// Invariants:
// - A terminal is identified by its key: the serial number for /iclock (SN=), `<kind>/<deviceId>`
//   for terminals routed by URL path (/hikvision/<deviceId>); at most one registration per key.
// - `handle` resolves with the reply only when everything the reply promises is done: an upload's
//   `OK` only after its punches committed.

export interface PushRequest {
  method: string;
  /** last path segment under /iclock/, without `.aspx`: cdata, getrequest, devicecmd, ping, registry, push, querydata */
  endpoint: string;
  /** query parameters, first value of each */
  query: Record<string, string>;
  /** body text after Content-Encoding was undone ('' for GET) */
  body: string;
  remoteAddress: string;
  /** the body bytes as received, for terminals that send binary or multipart bodies (/hikvision) */
  bytes?: Uint8Array;
  /** the Content-Type request header ('' when absent); set together with `bytes` */
  contentType?: string;
}

export interface PushReply {
  status: number;
  body: string;
}

export interface PushTerminal {
  /** the routing key: the serial (SN=) or `<kind>/<deviceId>` (see pathTerminalKey) */
  readonly serial: string;
  handle(request: PushRequest): Promise<PushReply>;
}

export interface PushRegistrar {
  /** Route requests carrying SN=<serial> to `terminal`; returns the unregister function. */
  register(terminal: PushTerminal): () => void;
}

/** A serial that called but is not configured, for /api/devices and the status page. */
export interface UnknownTerminal {
  serial: string;
  remoteAddress: string;
  firstSeen: string;
  lastSeen: string;
  requests: number;
}

/** Routing key of a terminal that calls a path of its own: `POST /<kind>/<deviceId>`. */
export function pathTerminalKey(kind: string, deviceId: string): string {
  return `${kind}/${deviceId}`;
}
