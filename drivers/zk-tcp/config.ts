// The `driver: zk-tcp` device entry. Every key carries a description: it ends up in
// config/config.schema.json and config/example.yaml.
import { z } from 'zod';
import { baseDeviceSchema, durationKey } from '../../src/config/primitives.js';

const IMPORT_SINCE_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

export const zkTcpConfigSchema = baseDeviceSchema
  .extend({
    driver: z.literal('zk-tcp').describe('ZKTeco standalone SDK protocol (port 4370), TCP or UDP'),
    host: z.string().min(1).describe('IP address or host name of the terminal'),
    port: z.number().int().min(1).max(65535).default(4370).describe('terminal port (4370 on ZKTeco and OEM terminals)'),
    transport: z.enum(['tcp', 'udp']).default('tcp').describe('tcp (newer firmware) or udp (older black-and-white terminals)'),
    commKey: z
      .number()
      .int()
      .min(0)
      .max(0xffffffff)
      .default(0)
      .describe('numeric comm key (password) set on the terminal under Comm.; 0 when none'),
    realtime: z.boolean().default(true).describe('receive punches the moment they happen (CMD_REG_EVENT); polling still catches up'),
    pollInterval: durationKey('how often to download new attendance records, also while realtime is on', 300_000),
    syncClock: z
      .boolean()
      .default(false)
      .describe('set the terminal clock from the gateway on every sync (only when the gateway clock is synchronized)'),
    clearAfterDownload: z
      .boolean()
      .default(false)
      .describe('clear the attendance log on the terminal after a complete download has been committed'),
    disableDuringDownload: z
      .boolean()
      .default(false)
      .describe('lock the keypad and sensor while downloading (with a timeout; always re-enabled afterwards)'),
    importSince: z
      .string()
      .regex(IMPORT_SINCE_PATTERN, 'expected a date like 2026-01-01 or 2026-01-01T00:00:00 (terminal local time)')
      .optional()
      .describe('on the first sync, skip records older than this terminal-local date/time; later syncs read only new records'),
    timeout: durationKey('how long to wait for each reply of the terminal', 10_000),
    heartbeatInterval: durationKey('how often to check the connection while idle', 30_000),
  })
  .strict()
  .describe('a ZKTeco (or OEM) terminal read over the standalone SDK protocol');

export type ZkTcpConfig = z.output<typeof zkTcpConfigSchema>;
