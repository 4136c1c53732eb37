// The `driver: fingerspot-easylink` device entry. Every key carries a description: it ends up in
// config/config.schema.json and config/example.yaml.
import { z } from 'zod';
import { baseDeviceSchema, codeMap, durationKey } from '../../src/config/primitives.js';
import { PUNCH_STATES, VERIFY_METHODS } from '../../src/punch/punch.js';

const FINGERSPOT_ROLE = 'over the built-in table (part of the punch id: set it before go-live)';

const IMPORT_SINCE_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

export const fingerspotConfigSchema = baseDeviceSchema
  .extend({
    driver: z
      .literal('fingerspot-easylink')
      .describe('Fingerspot terminals (Revo and others) read through the EasyLink SDK bridge FService.exe; the gateway must be the ONLY client that calls /scanlog/new on that bridge'),
    host: z.string().min(1).describe('IP address or host name of the Windows PC running FService.exe (the bridge, not the terminal)'),
    port: z.number().int().min(1).max(65535).default(8090).describe('FService HTTP port (8090 where observed)'),
    serial: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected the terminal serial number (SN) as listed in the bridge\'s Device.ini')
      .describe('the terminal serial number (SN) as in FService\'s Device.ini: sent as sn=… and part of every punch id'),
    pollInterval: durationKey('how often to ask the bridge for new scans (/scanlog/new; it consumes them: no other client may call it)', 30_000),
    pageSize: z.number().int().min(1).max(1000).default(100).describe('rows per /scanlog/all/paging call for backfill and reconciliation'),
    maxPages: z.number().int().min(1).max(100_000).default(5000).describe('stop a paging read after this many pages (a runaway guard)'),
    importSince: z
      .string()
      .regex(IMPORT_SINCE_PATTERN, 'expected a date like 2026-01-01 or 2026-01-01T00:00:00 (terminal local time)')
      .optional()
      .describe('on the first start, backfill only scans at or after this terminal-local date/time (default: the whole log)'),
    reconcileLookback: durationKey('the recovery after an interrupted read re-commits scans from this long before that read', 7_200_000),
    reconcileInterval: durationKey('re-read the whole log through /scanlog/all/paging this often and commit what is missing, which also proves the completeness watermark (0 = only after an interrupted read)', 86_400_000),
    syncClock: z
      .boolean()
      .default(false)
      .describe('call /dev/settime when the terminal clock is off by 2 s or more (it copies the BRIDGE PC clock; only when the gateway clock is synchronized)'),
    timeout: durationKey('how long to wait for each bridge reply (paging pages on a big log can be slow)', 60_000),
    verifyMap: codeMap(VERIFY_METHODS, 'VerifyMode', FINGERSPOT_ROLE),
    ioModeMap: codeMap(PUNCH_STATES, 'IOMode', FINGERSPOT_ROLE),
  })
  .strict()
  .describe('a Fingerspot terminal behind the EasyLink SDK bridge (FService.exe, HTTP form POSTs)');

export type FingerspotConfig = z.output<typeof fingerspotConfigSchema>;
