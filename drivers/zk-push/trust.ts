// Who may speak for one zk-push terminal (DESIGN.md "Trust at the edge"): its allowFrom list and
// its comm-key pin.
// Invariants:
// - With allowFrom, a request from any other address is refused ('source': 403 `ERROR: source`),
//   whatever it carries, a handshake with the right key too.
// - With a commKey, a handshake carrying the right key (from an allowFrom address, when a list is
//   set) pins the terminal to its source address. Every other request is served from the pinned
//   address only: from another one it is refused ('pin': 403 `ERROR: source`); before any good
//   handshake it is refused ('comm-key': 401 `ERROR: comm key`), even from an allowFrom address:
//   allowFrom may be a whole subnet, and the key is what tells one host of it from another.
// - A refused handshake changes nothing: not the pin, not what other addresses are served.
// - The pin lives in the checkpoint store (PIN_KEY), written only when it moves, so a gateway
//   restart keeps it; a stored value that is no IP address pins nothing.
// - The comm key is compared in constant time and never logged or returned.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { CheckpointStore } from '../../src/devices/driver.js';
import type { PushRefusal, PushReply } from '../../src/devices/push.js';
import { AddressList, normalizeAddress } from '../../src/push/addresses.js';

export const PIN_KEY = 'pinnedAddress';

export interface Refusal {
  reason: Exclude<PushRefusal, 'mac'>;
  reply: PushReply;
}

const SOURCE: Refusal = { reason: 'source', reply: { status: 403, body: 'ERROR: source' } };
const PINNED_ELSEWHERE: Refusal = { reason: 'pin', reply: { status: 403, body: 'ERROR: source' } };
const NO_GOOD_HANDSHAKE: Refusal = { reason: 'comm-key', reply: { status: 401, body: 'ERROR: comm key' } };

interface StoredPin {
  address: string;
  /** gateway UTC time of the handshake that set it */
  at: string;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export class ZkPushTrust {
  private readonly allowFrom: AddressList | undefined;
  private readonly keyDigest: Buffer | undefined;

  constructor(
    cfg: { allowFrom?: readonly string[] | undefined; commKey?: string | undefined },
    private readonly checkpoint: CheckpointStore,
  ) {
    this.allowFrom = cfg.allowFrom ? new AddressList(cfg.allowFrom) : undefined;
    this.keyDigest = cfg.commKey !== undefined ? digest(cfg.commKey) : undefined;
  }

  /** Does anything authenticate this terminal (allowFrom or a comm key)? */
  get authenticated(): boolean {
    return this.allowFrom !== undefined || this.keyDigest !== undefined;
  }

  get hasCommKey(): boolean {
    return this.keyDigest !== undefined;
  }

  /** The address of the last good comm-key handshake, if one is stored. */
  pinned(): string | undefined {
    const stored = this.checkpoint.get<Partial<StoredPin>>(PIN_KEY);
    const address = typeof stored?.address === 'string' ? normalizeAddress(stored.address) : '';
    return isIP(address) ? address : undefined;
  }

  knowsAddress(address: string): boolean {
    if (this.allowFrom?.admits(address)) return true;
    return this.keyDigest !== undefined && this.pinned() === normalizeAddress(address);
  }

  /** A handshake (`GET cdata`): undefined when it may be answered (and the pin now names `address`), else the refusal. */
  checkHandshake(address: string, pushCommKey: string | undefined): Refusal | undefined {
    if (this.allowFrom && !this.allowFrom.admits(address)) return SOURCE;
    if (!this.keyDigest) return undefined;
    if (pushCommKey === undefined || !timingSafeEqual(digest(pushCommKey), this.keyDigest)) return NO_GOOD_HANDSHAKE;
    this.pin(normalizeAddress(address));
    return undefined;
  }

  /** Any other request: undefined when it may be served, else the refusal. */
  checkRequest(address: string): Refusal | undefined {
    if (this.allowFrom && !this.allowFrom.admits(address)) return SOURCE;
    if (!this.keyDigest) return undefined;
    const pinned = this.pinned();
    if (pinned === undefined) return NO_GOOD_HANDSHAKE;
    return pinned === normalizeAddress(address) ? undefined : PINNED_ELSEWHERE;
  }

  private pin(address: string): void {
    if (this.pinned() === address) return;
    this.checkpoint.set(PIN_KEY, { address, at: new Date().toISOString() } satisfies StoredPin);
  }
}
