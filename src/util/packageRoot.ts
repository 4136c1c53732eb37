// Where the absensi-gateway package is installed (works from src/ under tsx and from dist/src/),
// for files it ships beside the code: package.json, config/demo.yaml.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'absensi-gateway') return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the absensi-gateway package.json');
}

export const PACKAGE_ROOT = findPackageRoot();
