// The driver kit: what a terminal family declares once (drivers/<family>/definition.ts), from which
// the gateway and every command derive what they do for it: the config schema's driver union and
// `check` (configSchema, checkFiles, push trust), the supervisor (create), `pull` (backfill, push),
// push routing and what authenticates a push entry (push), the kiosk listener (kiosk), `probe --protocol` (probe), `simulate
// <command>` (simulator) and `import` (logImport: the family that reads punch log files lends it to
// every device).
// Invariants:
// - Nothing here imports a driver folder; the list of families (src/drivers.ts) is made above
//   this module and handed down to whoever needs it.
// - A definition loads only its config schema with it: the driver, its backfill, its probe, its log
//   import and its simulator's command line are imports made when first used (a device of the kind
//   starts, `pull` runs, `probe --protocol X`, `import`, `simulate X`), so the daemon carries the
//   code of the kinds it runs and never a probe or a simulator.
// - A definition is plain data and functions with no `this`: `withSimulator` copies one whole,
//   getter included. The facets' types are facets.ts.
import type { z } from 'zod';
import type { BackfillOptions, BackfillResult, BaseDeviceConfig, Driver, DriverContext } from './driver.js';
import type { KioskFacet, LogImportFacet, ProbeFacet, PushFacet, PushTrust, SimulatorFacet, UsersFacet, UsersThroughDaemon, UsersUnsupported } from './facets.js';

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
  /** Its devices punch through the kiosk listener (mutual TLS). */
  readonly kiosk?: KioskFacet;
  readonly probe?: ProbeFacet;
  readonly simulator?: SimulatorFacet;
  /** reads punch log files for a device of any kind (`import`); one family of a list offers it (serial-line, whose line codec reads ZK exports too) */
  readonly logImport?: LogImportFacet;
  /** reads and writes the users and templates its terminals hold (`users …`, `userSync`); or why it cannot */
  readonly users?: UsersFacet<C> | UsersUnsupported | UsersThroughDaemon;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDriverDefinition = DriverDefinition<any>;

/** A driver class: one instance per running device. */
export type DriverClass<C> = new (config: C, ctx: DriverContext) => Driver;

export type BackfillFunction<C> = (config: C, ctx: DriverContext, options: BackfillOptions) => Promise<BackfillResult>;

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
  kiosk?: KioskFacet;
  probe?: ProbeFacet;
  simulator?: SimulatorFacet;
  logImport?: LogImportFacet;
  users?: UsersFacet<C> | UsersUnsupported | UsersThroughDaemon;
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

/** An enabled entry of a kiosk family: the kiosk listener must run for it. */
export function needsKioskListener(device: BaseDeviceConfig, drivers: readonly AnyDriverDefinition[]): boolean {
  return device.enabled && definitionOf(drivers, device.driver)?.kiosk !== undefined;
}

/** Is this entry a kiosk (of a family with the kiosk facet), enabled or not? */
export function isKioskEntry(device: BaseDeviceConfig, drivers: readonly AnyDriverDefinition[]): boolean {
  return definitionOf(drivers, device.driver)?.kiosk !== undefined;
}

/** What authenticates an entry whose terminal calls the gateway; undefined for any other entry. */
export function pushTrustOf(device: BaseDeviceConfig, drivers: readonly AnyDriverDefinition[]): PushTrust | undefined {
  const definition = definitionOf(drivers, device.driver);
  if (!definition?.push || !callsGateway(definition, device)) return undefined;
  const by = definition.push.authenticatedBy(device);
  return { authenticated: by.length > 0, by };
}
