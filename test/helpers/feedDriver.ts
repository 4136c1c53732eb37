// A tiny in-test driver: the test pushes raw punches, the driver emits them through the real
// DriverContext (normalize → buffer commit). Also a driver that fails to test the supervisor.
import { z } from 'zod';
import { baseDeviceSchema } from '../../src/config/primitives.js';
import type { DriverDefinition } from '../../src/devices/definition.js';
import type { Driver, DriverContext } from '../../src/devices/driver.js';
import type { RawPunch } from '../../src/punch/punch.js';

export const feedConfigSchema = baseDeviceSchema.extend({ driver: z.literal('test-feed'), failStarts: z.number().int().default(0) }).strict();
type FeedConfig = z.output<typeof feedConfigSchema>;

export interface Feed {
  ctx: DriverContext;
  push(raws: RawPunch[], checkpoint?: Record<string, unknown>): Promise<unknown>;
}

/** Live feeds by device id; a restarted driver replaces its entry. */
export const feeds = new Map<string, Feed>();
export const startAttempts = new Map<string, number>();

export const feedDriver: DriverDefinition<FeedConfig> = {
  protocol: 'test-feed',
  configSchema: feedConfigSchema,
  create(config, ctx): Driver {
    return {
      async start() {
        const attempts = (startAttempts.get(config.id) ?? 0) + 1;
        startAttempts.set(config.id, attempts);
        if (attempts <= config.failStarts) throw new Error(`simulated start failure ${attempts}`);
        ctx.status.update({ online: true, serial: `SN-${config.id}`, model: 'FeedSim', clockSkewSec: 0 });
        feeds.set(config.id, { ctx, push: (raws, checkpoint) => ctx.emitMany(raws, checkpoint) });
      },
      async stop() {
        if (feeds.get(config.id)?.ctx === ctx) feeds.delete(config.id);
      },
    };
  },
};
