// How the Gateway starts the kiosk listener: the local CA (created on first use), a server
// certificate naming this host, the revocation list and the photo store, then `listen`.
// Invariants:
// - Only when an enabled kiosk entry is configured (the Gateway asks needsKioskListener first).
// - A failure (CA unusable, address in use) is logged GW_ERR_KIOSK_UNAVAILABLE and leaves no
//   listener: every other part of the gateway runs on.
// - Photos older than kiosk.photoRetention are removed at start and at every retention run.
import { hostname, networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { Metrics } from '../util/metrics.js';
import { KioskCa } from './ca.js';
import { KioskListener } from './listener.js';
import { PhotoStore, photosDir } from './photos.js';
import { RevocationList } from './revocations.js';

/** The CA's subject: one CA per gateway. */
export function kioskCaName(gateway: { site: string; id: string }): string {
  return `absensi-gateway kiosk CA ${gateway.site} ${gateway.id}`;
}

/** What the server certificate names: loopback, this host's name and addresses, the listen host, kiosk.serverNames. */
export function serverNamesOf(config: Pick<GatewayConfig, 'kiosk'>): string[] {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && a.family === 'IPv4')
    .map((a) => (a as { address: string }).address);
  const { host } = config.kiosk.listen;
  const listenHost = host === '0.0.0.0' || host === '::' ? [] : [host];
  return [...new Set(['localhost', '127.0.0.1', hostname(), ...listenHost, ...addresses, ...config.kiosk.serverNames])];
}

export async function startKioskListener(config: GatewayConfig, deps: { log: Logger; metrics: Metrics }): Promise<{ listener: KioskListener; photos: PhotoStore } | undefined> {
  const { gateway, kiosk } = config;
  let listener: KioskListener | undefined;
  try {
    const { ca, created } = KioskCa.open(gateway.dataDir, { name: kioskCaName(gateway) });
    if (created) deps.log.info({ dir: ca.dir }, 'kiosk CA created; enroll each kiosk with absensi-gateway kiosk enroll <deviceId> --out FILE.p12');
    const tls = { ...ca.serverCertificate(serverNamesOf(config)), ca: ca.caPem };
    const photos = new PhotoStore(photosDir(gateway.dataDir));
    listener = new KioskListener({ log: deps.log, metrics: deps.metrics, tls, revocations: new RevocationList(ca.dir), photos, maxSkewMs: kiosk.maxSkew });
    await listener.listen(kiosk.listen);
    void prunePhotos(photos, kiosk.photoRetention, deps.log);
    return { listener, photos };
  } catch (error) {
    deps.log.error({ code: 'GW_ERR_KIOSK_UNAVAILABLE', err: error, ...kiosk.listen }, 'kiosk listener not started; kiosks cannot punch');
    await listener?.close().catch(() => undefined);
    return undefined;
  }
}

export async function prunePhotos(photos: PhotoStore, retentionMs: number, log: Logger): Promise<void> {
  try {
    const removed = await photos.prune(retentionMs);
    if (removed > 0) log.info({ removed }, 'retention: kiosk photos removed');
  } catch (error) {
    log.warn({ code: 'GW_ERR_INTERNAL', err: error }, 'kiosk photo retention failed');
  }
}
