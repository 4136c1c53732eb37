// The gateway's error classes; the codes and reasons they carry are the catalogue's (catalogue.ts).
// Codecs throw DecodeError and never log; sessions catch, count and log.
import { rejectionCode, type ErrorCode, type RejectionReason } from './catalogue.js';

export type { ErrorCode } from './catalogue.js';

export class GatewayError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
  }
}

/**
 * Thrown by pure codecs: `code` is the catalogue's rejection reason for what was wrong, `offset`
 * is where in the input it was found.
 */
export class DecodeError extends Error {
  readonly code: RejectionReason;
  readonly offset: number;
  constructor(code: RejectionReason, message: string, offset = 0) {
    super(message);
    this.name = 'DecodeError';
    this.code = code;
    this.offset = offset;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The code a log line about `error` carries: its own (GatewayError, DecodeError's reason), else `fallback`. */
export function codeOf(error: unknown, fallback: ErrorCode): ErrorCode {
  if (error instanceof GatewayError) return error.code;
  if (error instanceof DecodeError) return rejectionCode(error.code);
  return fallback;
}
