// The `driver: hikvision-isapi` device entry: a Hikvision face terminal (DS-K1T…) read over ISAPI,
// by pulling its event log, by receiving its HTTP event push, or both.
// Every key carries a description: it ends up in config/config.schema.json and config/example.yaml.
import { z } from 'zod';
import { baseDeviceSchema, durationKey } from '../../src/config/primitives.js';
import { PUNCH_STATES, VERIFY_METHODS } from '../../src/punch/punch.js';
import { allowFromSchema } from '../../src/push/addresses.js';

export const hikvisionConfigSchema = baseDeviceSchema
  .extend({
    driver: z.literal('hikvision-isapi').describe('Hikvision access-control / face terminal over ISAPI (HTTP, Digest authentication)'),
    host: z.string().min(1).optional().describe('terminal IP address or host name; needed to pull (and to read its serial number)'),
    port: z.number().int().min(1).max(65535).default(80).describe('terminal HTTP port'),
    username: z.string().min(1).default('admin').describe('ISAPI user (an operator account is enough to read events)'),
    password: z.string().min(1).optional().describe('ISAPI password; prefer passwordFile (a file holding only the password)'),
    pull: z.boolean().default(true).describe('search the terminal\'s event log (AcsEvent) every pollInterval'),
    pollInterval: durationKey('time between two event-log searches', 60_000),
    pageSize: z.number().int().min(1).max(100).default(30).describe('maxResults per AcsEvent page (terminals cap it, often at 30)'),
    lookback: durationKey('how far back the first search reaches when no checkpoint exists', 7 * 86_400_000),
    timeout: durationKey('reply timeout per ISAPI request', 10_000),
    push: z.boolean().default(false).describe('accept the terminal\'s HTTP event push at pushListener.listen under /hikvision/<id>; only from allowFrom, else only from host when one is set'),
    allowFrom: allowFromSchema.optional(),
    macAddress: z
      .string()
      .regex(/^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/, 'expected a MAC address such as 24:32:ae:55:c9:c0')
      .optional()
      .describe('when set, pushed events must carry this macAddress (missing or another: refused); a check against a misconfigured terminal, not against a forger, since the MAC is in the body'),
    timeFrom: z
      .enum(['offset', 'wall'])
      .default('offset')
      .describe('offset: the instant the terminal wrote (time with its offset) shown in the device zone; wall: its wall time as written, ignoring its offset'),
    minorMap: z
      .record(z.string().regex(/^\d{1,3}$/, 'expected a numeric minor code'), z.enum(VERIFY_METHODS))
      .default({})
      .describe('minor event code (decimal) → verify method; a code listed here counts as a punch, adding to or overriding the built-in table'),
    verifyModeMap: z
      .record(z.string().min(1), z.enum(VERIFY_METHODS))
      .default({})
      .describe('currentVerifyMode → verify method, used when the minor code does not tell the method'),
    stateMap: z
      .record(z.string().min(1), z.enum(PUNCH_STATES))
      .default({})
      .describe('attendanceStatus → punch/v1 state, overriding the built-in table (checkIn, checkOut, breakIn, breakOut, overtimeIn, overtimeOut)'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (!cfg.pull && !cfg.push) ctx.addIssue({ code: 'custom', path: ['pull'], message: 'set pull, push or both to true: otherwise nothing is read' });
    if (cfg.pull && !cfg.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'pull needs the terminal host' });
    if (cfg.host && cfg.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'a terminal with a host needs password or passwordFile' });
  })
  .describe('a Hikvision face / access-control terminal read over ISAPI (pull, push or both)');

export type HikvisionConfig = z.output<typeof hikvisionConfigSchema>;
