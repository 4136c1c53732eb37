// JSON Schemas generated from the zod schemas: config/config.schema.json (what editors use to
// check a config.yaml), config/punch-v1.schema.json and config/watermark-v1.schema.json (what
// central consumers validate against).
// Never hand-edit the generated files: run `npm run schema`. A test fails when they are stale.
import { z } from 'zod';
import type { AnyDriverDefinition } from '../devices/definition.js';
import { punchSchema } from '../punch/punch.js';
import { watermarkSchema } from '../punch/watermark.js';
import { SECRET_FILE_KEYS } from './load.js';
import { buildDocumentationSchema } from './schema.js';

export const SCHEMA_FILES = {
  config: 'config/config.schema.json',
  punch: 'config/punch-v1.schema.json',
  watermark: 'config/watermark-v1.schema.json',
} as const;

type JsonObject = Record<string, unknown>;

/** The loader turns `<key>File` into `<key>` before validation; the JSON Schema must accept both. */
function addSecretFileKeys(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(addSecretFileKeys);
  if (!node || typeof node !== 'object') return;
  const object = node as JsonObject;
  const properties = object.properties as JsonObject | undefined;
  if (properties && typeof properties === 'object') {
    for (const fileKey of SECRET_FILE_KEYS) {
      const key = fileKey.slice(0, -'File'.length);
      if (key in properties && !(fileKey in properties)) {
        properties[fileKey] = { type: 'string', description: `path of a file holding ${key} (read at start; give ${key} or ${fileKey}, not both)` };
      }
    }
  }
  for (const value of Object.values(object)) addSecretFileKeys(value);
}

export function configJsonSchema(drivers: readonly AnyDriverDefinition[]): Record<string, unknown> {
  const schema = z.toJSONSchema(buildDocumentationSchema(drivers), { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonObject;
  addSecretFileKeys(schema);
  return {
    ...schema,
    $id: 'https://absensi-gateway.local/schema/config.schema.json',
    title: 'absensi-gateway configuration',
  };
}

export function punchJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(punchSchema, { io: 'output', target: 'draft-2020-12' }),
    $id: 'https://absensi-gateway.local/schema/punch-v1.schema.json',
    title: 'punch/v1',
  };
}

export function watermarkJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(watermarkSchema, { io: 'output', target: 'draft-2020-12' }),
    $id: 'https://absensi-gateway.local/schema/watermark-v1.schema.json',
    title: 'watermark/v1',
  };
}

/** The files' contents; `drivers` are the families whose entries config.schema.json describes (the build's: src/drivers.ts). */
export function renderSchemaFiles(drivers: readonly AnyDriverDefinition[]): Record<string, string> {
  return {
    [SCHEMA_FILES.config]: `${JSON.stringify(configJsonSchema(drivers), null, 2)}\n`,
    [SCHEMA_FILES.punch]: `${JSON.stringify(punchJsonSchema(), null, 2)}\n`,
    [SCHEMA_FILES.watermark]: `${JSON.stringify(watermarkJsonSchema(), null, 2)}\n`,
  };
}
