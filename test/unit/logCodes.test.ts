// Every warn/error/fatal log line in src/ and drivers/ carries a catalogue code, and every counted
// reason written at a call site is a catalogue reason: a source scan (sourceScan.ts), so a new line
// without a code fails here before an IT technician greps the journal for it in vain.
// Invariants:
// - A logging call is any `.warn(`, `.error(` or `.fatal(` on a receiver (pino loggers, their
//   children, LogLimiter); `console.*` is not logging. ALLOWED lists the exceptions, each with why.
// - A literal reason is checked against the counter's table; a template literal must be able to
//   yield a catalogue reason; any other expression is checked by TypeScript (RejectionReason).
import { describe, expect, it } from 'vitest';
import { COMMAND_REFUSAL_REASONS, DEAD_LETTER_REASONS, ERROR_CODES, PUSH_REFUSAL_REASONS, QUARANTINE_REASONS, REJECTION_REASONS, reasonEntry, type ReasonEntry } from '../../src/util/catalogue.js';
import { callsOf, firstArgument, sourcesUnder, stringLiteral, templatePattern, type Call } from '../helpers/sourceScan.js';

const files = sourcesUnder('src', 'drivers');
const where = (call: Call): string => `${call.file}:${call.line}`;

/** `file:line` of logging calls that need no code, and why. */
const ALLOWED: Record<string, string> = {};

describe('log lines', () => {
  const calls = callsOf(files, /(?<!console)\.(?:warn|error|fatal)/).filter((call) => !ALLOWED[where(call)]);

  it('the scan finds the logging calls', () => {
    expect(calls.length).toBeGreaterThan(50);
    expect(calls.map((c) => c.file)).toEqual(expect.arrayContaining(['src/devices/context.ts', 'drivers/zk-tcp/client.ts']));
  });

  it('every warn/error/fatal line carries a `code` field', () => {
    const withoutCode = calls.filter((call) => !/[{,]\s*code\s*[:,}]/.test(call.maskedArgs)).map((call) => `${where(call)} ${call.call.slice(0, 100)}`);
    expect(withoutCode).toEqual([]);
  });

  it('every GW_ERR_* code written in src/ and drivers/ is in the catalogue', () => {
    const unknown = files.flatMap((file) => [...file.text.matchAll(/'(GW_ERR_[A-Z_]+)'/g)].map((m) => m[1] as string).filter((code) => !(code in ERROR_CODES)).map((code) => `${file.path}: ${code}`));
    expect(unknown).toEqual([]);
  });
});

/** What a reason expression at a call site says: '' when it is a catalogue reason (or typed), else why not. */
function problemOf(expression: string, table: Readonly<Record<string, ReasonEntry>>): string {
  const literal = stringLiteral(expression);
  if (literal !== undefined) return reasonEntry(table, literal) ? '' : `'${literal}' is not in the catalogue`;
  const template = templatePattern(expression);
  if (template) return Object.keys(table).some((reason) => template.test(reason)) ? '' : `${expression} yields no catalogue reason`;
  return '';
}

describe('reasons at their call sites', () => {
  it('every status.rejected(…) names a catalogue rejection reason', () => {
    const calls = callsOf(files, /status\.rejected/);
    expect(calls.length).toBeGreaterThan(25);
    const problems = calls.map((call) => [where(call), problemOf(firstArgument(call), REJECTION_REASONS)]).filter(([, problem]) => problem);
    expect(problems).toEqual([]);
  });

  it.each([
    ['gateway_rejected_total', /metrics\??\.rejected\.inc/, REJECTION_REASONS],
    ['gateway_punches_quarantined_total', /metrics\??\.punchesQuarantined\.inc/, QUARANTINE_REASONS],
    ['gateway_push_refused_total', /metrics\??\.pushRefused\.inc/, PUSH_REFUSAL_REASONS],
    ['gateway_punches_dead_lettered_total', /metrics\??\.deadLettered\.inc/, DEAD_LETTER_REASONS],
    ['gateway_commands_refused_total', /metrics\??\.commandsRefused\.inc/, COMMAND_REFUSAL_REASONS],
  ] as const)('%s is counted with its own table\'s reasons', (_name, callee, table) => {
    const calls = callsOf(files, callee);
    expect(calls.length).toBeGreaterThan(0);
    const problems = calls.flatMap((call) => {
      const reason = /reason:\s*([^,}]+?)(?:\s+satisfies\s+\w+)?\s*[,}]/.exec(call.args)?.[1] ?? (/[{,]\s*reason\s*[,}]/.test(call.maskedArgs) ? 'reason' : undefined);
      if (reason === undefined) return [`${where(call)}: no reason label`];
      const problem = problemOf(reason.trim(), table);
      return problem ? [`${where(call)}: ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });
});
