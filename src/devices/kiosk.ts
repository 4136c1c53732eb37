// The kiosk side of the driver seam (DESIGN.md "Kiosks and apps"): a kiosk driver registers a
// KioskTerminal with the context's `kiosk` (a KioskRegistrar) and answers the punches routed to
// it. The mutual-TLS listener (src/kiosk/listener.ts) implements KioskRegistrar: it owns TLS, the
// client certificate and HTTP; a driver owns one kiosk's body rules and commits. The seam owns
// these types, so the drivers never import src/kiosk for them.
// Invariants:
// - A request reaches a terminal only when the TLS handshake verified its client certificate
//   against the local CA and the listener found the certificate's CN to be this terminal's device
//   id, its serial not revoked and its validity not over: `certificate` is what proved it.
// - `handle` resolves with the reply only when everything the reply promises is done: a 200 only
//   after the punch committed.
// - A refusal of the body (malformed, clock, photo) is counted by the terminal through its
//   context (status.rejected); a refusal of the certificate by the listener, before any terminal.
// - Replies never carry request text: only the punch id and seq, codes and the gateway's time.
/** The client certificate a request was authenticated by. */
export interface KioskCertificate {
  /** upper-case hex, no leading zeros */
  serial: string;
  /** ISO 8601 UTC */
  notAfter: string;
}

export interface KioskRequest {
  /** the parsed JSON body (unknown: the terminal validates it) */
  body: unknown;
  certificate: KioskCertificate;
  /** the source IP address, IPv4-mapped IPv6 written as IPv4 */
  remoteAddress: string;
}

export interface KioskReply {
  status: number;
  body: Record<string, unknown>;
}

export interface KioskTerminal {
  /** the configured device id: the CN its certificate must carry */
  readonly deviceId: string;
  handle(request: KioskRequest): Promise<KioskReply>;
}

/** Files the kiosk family keeps beside the buffer (the listener's, shared by its terminals). */
export interface KioskPhotoStore {
  /** Keeps a JPEG of `deviceId` (mode 0600) and resolves with its SHA-256, lowercase hex. */
  save(deviceId: string, jpeg: Uint8Array): Promise<string>;
}

export interface KioskRegistrar {
  /** Route requests authenticated as `terminal.deviceId` to `terminal`; returns the unregister function. */
  register(terminal: KioskTerminal): () => void;
  /** kiosk.maxSkew: a stated time further than this from the gateway clock is refused (409) */
  readonly maxSkewMs: number;
  readonly photos: KioskPhotoStore;
}
