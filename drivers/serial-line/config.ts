// The `driver: serial-line` device entry. Every key carries a description: it ends up in
// config/config.schema.json and config/example.yaml.
// Invariants:
// - `format` is checked here (a shipped name, or a regex that compiles with a pin or card group),
//   so a broken format is a config error with its YAML path, not a driver crash.
// - `cardMapFile` is a path read by the driver at start (it is not a secret *File key).
// - No `path` means an import-only device: USB-flashdisk exports are imported into it (CLI or
//   dropFolder), no port is opened.
import { z } from 'zod';
import { baseDeviceSchema, duration, durationKey } from '../../src/config/primitives.js';
import { PUNCH_STATES, VERIFY_METHODS } from '../../src/punch/punch.js';
import { compileFormat } from './codec.js';
import { SERIAL_FORMAT_NAMES } from './tables.js';

const stateEnum = z.enum(PUNCH_STATES);
const verifyEnum = z.enum(VERIFY_METHODS);

export const serialLineConfigSchema = baseDeviceSchema
  .extend({
    driver: z.literal('serial-line').describe('a reader or time clock sending one text line per punch over RS-232/RS-485/USB-serial'),
    path: z
      .string()
      .min(1)
      .optional()
      .describe('serial device, preferably /dev/serial/by-id/…; omit for an import-only device (USB-flashdisk exports)'),
    baudRate: z.number().int().positive().default(9600).describe('baud rate'),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8).describe('data bits: 5, 6, 7 or 8'),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none').describe('parity'),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1).describe('stop bits: 1, 1.5 or 2'),
    delimiter: z.string().min(1).default('\n').describe('line delimiter; CR, STX and ETX around a line are stripped anyway'),
    encoding: z.enum(['ascii', 'latin1', 'utf8']).default('latin1').describe('text encoding of the line'),
    format: z
      .string()
      .min(1)
      .default('wiegand-decimal')
      .describe(`line format: a shipped name (${SERIAL_FORMAT_NAMES.join(', ')}) or a regex with named groups pin|card, date, time|datetime, state, verify, workcode`),
    dateFormat: z.string().min(1).optional().describe('date template of the line (YYYY YY MM DD), e.g. DD-MM-YYYY; default from the format'),
    timeFormat: z.string().min(1).optional().describe('time template of the line (HH mm ss), e.g. HH:mm:ss; default from the format'),
    state: stateEnum.optional().describe('punch state for lines without a state group; default from the format, else unknown'),
    verify: verifyEnum.optional().describe('verify method for lines without a verify group; default from the format, else other'),
    stateMap: z.record(z.string(), stateEnum).optional().describe('state group value → punch/v1 state (added to the format\'s own map)'),
    verifyMap: z.record(z.string(), verifyEnum).optional().describe('verify group value → punch/v1 verify method (added to the format\'s own map)'),
    cardMapFile: z.string().min(1).optional().describe('CSV file of card,pin rows for readers that send only card numbers'),
    unknownCard: z.enum(['use-card', 'reject']).default('use-card').describe('with a cardMapFile, a card not in it: use the card number as PIN, or reject the line'),
    lineTimeout: duration('a line still lacking its delimiter after this silence counts as complete (0 = never; readers like EM-18 send none)').optional(),
    dropFolder: z
      .string()
      .min(1)
      .optional()
      .describe('folder (e.g. a share) watched for USB-flashdisk exports of this device; imported files move to <dropFolder>/processed/'),
    dropInterval: durationKey('how often dropFolder is scanned; a file is imported once it stood still for one interval', 10_000),
    reconnectMin: durationKey('first delay before reopening a port that failed or disappeared', 1000),
    reconnectMax: durationKey('longest delay between reopen attempts (exponential backoff)', 30_000),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    try {
      compileFormat(cfg.format);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['format'], message: (error as Error).message });
    }
  })
  .describe('a serial-line reader or time clock (or an import-only terminal without network)');

export type SerialLineConfig = z.output<typeof serialLineConfigSchema>;
