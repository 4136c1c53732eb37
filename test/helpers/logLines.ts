// A pino logger whose JSON lines are kept in memory, for tests that count what the gateway logs.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/util/logger.js';

export interface CapturedLog {
  log: Logger;
  lines: Record<string, unknown>[];
  /** lines whose `code` field is `code` */
  withCode(code: string): Record<string, unknown>[];
}

export function captureLog(level: 'info' | 'warn' | 'debug' = 'info'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines, withCode: (code) => lines.filter((l) => l.code === code) };
}
