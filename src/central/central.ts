// `absensi-gateway central`: the reference receiver of a fleet (DESIGN.md "The centre"). Opens
// the database (PostgreSQL at postgres.url, else PGlite in central.dataDir), migrates it, consumes
// the broker, checks every gateway's log, sweeps checkpoints waiting for their punches, and serves
// the fleet page.
import type { Logger } from 'pino';
import type { CentralConfig } from './config.js';
import { LogChecker } from './logCheck.js';
import { migrateCentral } from './migrations.js';
import { CentralHttpsReceiver } from './httpsReceiver.js';
import { FleetServer } from './fleetServer.js';
import { CentralReceiver } from './receiver.js';
import { openEmbedded, openPostgres, type CentralStore } from './store.js';

export async function openCentralStore(config: Pick<CentralConfig, 'postgres' | 'central'>, options: { embeddedInMemory?: boolean } = {}): Promise<CentralStore> {
  const store = config.postgres ? await openPostgres(config.postgres.url) : await openEmbedded(options.embeddedInMemory ? undefined : config.central.dataDir);
  try {
    await migrateCentral(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export interface CentralOptions {
  config: CentralConfig;
  log: Logger;
  instance?: string;
  /** an open, migrated store (tests share one); else one is opened from the config */
  store?: CentralStore;
}

export class Central {
  readonly config: CentralConfig;
  store: CentralStore | undefined;
  receiver: CentralReceiver | undefined;
  https: CentralHttpsReceiver | undefined;
  /** where the HTTPS endpoint listens, once started */
  httpsUrl: string | undefined;
  checker: LogChecker | undefined;
  fleet: FleetServer | undefined;
  /** where the fleet page listens, once started (http.enabled) */
  fleetUrl: string | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private ownsStore = false;

  constructor(private readonly options: CentralOptions) {
    this.config = options.config;
  }

  async start(): Promise<void> {
    const { config, log } = this.options;
    this.store = this.options.store ?? (await openCentralStore(config));
    this.ownsStore = !this.options.store;
    this.checker = new LogChecker({ store: this.store, trustedKeys: Object.fromEntries(Object.entries(config.gateways).map(([id, g]) => [id, g.logKey])), missingAfterMs: config.verify.missingAfter, log });
    await this.checker.sweep();
    if (config.mqtt) {
      this.receiver = new CentralReceiver({ config: { ...config, mqtt: config.mqtt }, store: this.store, checker: this.checker, log, instance: this.options.instance ?? '1' });
      await this.receiver.start();
    }
    if (config.https) {
      this.https = new CentralHttpsReceiver({ config: config.https, store: this.store, checker: this.checker, log });
      this.httpsUrl = (await this.https.start()).url;
    }
    if (config.http.enabled) {
      this.fleet = new FleetServer({ config, store: this.store, log });
      this.fleetUrl = (await this.fleet.start()).url;
    }
    this.sweepTimer = setInterval(() => {
      this.checker?.sweep().catch((error: unknown) => log.warn({ code: 'GW_ERR_CENTRAL_STORE_UNAVAILABLE', err: error }, 'central: log sweep failed; next one retries'));
    }, config.verify.sweepInterval);
    this.sweepTimer.unref();
    log.info({ engine: this.store.engine, mqtt: config.mqtt?.url, group: config.mqtt?.group, https: this.httpsUrl, fleet: this.fleetUrl, instance: this.options.instance ?? '1' }, 'central started');
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.receiver?.stop();
    await this.https?.stop();
    await this.fleet?.stop();
    if (this.ownsStore) await this.store?.close();
  }
}
