// What a users command or a userSync group holds of one terminal while it reads or writes its users
// and templates (DESIGN.md "Users and templates"): the session a family's users side opens
// (UsersFacet in src/devices/facets.ts names the family's module). Types only.
// Invariants:
// - Per-user outcomes, never one failure for a whole write: a session resolves each user's own,
//   and passes each through `progress` as it is answered, so a lost connection leaves exactly the
//   unanswered users unconfirmed.
import type { Logger } from 'pino';
import type { ErrorCode } from '../util/catalogue.js';
import type { TemplateKind, TemplateRecord, TerminalUser, UserWithTemplates } from './user.js';

export interface UsersAccess<C> {
  /** Connects to the terminal; rejects with a GatewayError (unreachable, refused credentials). */
  open(config: C, options: UsersOpenOptions): Promise<UsersSession>;
}

export interface UsersOpenOptions {
  logger: Logger;
  signal: AbortSignal;
}

/**
 * Progress of a long read or write: items done of the total, when the family knows it. A write or
 * delete passes the outcome of the user just answered, so a connection lost later still leaves
 * each answered user's outcome known (writeUsers).
 */
export type UsersProgress = (done: number, total: number | undefined, outcome?: UserWriteOutcome) => void;

/** The result of one user's write or delete: each user's own, so a partial write is reported per user. */
export type UserWriteOutcome =
  | { pin: string; ok: true }
  | { pin: string; ok: false; code: ErrorCode; message: string };

export interface UsersSession {
  /** the terminal's serial number, when the protocol tells it */
  readonly serial?: string;
  /** template algorithm versions the terminal uses, by kind (`finger` → `finger:10`), read from it */
  algorithms(): Promise<Partial<Record<TemplateKind, string>>>;
  listUsers(progress?: UsersProgress): Promise<TerminalUser[]>;
  /** templates of every user, or of the PINs given */
  readTemplates(pins?: readonly string[], progress?: UsersProgress): Promise<TemplateRecord[]>;
  /**
   * Creates or replaces each user and the templates it carries (templates not carried are left as
   * they are). Resolves per user; never throws for one user's failure. Rejects only when the
   * connection is lost: the users already answered are in the outcomes of the `progress` calls.
   */
  writeUsers(users: readonly UserWithTemplates[], progress?: UsersProgress): Promise<UserWriteOutcome[]>;
  deleteUsers(pins: readonly string[], progress?: UsersProgress): Promise<UserWriteOutcome[]>;
  close(): Promise<void>;
}
