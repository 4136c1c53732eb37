// Connection limits of the push listener, per source address, with room kept for terminals.
// Invariants:
// - No address holds more than `maxPerAddress` open connections; a connection beyond that is
//   closed at once, before a byte of it is read.
// - `maxConnections` bounds the open connections of strangers: addresses no configured terminal
//   knows (`isKnown`: an allowFrom entry, a pinned handshake address, a Hikvision host). A known
//   address is never refused for the strangers' total, so a flood from one host or many cannot
//   keep a configured terminal out; its own per-address limit still holds.
// - Whether a connection counts as a stranger's is decided once, when it opens, and undone when
//   it closes; counts exist only for addresses with open connections (memory follows the sockets).
import type { Socket } from 'node:net';
import type { PushRefusalReason } from '../util/catalogue.js';
import { normalizeAddress } from './addresses.js';

export type ConnectionRefusal = Extract<PushRefusalReason, 'connections-per-address' | 'connections'>;

export interface ConnectionGateOptions {
  maxConnections: number;
  maxPerAddress: number;
  isKnown(address: string): boolean;
  onRefused(address: string, reason: ConnectionRefusal): void;
}

export class ConnectionGate {
  private readonly openByAddress = new Map<string, number>();
  private strangers = 0;

  constructor(private readonly o: ConnectionGateOptions) {}

  /** For the server's 'connection' event: keeps the socket, or destroys it. */
  admit(socket: Socket): void {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    const open = this.openByAddress.get(address) ?? 0;
    const known = this.o.isKnown(address);
    const refusal: ConnectionRefusal | undefined =
      open >= this.o.maxPerAddress ? 'connections-per-address' : !known && this.strangers >= this.o.maxConnections ? 'connections' : undefined;
    if (refusal) {
      socket.destroy();
      this.o.onRefused(address, refusal);
      return;
    }
    this.openByAddress.set(address, open + 1);
    if (!known) this.strangers += 1;
    socket.once('close', () => {
      const left = (this.openByAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.openByAddress.delete(address);
      else this.openByAddress.set(address, left);
      if (!known) this.strangers -= 1;
    });
  }

  /** Open connections now: from strangers, and in all. */
  counts(): { strangers: number; total: number; addresses: number } {
    let total = 0;
    for (const n of this.openByAddress.values()) total += n;
    return { strangers: this.strangers, total, addresses: this.openByAddress.size };
  }
}
