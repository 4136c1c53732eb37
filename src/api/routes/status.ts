// The status page shell at `/`, the gateway's identity and the devices' state.
// `/api/devices` merges each configured device (driver, enabled, zone — never driver-specific keys,
// which may hold secrets such as a comm key) with what its driver last reported; a push device
// adds `trust` (what authenticates it, never the values: DriverDefinition.push of its family), a
// kiosk `kiosk` (its certificate: serial, end, revoked, from the local kiosk CA's lists).
// Each device carries its `watermark` (the same watermark/v1 object as the retained MQTT topic) and
// `watermarkFrozen`, null when there is none. `/api/commands` lists the last remote commands.
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { blankSnapshot } from '../../devices/deviceState.js';
import { VERSION } from '../../version.js';
import { devicesBody, gatewayBody, responses } from '../schemas.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../statusPage/page.js';
import type { GatewayView } from '../view.js';

export function registerStatusRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { view } = ctx;

  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', STATUS_PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .send(STATUS_PAGE_HTML),
  );

  app.get('/api/gateway', { schema: { response: responses(gatewayBody) } }, async () => ({
    id: view.gateway.id,
    site: view.gateway.site,
    timezone: view.gateway.timezone,
    version: VERSION,
    startedAt: ctx.startedAt.toISOString(),
    uptimeSec: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
    sinks: view.sinkHealth().map((h) => h.sink),
    authRequired: ctx.authRequired,
    hostClock: view.hostClock() ?? null,
    log: { key: view.log.key() ?? null, checkpoint: checkpointSummary(view) },
  }));

  app.get('/api/devices', { schema: { response: responses(devicesBody) } }, async () => ({
    devices: view.devices().map((device) => {
      const snapshot = view.states.get(device.id);
      const trust = view.pushTrust(device);
      const kiosk = view.kiosk(device);
      return {
        ...blankSnapshot(device.id, device.driver, device.enabled, device.serial),
        ...snapshot,
        id: device.id,
        driver: device.driver,
        enabled: device.enabled,
        timezone: device.timezone ?? view.gateway.timezone,
        watermark: view.watermark(device.id) ?? null,
        watermarkFrozen: view.watermarkFrozen(device.id) ?? null,
        ...(trust ? { trust } : {}),
        ...(kiosk ? { kiosk } : {}),
      };
    }).concat(unknownPushTerminals(view)),
  }));

  // the last remote commands and what became of them (README "Remote commands"); never a CSV's content
  app.get('/api/commands', async () => ({ enabled: view.commandsEnabled(), commands: view.recentCommands() }));
}

/** The latest checkpoint without its note (an object in a nullable must hold its declared fields only). */
function checkpointSummary(view: GatewayView): { origin: string; size: number; time: string } | null {
  const checkpoint = view.log.checkpoint();
  return checkpoint ? { origin: checkpoint.origin, size: checkpoint.size, time: checkpoint.time } : null;
}

/** Push terminals whose serial no device entry names (zk-push), shown as "unknown, asking to connect". */
function unknownPushTerminals(view: GatewayView) {
  return view.unknownPushTerminals().map((t) => ({
    ...blankSnapshot(`unknown:${t.serial}`, 'zk-push', false, t.serial),
    lastSeen: t.lastSeen,
    lastErrorCode: 'GW_ERR_PUSH_UNKNOWN_DEVICE' as const,
    lastError: `GW_ERR_PUSH_UNKNOWN_DEVICE: unknown, asking to connect (from ${t.remoteAddress}, ${t.requests} requests); add a zk-push device with serial ${t.serial} to accept it`,
    driver: 'zk-push',
    enabled: false,
    timezone: view.gateway.timezone,
    watermark: null,
    watermarkFrozen: null,
  }));
}
