// Reading a config file: YAML → ${ENV} substitution → *File secrets → zod. The gateway's config
// and central.yaml go through the same pipeline (parseYamlConfig), each with its own schema.
// Invariants:
// - Every problem found is reported, not just the first (a YAML syntax error aside, below), each
//   with its YAML path and line and what was expected, in the order of the file.
// - ${ENV} is substituted inside string values after YAML parsing, so a variable's content can
//   never change the YAML structure. `${NAME:-fallback}` gives a default; `$${` is a literal `${`.
// - A `*File` key (passwordFile, tokenFile, caFile, certFile, keyFile, commKeyFile) is read and
//   put under the key without the suffix; giving both is an error. Secret values never appear in
//   error messages. Each file read is reported to `onSecretFile` (its mode is secretFiles.ts's concern).
// - Each problem carries its code: GW_ERR_CONFIG_UNREADABLE for a file that cannot be read (the
//   config, a `*File` secret), said in words (does not exist, permission denied), not as an errno;
//   GW_ERR_CONFIG_INVALID for the rest. The error's code is _UNREADABLE only when every problem is.
// - An unknown key is reported at its own line, with the closest key that path accepts.
// - A YAML syntax error is reported once, at its first error: what the parser says after it
//   (one bad indentation gives an error for every line below) mostly follows from it.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parse as parseYaml, parseDocument, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import type { AnyDriverDefinition } from '../devices/definition.js';
import { GatewayError, errorMessage } from '../util/errors.js';
import { buildConfigSchema, knownKeysAt, type GatewayConfig } from './schema.js';
import type { SecretFileRef } from './secretFiles.js';
import { closestName } from './suggest.js';

export const DEFAULT_CONFIG_PATH = '/etc/absensi-gateway/config.yaml';

export const SECRET_FILE_KEYS = ['passwordFile', 'tokenFile', 'caFile', 'certFile', 'keyFile', 'commKeyFile'] as const;

export type ConfigPath = (string | number)[];

export type ConfigProblemCode = 'GW_ERR_CONFIG_INVALID' | 'GW_ERR_CONFIG_UNREADABLE';

export interface ConfigProblem {
  /** dotted YAML path, e.g. devices[0].port */
  path: string;
  line?: number;
  /** 1-based, where the key (or the YAML error) starts */
  column?: number;
  message: string;
  /** GW_ERR_CONFIG_INVALID when absent */
  code?: ConfigProblemCode;
}

export class ConfigError extends GatewayError {
  readonly problems: (ConfigProblem & { code: ConfigProblemCode })[];
  constructor(file: string, problems: ConfigProblem[]) {
    const coded = problems.map((p) => ({ ...p, code: p.code ?? ('GW_ERR_CONFIG_INVALID' as const) }));
    const code = coded.length > 0 && coded.every((p) => p.code === 'GW_ERR_CONFIG_UNREADABLE') ? 'GW_ERR_CONFIG_UNREADABLE' : 'GW_ERR_CONFIG_INVALID';
    super(code, `${file}: ${coded.length} problem(s)\n${coded.map(formatProblem).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = coded;
  }
}

/** `  GW_ERR_CONFIG_INVALID devices[0].port (line 9): …`: the code first, for grep. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line ? `${problem.path} (line ${problem.line})` : problem.path;
  return `  ${problem.code ?? 'GW_ERR_CONFIG_INVALID'} ${where}: ${problem.message}`;
}

/** What an I/O error means for a file the config needs, in words rather than an errno. */
export function unreadableReason(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${file} does not exist`;
  if (code === 'ENOTDIR') return `${file} does not exist (a part of its path is not a directory)`;
  if (code === 'EACCES' || code === 'EPERM') return `${file} cannot be read: permission denied for this user`;
  if (code === 'EISDIR') return `${file} is a directory, not a file`;
  return `${file} cannot be read (${code ?? errorMessage(error)})`;
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
  return parseConfigText(readConfigFile(file, options.readFile), file, options);
}

export function parseConfigText(text: string, file: string, options: LoadOptions): GatewayConfig {
  return parseYamlConfig(text, file, { ...options, schema: configSchemaFor(options.drivers), knownKeys: (input, path) => knownKeysAt(options.drivers, input, path) });
}

/** The config file's text; GW_ERR_CONFIG_UNREADABLE, said in words, when it cannot be read. */
export function readConfigFile(file: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  try {
    return readFile(file);
  } catch (error) {
    throw new ConfigError(file, [{ path: '(file)', message: unreadableReason(file, error), code: 'GW_ERR_CONFIG_UNREADABLE' }]);
  }
}

export interface YamlConfigOptions<Schema extends z.ZodType> {
  schema: Schema;
  /** the keys a path accepts, for "did you mean"; none: unknown keys are named without a guess */
  knownKeys?: (input: unknown, path: ConfigPath) => string[];
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
  onSecretFile?: (ref: SecretFileRef) => void;
}

/** Any config file of this project (the gateway's, central.yaml) through the pipeline above, into `schema`. */
export function parseYamlConfig<Schema extends z.ZodType>(text: string, file: string, options: YamlConfigOptions<Schema>): z.output<Schema> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const locate = (path: ConfigPath): Position => nodePosition(doc, lineCounter, path);
  if (doc.errors.length > 0) throw new ConfigError(file, [firstYamlProblem(doc.errors, lineCounter)]);
  const problems: ConfigProblem[] = [];
  const report = (path: ConfigPath, message: string, code?: ConfigProblemCode): void => {
    problems.push({ path: formatPath(path), ...locate(path), message, ...(code ? { code } : {}) });
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
  const parsed = options.schema.safeParse(withSecrets);
  const knownKeys = options.knownKeys ?? (() => []);
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(...describeIssue(issue, locate, (path) => knownKeys(withSecrets, path)));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(file, inFileOrder(dedupe(problems)).map((p) => ({ ...p, message: hideEnvValues(p.message, used) })));
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

function describeIssue(issue: z.core.$ZodIssue, locate: (path: ConfigPath) => Position, knownKeys: (path: ConfigPath) => string[]): ConfigProblem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    // one problem per key, at the key's own line, with the key it most likely stands for
    const known = knownKeys(path);
    const candidates = [...known, ...SECRET_FILE_KEYS.filter((fileKey) => known.includes(fileKey.slice(0, -'File'.length)))];
    return issue.keys.map((key) => {
      const guess = closestName(key, candidates);
      const hint = guess ? `; did you mean "${guess}"?` : known.length > 0 ? `; ${formatPath(path)} takes: ${candidates.join(', ')}` : '';
      return { path: formatPath([...path, key]), ...locate([...path, key]), message: `unknown key "${key}"${hint}` };
    });
  }
  let message = issue.message;
  if (issue.code === 'invalid_type' && message.includes('received undefined')) message = `required (expected ${issue.expected})`;
  return [{ path: formatPath(path), ...locate(path), message }];
}

/** Top to bottom, as the reader goes through the file; problems without a line last. */
function inFileOrder(problems: ConfigProblem[]): ConfigProblem[] {
  const rank = (p: ConfigProblem): number => p.line ?? Number.POSITIVE_INFINITY;
  return [...problems].sort((a, b) => rank(a) - rank(b) || (a.column ?? 0) - (b.column ?? 0));
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

interface Position {
  line?: number;
  column?: number;
}

/**
 * Where a path is written: the key itself when it is there (`pollIntervl:`, not the entry holding
 * it), else the nearest enclosing node that exists (a missing key: the object that lacks it).
 */
function nodePosition(doc: Document, counter: LineCounter, path: ConfigPath): Position {
  const at = (offset: number): Position => {
    const { line, col } = counter.linePos(offset);
    return { line, column: col };
  };
  const last = path.at(-1);
  const parent = path.length === 0 ? undefined : path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (typeof last === 'string' && isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === last);
    if (pair && isScalar(pair.key) && pair.key.range) return at(pair.key.range[0]);
  }
  if (typeof last === 'number' && isSeq(parent)) {
    const item = parent.items[last] as { range?: [number, number, number] } | undefined;
    if (item?.range) return at(item.range[0]);
  }
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return at(node.range[0]);
  }
  return {};
}

const INDENTATION_ERRORS = new Set(['BAD_INDENT', 'MISSING_CHAR', 'BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY']);

/**
 * The one YAML error worth reading. After one badly indented line the parser reports every line
 * below it again (`Nested mappings are not allowed…`, `Implicit keys need to be on a single line`
 * twice a line: 11 errors for one space too many); only the first says where the file went wrong.
 * A value that runs on into the next line means that next line is indented too deep: it is named.
 */
function firstYamlProblem(errors: readonly YAMLError[], counter: LineCounter): ConfigProblem {
  const first = errors[0] as YAMLError;
  const start = counter.linePos(first.pos[0]);
  let line = start.line;
  let column = start.col;
  let message = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '');
  if (first.code === 'BLOCK_AS_IMPLICIT_KEY' || first.code === 'MULTILINE_IMPLICIT_KEY') {
    const runOn = errors.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY' && e.pos[0] === first.pos[0]);
    const end = runOn ? counter.linePos(runOn.pos[1]) : undefined;
    if (end && end.line > line) {
      message = `indented deeper than the line above it, so YAML reads it as part of the value on line ${line}: start it at the same column as the other keys beside it`;
      line = end.line;
      column = 1;
    }
  } else if (INDENTATION_ERRORS.has(first.code)) {
    message += ': indent this line like the keys beside it (the same column, spaces only)';
  }
  const more = errors.length - 1;
  if (more > 0) message += ` (${more} later YAML error(s) not shown: they mostly follow from this one; fix it and run check again)`;
  return { path: '(yaml)', line, column, message: redactTokens(message) };
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
  report: (path: ConfigPath, message: string, code?: ConfigProblemCode) => void;
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
      report([...path, fileKey], `cannot read the ${target} from this file: ${unreadableReason(filePath, error)}`, 'GW_ERR_CONFIG_UNREADABLE');
    }
  }
  return out;
}
