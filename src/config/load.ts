// Reading the config file: YAML → ${ENV} substitution → *File secrets → zod.
// Invariants:
// - Every problem found is reported, not just the first, each with its YAML path and line and
//   what was expected.
// - ${ENV} is substituted inside string values after YAML parsing, so a variable's content can
//   never change the YAML structure. `${NAME:-fallback}` gives a default; `$${` is a literal `${`.
// - A `*File` key (passwordFile, tokenFile, caFile, certFile, keyFile, commKeyFile) is read and
//   put under the key without the suffix; giving both is an error. Secret values never appear in
//   error messages. Each file read is reported to `onSecretFile` (its mode is secretFiles.ts's concern).
import { readFileSync } from 'node:fs';
import { LineCounter, parse as parseYaml, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { AnyDriverDefinition } from '../devices/definition.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { buildConfigSchema, type GatewayConfig } from './schema.js';
import type { SecretFileRef } from './secretFiles.js';

export const DEFAULT_CONFIG_PATH = '/etc/absensi-gateway/config.yaml';

export const SECRET_FILE_KEYS = ['passwordFile', 'tokenFile', 'caFile', 'certFile', 'keyFile', 'commKeyFile'] as const;

export type ConfigPath = (string | number)[];

export interface ConfigProblem {
  /** dotted YAML path, e.g. devices[0].port */
  path: string;
  line?: number;
  message: string;
}

export class ConfigError extends GatewayError {
  readonly problems: ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[], code: 'GW_ERR_CONFIG_INVALID' | 'GW_ERR_CONFIG_UNREADABLE' = 'GW_ERR_CONFIG_INVALID') {
    super(code, `${file}: ${problems.length} problem(s)\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line ? `${problem.path} (line ${problem.line})` : problem.path;
  return `  ${where}: ${problem.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '(root)';
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** the families whose device entries the file may hold (the build's: src/drivers.ts) */
  drivers: readonly AnyDriverDefinition[];
  readFile?: (path: string) => string;
  /** called for each `*File` key whose file was read */
  onSecretFile?: (ref: SecretFileRef) => void;
}

export function loadConfigFile(file: string, options: LoadOptions): GatewayConfig {
  let text: string;
  try {
    text = (options.readFile ?? ((p) => readFileSync(p, 'utf8')))(file);
  } catch (error) {
    throw new ConfigError(file, [{ path: '(file)', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }], 'GW_ERR_CONFIG_UNREADABLE');
  }
  return parseConfigText(text, file, options);
}

export function parseConfigText(text: string, file: string, options: LoadOptions): GatewayConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const lineOf = (path: ConfigPath): number | undefined => nodeLine(doc, lineCounter, path);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '(yaml)', line: e.linePos?.[0]?.line, message: redactTokens(e.message.split('\n')[0] ?? e.message) })),
    );
  }
  const problems: ConfigProblem[] = [];
  const report = (path: ConfigPath, message: string): void => {
    problems.push({ path: formatPath(path), line: lineOf(path), message });
  };
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (error) {
    // the yaml library refuses alias bombs ("Excessive alias count") here, after parsing
    throw new ConfigError(file, [{ path: '(yaml)', message: errorMessage(error) }]);
  }
  const isPlain = (path: ConfigPath): boolean => (doc.getIn(path, true) as { type?: string } | undefined)?.type === 'PLAIN';
  const used = new Map<string, string>();
  const substituted = substituteEnv(raw, { env: options.env ?? process.env, report, isPlain, used }, []);
  const secretIo: SecretIo = { readFile: options.readFile ?? ((p) => readFileSync(p, 'utf8')), report, onFile: options.onSecretFile };
  const withSecrets = readSecretFiles(substituted, [], secretIo);
  const schema = configSchemaFor(options.drivers);
  const parsed = schema.safeParse(withSecrets);
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(describeIssue(issue, lineOf));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(file, dedupe(problems).map((p) => ({ ...p, message: hideEnvValues(p.message, used) })));
  return parsed.data;
}

/**
 * A variable's value may be a secret, and it can land anywhere a message quotes a value (a
 * `${TOKEN}` mistyped into a file path, say): messages name the variable instead.
 */
function hideEnvValues(message: string, used: Map<string, string>): string {
  let out = message;
  for (const [value, name] of [...used].sort((a, b) => b[0].length - a[0].length)) out = out.split(value).join(`\${${name}}`);
  return out;
}

/** The yaml library quotes the offending token, which may be a password: keep short ones (":", "-"), hide the rest. */
function redactTokens(message: string): string {
  return message.replace(/"[^"\n]{4,}"/g, '"…"');
}

// zod compiles a schema on its first parse; building it once per driver list keeps `check`,
// reload and the hostile-config suite from paying that on every file
const schemaCache = new WeakMap<readonly AnyDriverDefinition[], ReturnType<typeof buildConfigSchema>>();

function configSchemaFor(drivers: readonly AnyDriverDefinition[]): ReturnType<typeof buildConfigSchema> {
  let schema = schemaCache.get(drivers);
  if (!schema) {
    schema = buildConfigSchema(drivers);
    schemaCache.set(drivers, schema);
  }
  return schema;
}

function describeIssue(issue: z.core.$ZodIssue, lineOf: (path: ConfigPath) => number | undefined): ConfigProblem {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && message.includes('received undefined')) message = `required (expected ${issue.expected})`;
  return { path: formatPath(path), line: lineOf(path), message };
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function nodeLine(doc: Document, counter: LineCounter, path: ConfigPath): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

const ENV_PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

const WHOLE_VARIABLE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/** An unquoted value that is one ${VAR} alone takes the YAML type it expands to, if number or boolean. */
function typedScalar(text: string): unknown {
  if (!/^(?:-?\d+(?:\.\d+)?|true|false)$/.test(text.trim())) return text;
  const parsed: unknown = parseYaml(text);
  return typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : text;
}

interface SubstituteContext {
  env: NodeJS.ProcessEnv;
  report: (path: ConfigPath, message: string) => void;
  /** whether the YAML scalar at path was written without quotes */
  isPlain: (path: ConfigPath) => boolean;
  /** substituted values (4 characters or more) → variable name, to keep them out of messages */
  used: Map<string, string>;
}

function substituteEnv(value: unknown, ctx: SubstituteContext, path: ConfigPath): unknown {
  const { env, report } = ctx;
  if (typeof value === 'string') {
    const substituted = value.replace(ENV_PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const found = env[name as string];
      if (found !== undefined && found !== '') {
        if (found.length >= 4) ctx.used.set(found, name as string);
        return found;
      }
      if (fallback !== undefined) return fallback;
      report(path, `environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
      return '';
    });
    return WHOLE_VARIABLE.test(value) && ctx.isPlain(path) ? typedScalar(substituted) : substituted;
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, ctx, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, ctx, [...path, k])]));
  }
  return value;
}

interface SecretIo {
  readFile: (path: string) => string;
  report: (path: ConfigPath, message: string) => void;
  onFile: ((ref: SecretFileRef) => void) | undefined;
}

function readSecretFiles(value: unknown, path: ConfigPath, io: SecretIo): unknown {
  const { readFile, report } = io;
  if (Array.isArray(value)) return value.map((item, i) => readSecretFiles(item, [...path, i], io));
  if (!value || typeof value !== 'object') return value;
  // fromEntries keeps a `__proto__` key an own key (so the schema reports it) instead of a prototype
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, readSecretFiles(inner, [...path, key], io)]));
  for (const fileKey of SECRET_FILE_KEYS) {
    if (!(fileKey in out)) continue;
    const target = fileKey.slice(0, -'File'.length);
    const filePath = out[fileKey];
    delete out[fileKey];
    if (typeof filePath !== 'string' || filePath === '') {
      report([...path, fileKey], 'expected a file path');
      continue;
    }
    if (target in out) {
      report([...path, fileKey], `give either ${target} or ${fileKey}, not both`);
      continue;
    }
    try {
      const content = readFile(filePath);
      out[target] = target === 'commKey' ? Number(content.trim()) : content.replace(/\r?\n$/, '');
      io.onFile?.({ path: formatPath([...path, fileKey]), key: fileKey, file: filePath });
    } catch (error) {
      report([...path, fileKey], `cannot read ${filePath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return out;
}
