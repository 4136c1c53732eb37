// The `driver: kiosk` device entry: a tablet kiosk or an office app that punches through the kiosk
// listener (kiosk.listen) with a client certificate from `absensi-gateway kiosk enroll`.
// Every key carries a description: it ends up in config/config.schema.json and config/example.yaml.
import { z } from 'zod';
import { baseDeviceSchema } from '../../src/config/primitives.js';

export const kioskConfigSchema = baseDeviceSchema
  .extend({
    driver: z.literal('kiosk').describe('a tablet kiosk or app: punches arrive over mutual TLS on kiosk.listen, from the client certificate kiosk enroll issued for this id'),
  })
  .strict()
  .describe('a kiosk (tablet in the lobby, office app) that punches through the kiosk listener; its identity is its client certificate (CN = id)');

export type KioskConfig = z.output<typeof kioskConfigSchema>;
