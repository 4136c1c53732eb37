// The seam between the push listener (src/push) and push drivers (drivers/zk-push): the listener
// owns HTTP, a driver owns one terminal's protocol state. Types only.
// Invariants:
// - A terminal is identified by its serial number; at most one registration per serial.
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
}

export interface PushReply {
  status: number;
  body: string;
}

export interface PushTerminal {
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
