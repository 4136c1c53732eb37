// The driver kit: what a terminal family declares once (drivers/<family>/definition.ts), from which
// the gateway and every command derive what they do for it: the config schema's driver union and
// `check` (configSchema, checkFiles, push trust), the supervisor (create), `pull` (backfill, push),
// push routing and what authenticates a push entry (push), `probe --protocol` (probe), `simulate
// <command>` (simulator) and `import` (logImport: the family that reads punch log files lends it to
// every device).
// Invariants:
// - Nothing here imports a driver folder; the list of families (src/drivers.ts) is made above
//   this module and handed down to whoever needs it.
// - A definition loads only its config schema with it: the driver, its backfill, its probe, its log
//   import and its simulator's command line are imports made when first used (a device of the kind
//   starts, `pull` runs, `probe --protocol X`, `import`, `simulate X`), so the daemon carries the
//   code of the kinds it runs and never a probe or a simulator.
// - A definition is plain data and functions with no `this`: `withSimulator` copies one whole.
import type { Command } from 'commander';
import type { z } from 'zod';
import type { RawPunch } from '../punch/punch.js';
import type { BackfillOptions, BackfillResult, BaseDeviceConfig, Driver, DriverContext } from './driver.js';

export interface DriverDefinition<C extends BaseDeviceConfig = BaseDeviceConfig> {
  /** the `driver:` value in config and the `device.protocol` in punch/v1 */
  readonly protocol: string;
  /** zod object for this driver's device entry, including the base fields */
  readonly configSchema: z.ZodType<C>;
  create(config: C, ctx: DriverContext): Driver;
  /**
   * Loads the implementation, for definitions that keep it out of the list (`defineDriver`); the
   * supervisor awaits it before `create`. Absent or `loaded`: `create` works right away.
   */
  load?(): Promise<void>;
  readonly loaded?: boolean;
  /**
   * Problems the schema cannot see (a referenced file unreadable or malformed), for `check`:
   * `key` names the device entry's key, `message` what is wrong. The driver meets the same problem
   * at start; `check` reports it before a restart does.
   */
  checkFiles?(config: C): { key: string; message: string }[];
  /**
   * Backfill (`absensi-gateway pull`): read the terminal's log once (all of it, or the records at or
   * after `since`) and commit it through `ctx.emitMany`, in a process of its own beside the daemon.
   * Contract: never reads or moves the driver's checkpoint (emitMany without checkpoint values);
   * never clears, deletes or consumes anything on the terminal or its bridge; reports the serial
   * (status.update) before the first emit when it reads one; rejects with a GatewayError naming
   * what failed (unreachable, refused credentials) and commits nothing more after that.
   * Lazy like `create`: the implementation module loads when called. Absent: `pull` asks the
   * running daemon when the kind's terminals call the gateway (`push`), else it refuses the kind.
   */
  backfill?(config: C, ctx: DriverContext, options: BackfillOptions): Promise<BackfillResult>;
  /** Its terminals call the gateway (the push listener), and what admits their requests. */
  readonly push?: PushFacet<C>;
  readonly probe?: ProbeFacet;
  readonly simulator?: SimulatorFacet;
  /** reads punch log files for a device of any kind (`import`); one family of a list offers it (serial-line, whose line codec reads ZK exports too) */
  readonly logImport?: LogImportFacet;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDriverDefinition = DriverDefinition<any>;

/** A driver class: one instance per running device. */
export type DriverClass<C> = new (config: C, ctx: DriverContext) => Driver;

export type BackfillFunction<C> = (config: C, ctx: DriverContext, options: BackfillOptions) => Promise<BackfillResult>;

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
  reason: string;
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
 * A family's definition from its spec: the config schema now, the driver class when the first device
 * of its kind starts, the backfill module when `pull` runs. `create` is synchronous once `load` resolved.
 */
export function defineDriver<C extends BaseDeviceConfig>(spec: {
  protocol: string;
  configSchema: z.ZodType<C>;
  /** imports the driver module and returns its class */
  driver: () => Promise<DriverClass<C>>;
  checkFiles?: (config: C) => { key: string; message: string }[];
  /** imports the backfill module and returns its function (see DriverDefinition.backfill) */
  backfill?: () => Promise<BackfillFunction<C>>;
  push?: PushFacet<C>;
  probe?: ProbeFacet;
  simulator?: SimulatorFacet;
  logImport?: LogImportFacet;
}): DriverDefinition<C> {
  let driverClass: DriverClass<C> | undefined;
  let loading: Promise<void> | undefined;
  const { driver, backfill, ...facets } = spec;
  return {
    ...facets,
    get loaded() {
      return driverClass !== undefined;
    },
    load() {
      loading ??= driver().then((loaded) => {
        driverClass = loaded;
      });
      return loading;
    },
    create(config, ctx) {
      if (driverClass === undefined) throw new Error(`the ${spec.protocol} driver is not loaded yet`);
      return new driverClass(config, ctx);
    },
    ...(backfill ? { backfill: async (config: C, ctx: DriverContext, options: BackfillOptions) => (await backfill())(config, ctx, options) } : {}),
  };
}

/** The same definition with a simulator: the list pairs a family with its simulator (src/sim), which lives above the drivers. */
export function withSimulator<C extends BaseDeviceConfig>(definition: DriverDefinition<C>, simulator: SimulatorFacet): DriverDefinition<C> {
  // property descriptors, not a spread: `loaded` stays a getter of the same definition
  return Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(definition), simulator: { value: simulator, enumerable: true } }) as DriverDefinition<C>;
}

/** The definition for a device entry's `driver:`, if the list has one. */
export function definitionOf(drivers: readonly AnyDriverDefinition[], protocol: string): AnyDriverDefinition | undefined {
  return drivers.find((d) => d.protocol === protocol);
}

/** Does this entry's terminal call the gateway (DriverDefinition.push)? */
export function callsGateway<C extends BaseDeviceConfig>(definition: DriverDefinition<C>, device: C): boolean {
  const { push } = definition;
  return push !== undefined && (push.when?.(device) ?? true);
}

/** An enabled entry whose terminal calls the gateway: the push listener must run for it. */
export function needsPushListener(device: BaseDeviceConfig, drivers: readonly AnyDriverDefinition[]): boolean {
  const definition = definitionOf(drivers, device.driver);
  return device.enabled && definition !== undefined && callsGateway(definition, device);
}

/** What authenticates an entry whose terminal calls the gateway; undefined for any other entry. */
export function pushTrustOf(device: BaseDeviceConfig, drivers: readonly AnyDriverDefinition[]): PushTrust | undefined {
  const definition = definitionOf(drivers, device.driver);
  if (!definition?.push || !callsGateway(definition, device)) return undefined;
  const by = definition.push.authenticatedBy(device);
  return { authenticated: by.length > 0, by };
}
