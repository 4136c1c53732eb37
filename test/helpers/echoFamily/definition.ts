// "echo": a fixture terminal family that proves the driver kit (src/devices/definition.ts): one folder
// plus one line in a list gives a kind that config validation and `check`, the supervisor, push
// routing, `pull`, `probe --protocol echo` and `simulate echo` all know. Its terminal answers one
// TCP line with the same line; its devices may call the gateway (`push: true`).
// Only this file and config.ts load with the list; driver.ts, probe.ts and simulate.ts load when used.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { baseDeviceSchema } from '../../../src/config/primitives.js';
import { defineDriver } from '../../../src/devices/definition.js';
import { errorMessage } from '../../../src/util/errors.js';

export const echoConfigSchema = baseDeviceSchema
  .extend({
    driver: z.literal('echo').describe('a fixture terminal that repeats one line'),
    greeting: z.string().min(1).default('halo').describe('the line the driver sends'),
    push: z.boolean().default(false).describe('the terminal calls the gateway'),
    secret: z.string().optional().describe('what authenticates its calls'),
    wordsFile: z.string().optional().describe('a file the driver reads at start'),
  })
  .strict();
export type EchoConfig = z.output<typeof echoConfigSchema>;

export const echoDriver = defineDriver<EchoConfig>({
  protocol: 'echo',
  configSchema: echoConfigSchema,
  driver: async () => (await import('./driver.js')).EchoDriver,
  push: { when: (config) => config.push, authenticatedBy: (config) => (config.secret ? ['commKey'] : []), howToAuthenticate: 'set secret' },
  checkFiles(config) {
    if (config.wordsFile === undefined) return [];
    try {
      readFileSync(config.wordsFile, 'utf8');
      return [];
    } catch (error) {
      return [{ key: 'wordsFile', message: errorMessage(error) }];
    }
  },
  probe: {
    defaultPort: 7,
    options: [{ flags: '--greeting <text>', description: 'the line the terminal is asked to repeat', requiredBecause: 'the echo terminal repeats it' }],
    load: async () => (await import('./probe.js')).echoProbe,
  },
  simulator: {
    command: 'echo',
    description: 'an echo terminal: answers one TCP line with the same line',
    load: async () => (await import('./simulate.js')).configureSimulateEcho,
  },
});
