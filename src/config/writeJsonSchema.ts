// `npm run schema`: regenerate the JSON Schema files in config/.
import { writeFileSync } from 'node:fs';
import { renderSchemaFiles } from './jsonSchema.js';

for (const [file, content] of Object.entries(renderSchemaFiles())) {
  writeFileSync(file, content);
  process.stdout.write(`wrote ${file}\n`);
}
