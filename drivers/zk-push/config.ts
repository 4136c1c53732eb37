// The `driver: zk-push` device entry: a terminal that calls the gateway (ZKTeco ADMS / iclock).
// Every key carries a description: it ends up in config/config.schema.json and config/example.yaml.
import { z } from 'zod';
import { baseDeviceSchema, codeMap } from '../../src/config/primitives.js';
import { PUNCH_STATES, VERIFY_METHODS } from '../../src/punch/punch.js';
import { allowFromSchema } from '../../src/push/addresses.js';

export const zkPushConfigSchema = baseDeviceSchema
  .extend({
    driver: z.literal('zk-push').describe('ZKTeco PUSH / ADMS ("Cloud Server" / iclock): the terminal calls pushListener.listen'),
    serial: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected the terminal serial number (SN), letters and digits').describe('the terminal serial number (SN=…): its identity in every request'),
    commKey: z
      .union([z.string().min(1), z.number().int().nonnegative()])
      .transform(String)
      .optional()
      .describe('comm key set on the terminal; when set, only a handshake carrying the same pushcommkey is answered, and it pins the terminal to that source address: every other request is taken from the pinned address only'),
    allowFrom: allowFromSchema.optional(),
    delay: z.number().int().min(1).max(3600).default(30).describe('Delay: seconds between the terminal\'s getrequest polls'),
    errorDelay: z.number().int().min(1).max(3600).default(60).describe('ErrorDelay: seconds the terminal waits after a failed request'),
    transInterval: z.number().int().min(0).max(1440).default(1).describe('TransInterval: minutes between batched uploads when realtime is off'),
    realtime: z.boolean().default(true).describe('Realtime: upload each punch the moment it happens'),
    stateMap: codeMap(PUNCH_STATES, 'Status'),
    verifyMap: codeMap(VERIFY_METHODS, 'Verify'),
  })
  .strict()
  .describe('a ZKTeco (or OEM) terminal that pushes to the gateway over HTTP (ADMS / iclock)');

export type ZkPushConfig = z.output<typeof zkPushConfigSchema>;
