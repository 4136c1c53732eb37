// The facets of a terminal family's definition (DriverDefinition, definition.ts): what a family may
// offer beyond running devices, each a seam between the family and one part of the gateway — the
// push listener and its trust rules, `probe`, `simulate`, `import`. Types only.
// Invariants:
// - Every facet that brings a module of its own brings it as a `load()`: imported when the command
//   or the device that needs it runs, never with the list of families.
import type { Command } from 'commander';
import type { RawPunch } from '../punch/punch.js';
import type { RejectionReason } from '../util/catalogue.js';
import type { UsersAccess } from '../users/session.js';
import type { BaseDeviceConfig, DriverContext } from './driver.js';

/** A family whose terminals call the gateway: an enabled entry of it needs the push listener (DESIGN.md "Trust at the edge"). */
export interface PushFacet<C> {
  /** does this entry's terminal call the gateway (hikvision-isapi's `push: true`)? absent: every entry's does (zk-push) */
  when?(config: C): boolean;
  /**
   * What admits a request for this entry, read from the entry alone (for `check`, /api/devices and
   * the status page): none means any host on the LAN may speak for the terminal.
   */
  authenticatedBy(config: C): PushAuthenticator[];
  /** what `check` tells an entry that nothing authenticates */
  howToAuthenticate: string;
}

export type PushAuthenticator = 'allowFrom' | 'commKey' | 'host';

/**
 * A family whose devices punch through the kiosk listener (mutual TLS, DESIGN.md "Kiosks and
 * apps"): an enabled entry of it needs that listener and a certificate of the local kiosk CA.
 */
export interface KioskFacet {
  /** what admits its requests: the client certificate, whose CN is the device id */
  readonly authenticatedBy: 'client-certificate';
}

export interface PushTrust {
  /** false: the listener takes this device's punches from any host on the LAN */
  authenticated: boolean;
  /** what admits a request for it */
  by: PushAuthenticator[];
}

/** `absensi-gateway probe <host> --protocol <protocol>`: ask a terminal who it is, changing nothing on it. */
export interface ProbeFacet {
  /** the port probed when `--port` is not given */
  readonly defaultPort: number;
  /** the family's own command-line options; two families may share one by giving it alike */
  readonly options?: readonly ProbeOption[];
  /** imports the probe module (when `probe --protocol <protocol>` runs) */
  load(): Promise<ProbeRun>;
}

export interface ProbeOption {
  /** commander flags: `--udp`, `--comm-key <key>` */
  readonly flags: string;
  /** the help text, after the names of the families that take the option */
  readonly description: string;
  readonly default?: string | number;
  /** an integer from 0 to this, else a usage error */
  readonly integerMax?: number;
  /** the option must be given with this family's protocol; the text says why */
  readonly requiredBecause?: string;
}

/** Where a probe connects and how long it waits; the same for every family. */
export interface ProbeTarget {
  host: string;
  port: number;
  timeoutMs: number;
  /** IANA zone of the terminal clock, for the skew */
  timeZone: string;
}

/** The command-line values by commander's names (`--comm-key` → `commKey`). */
export type ProbeValues = Readonly<Record<string, string | number | boolean | undefined>>;

export interface ProbeRun {
  /** Resolves with what `--json` prints and the readable text; rejects with a GatewayError when the terminal cannot be asked. */
  probe(target: ProbeTarget, values: ProbeValues): Promise<{ result: unknown; text: string }>;
}

/** `absensi-gateway simulate <command>`: a terminal of the family, for demos and tests. */
export interface SimulatorFacet {
  readonly command: string;
  /** one line for `simulate --help` */
  readonly description: string;
  /** imports the simulator's command line: a function that adds its options and action to `simulate <command>` */
  load(): Promise<(command: Command) => void>;
}

/** `absensi-gateway import <path> --device <id>`: punch log files (USB-flashdisk exports, saved serial-line logs) as a device's punches. */
export interface LogImportFacet {
  /** imports the module that reads the files (when `import` runs) */
  load(): Promise<LogImporter>;
}

export interface LogImporter {
  /**
   * Commits the punches of the files at `path` (a file, or the punch log files of a directory)
   * through `ctx`, in batches, as `device`'s; a line that does not decode is a rejection, never a
   * stop. Rejects when there is nothing to read or the format cannot date the punches.
   */
  importPath(request: LogImportRequest): Promise<ImportSummary>;
}

export interface LogImportRequest {
  path: string;
  /** the device entry, timezone defaulted to the gateway's */
  device: BaseDeviceConfig & { timezone: string };
  ctx: Pick<DriverContext, 'emitMany' | 'signal'>;
  /** a format name or pattern; default: the device's own, else zk-attlog */
  format?: string;
  /** decode and count, commit nothing */
  dryRun: boolean;
  /** bytes read so far of all files, and their total */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface ImportRejection {
  file: string;
  line: number;
  reason: RejectionReason;
  detail: string;
}

/** What one import did, in the words `import` prints. */
export interface ImportSummary {
  files: string[];
  lines: number;
  punches: number;
  inserted: number;
  duplicates: number;
  quarantined: number;
  rejectedCount: number;
  /** the first `keepRejections` rejections, with line numbers */
  rejected: ImportRejection[];
  /** a few decoded punches, for --dry-run */
  samples: RawPunch[];
}

/**
 * `users list|export|copy|import` and `userSync` (DESIGN.md "Users and templates"): the family reads
 * and writes the users and templates its terminals hold. Absent: the family says it cannot
 * (`unsupported`) or has no such side.
 */
export interface UsersFacet<C> {
  /**
   * May a users command open its own connection while the daemon runs this entry? false (zk-tcp,
   * one session per terminal): the command asks the operator to stop the daemon or go through it.
   */
  readonly alongsideDaemon: boolean;
  /**
   * Does the family's running driver lend its own session to users work in the daemon
   * (UsersLender, usersLender.ts)? Then a userSync group may hold it though it is not alongside.
   */
  readonly lendsToDaemon?: boolean;
  /** imports the users module (when a users command or a userSync group needs it) */
  load(): Promise<UsersAccess<C>>;
}

/** A family that cannot hold users through the gateway says why, for the CLI and `check`. */
export interface UsersUnsupported {
  readonly unsupported: string;
}

/**
 * A family whose terminal talks only to the daemon (zk-push: the terminal calls the gateway): its
 * users side runs on the running driver, which lends it (src/devices/usersLender.ts); says how it
 * is reached, for the CLI and `check`.
 */
export interface UsersThroughDaemon {
  readonly throughDaemon: string;
}

// the session a users side opens is the users folder's (src/users/session.ts); named here too for the families
export type { UsersAccess, UsersOpenOptions, UsersProgress, UsersSession, UserWriteOutcome } from '../users/session.js';
