// `npm run schema`: regenerate the JSON Schema files in config/ for the families this build ships,
// and config/asyncapi.yaml (the MQTT topics and payloads, src/publish/asyncApi.ts).
// A build step like package.ts, not part of the config code: it takes the family list
// (src/drivers.ts), which sits above src/config.
import { writeFileSync } from 'node:fs';
import { renderSchemaFiles } from '../config/jsonSchema.js';
import { BUILTIN_DRIVERS } from '../drivers.js';
import { ASYNCAPI_FILE, renderAsyncApi } from '../publish/asyncApi.js';

for (const [file, content] of Object.entries({ ...renderSchemaFiles(BUILTIN_DRIVERS), [ASYNCAPI_FILE]: renderAsyncApi() })) {
  writeFileSync(file, content);
  process.stdout.write(`wrote ${file}\n`);
}
