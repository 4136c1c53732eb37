// A small reader of the gateway's TypeScript sources for tests that check call sites against the
// catalogue (log codes, rejection reasons, DecodeError codes).
// Invariants:
// - `mask` keeps every offset: comments and the text inside string and template literals become
//   spaces (quotes and `${…}` expressions stay), so a regex over the masked text finds code only,
//   and parentheses inside strings never unbalance a call.
// - `callsOf` yields each call's argument text, the original (unmasked) one, with where it is.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SourceFile {
  path: string;
  text: string;
  masked: string;
}

export interface Call {
  file: string;
  line: number;
  /** the text from the callee to the closing parenthesis */
  call: string;
  /** the arguments, masked (string contents blanked) */
  maskedArgs: string;
  /** the arguments as written */
  args: string;
}

export function sourcesUnder(...roots: string[]): SourceFile[] {
  return roots.flatMap((root) => tsFiles(root)).map((path) => {
    const text = readFileSync(path, 'utf8');
    return { path, text, masked: mask(text) };
  });
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The source with comments and literal text blanked (offsets kept). */
export function mask(text: string): string {
  const out = text.split('');
  const blank = (i: number): void => {
    if (out[i] !== '\n') out[i] = ' ';
  };
  // a stack of open template literals: each entry counts the `{` open inside its current `${`
  const templates: number[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const inTemplateText = templates.length > 0 && templates[templates.length - 1] === -1;
    if (inTemplateText) {
      if (c === '\\') {
        blank(i);
        blank(i + 1);
        i += 2;
      } else if (c === '`') {
        templates.pop();
        i += 1;
      } else if (c === '$' && text[i + 1] === '{') {
        templates[templates.length - 1] = 0;
        i += 2;
      } else {
        blank(i);
        i += 1;
      }
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') blank(i++);
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      while (i < stop) blank(i++);
    } else if (c === "'" || c === '"') {
      i += 1;
      while (i < text.length && text[i] !== c && text[i] !== '\n') {
        if (text[i] === '\\') blank(i++);
        blank(i++);
      }
      i += 1;
    } else if (c === '`') {
      templates.push(-1);
      i += 1;
    } else if (templates.length > 0 && c === '{') {
      templates[templates.length - 1] = (templates[templates.length - 1] as number) + 1;
      i += 1;
    } else if (templates.length > 0 && c === '}') {
      const depth = templates[templates.length - 1] as number;
      templates[templates.length - 1] = depth === 0 ? -1 : depth - 1;
      i += 1;
    } else {
      i += 1;
    }
  }
  return out.join('');
}

/** Every call whose callee (masked text) matches `callee`, which must end just before the `(`. */
export function callsOf(files: readonly SourceFile[], callee: RegExp): Call[] {
  const calls: Call[] = [];
  const pattern = new RegExp(`${callee.source}\\(`, 'g');
  for (const file of files) {
    for (const match of file.masked.matchAll(pattern)) {
      const open = (match.index ?? 0) + match[0].length - 1;
      const close = closingParen(file.masked, open);
      calls.push({
        file: file.path,
        line: file.text.slice(0, match.index).split('\n').length,
        call: file.text.slice(match.index, close + 1),
        maskedArgs: file.masked.slice(open + 1, close),
        args: file.text.slice(open + 1, close),
      });
    }
  }
  return calls;
}

function closingParen(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    const c = masked[i];
    if (c === '(' || c === '{' || c === '[') depth += 1;
    else if (c === ')' || c === '}' || c === ']') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return masked.length - 1;
}

/** The first argument as written, up to the first top-level comma. */
export function firstArgument(call: Call): string {
  let depth = 0;
  for (let i = 0; i < call.maskedArgs.length; i++) {
    const c = call.maskedArgs[i];
    if (c === '(' || c === '{' || c === '[') depth += 1;
    else if (c === ')' || c === '}' || c === ']') depth -= 1;
    else if (c === ',' && depth === 0) return call.args.slice(0, i).trim();
  }
  return call.args.trim();
}

/** A quoted string literal's text, or undefined when `expression` is not one. */
export function stringLiteral(expression: string): string | undefined {
  const match = /^(['"])([^'"\\]*)\1$/.exec(expression);
  return match?.[2];
}

/** A template literal as a regex its values match (`${…}` as any text), or undefined when it is not one. */
export function templatePattern(expression: string): RegExp | undefined {
  if (!expression.startsWith('`') || !expression.endsWith('`')) return undefined;
  const parts = expression.slice(1, -1).split(/\$\{[^}]*\}/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('.+')}$`);
}
