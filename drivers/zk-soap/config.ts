// The `driver: zk-soap` device entry: a terminal read over its port-80 SOAP web service.
// Every key carries a description: it ends up in config/config.schema.json and config/example.yaml.
import { z } from 'zod';
import { baseDeviceSchema, codeMap, durationKey } from '../../src/config/primitives.js';
import { PUNCH_STATES, VERIFY_METHODS } from '../../src/punch/punch.js';

export const zkSoapConfigSchema = baseDeviceSchema
  .extend({
    driver: z.literal('zk-soap').describe('ZK SOAP web service (POST /iWsService on port 80): Solution X-series and older ZK firmware'),
    host: z.string().min(1).describe('IP address or host name of the terminal'),
    port: z.number().int().min(1).max(65535).default(80).describe('web server port of the terminal (80)'),
    commKey: z
      .union([z.string().regex(/^\d{1,10}$/, 'expected the numeric comm key'), z.number().int().nonnegative()])
      .transform(String)
      .default('0')
      .describe('comm key set on the terminal (Comm. → Comm Key), sent as ArgComKey; 0 when none'),
    pollInterval: durationKey('how often to download the attendance log (the terminal sends all of it every time)', 300_000),
    timeout: durationKey('how long the terminal may stay silent while answering one call', 15_000),
    maxBodyBytes: z
      .number()
      .int()
      .min(4096)
      .max(512 * 1024 * 1024)
      .default(64 * 1024 * 1024)
      .describe('largest answer read, in bytes (a log row is about 130 bytes: 64 MiB holds ~500,000 punches); GetAttLog is streamed, so this bounds the download, not memory'),
    syncClock: z
      .boolean()
      .default(false)
      .describe('set the terminal clock (SetDate) from the gateway on every poll, only while the gateway clock is synchronized'),
    clearAfterDownload: z
      .boolean()
      .default(false)
      .describe('clear the attendance log (ClearData 3) after a download has been committed and re-read unchanged'),
    stateMap: codeMap(PUNCH_STATES, 'Status'),
    verifyMap: codeMap(VERIFY_METHODS, 'Verified'),
  })
  .strict()
  .describe('a ZK (or Solution) terminal read over its SOAP web service on port 80');

export type ZkSoapConfig = z.output<typeof zkSoapConfigSchema>;
