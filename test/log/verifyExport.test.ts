// `absensi-gateway/verify` is what a central system imports: package.json exports it (code and
// types), and src/log/verify.ts stands alone — bundled, it holds only src/log's pure modules and
// needs nothing but node:crypto — and the bundle, imported on its own, verifies a signed log.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import { formatCheckpoint, logKeyName, logOrigin } from '../../src/log/checkpoint.js';
import { ed25519PrivateKeyFromSeed, ed25519Signer, signNote } from '../../src/log/note.js';
import type * as VerifyModule from '../../src/log/verify.js';
import { MemoryPunchLog } from '../helpers/memoryPunchLog.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('package.json exports ./verify as the compiled src/log/verify.ts, with its types', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { types: string; default: string }> };
  expect(pkg.exports['./verify']).toEqual({ types: './dist/src/log/verify.d.ts', default: './dist/src/log/verify.js' });
  expect(existsSync('src/log/verify.ts')).toBe(true);
  const tsconfig = JSON.parse(readFileSync('tsconfig.verify.json', 'utf8')) as { files: string[] };
  expect(tsconfig.files).toEqual(['src/log/verify.ts']);
});

it('bundles from src/log alone, with node:crypto its only import, and verifies a log imported on its own', async () => {
  const out = join(tmp.dir, 'verify.mjs');
  const result = await build({ entryPoints: ['src/log/verify.ts'], bundle: true, platform: 'node', format: 'esm', outfile: out, metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((file) => !file.startsWith('src/log/'))).toEqual([]);
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  expect([...new Set(imports)]).toEqual(['node:crypto']);

  const signer = ed25519Signer(logKeyName('BKPP', 'gw-1'), ed25519PrivateKeyFromSeed(Buffer.alloc(32, 3)));
  const log = new MemoryPunchLog('0000000000000abc');
  const punches = [1, 2, 3].map((seq) => ({ schema: 'punch/v1', id: `p${seq}`, gateway: 'gw-1', site: 'BKPP', pin: '1', seq }));
  for (const p of punches) log.append(p);
  const note = signNote(formatCheckpoint({ origin: logOrigin(signer.name, log.epoch), size: 3, root: log.root(3), time: new Date() }), signer);
  writeFileSync(join(tmp.dir, 'package.json'), '{"type":"module"}');
  const bundled = (await import(pathToFileURL(out).href)) as typeof VerifyModule;
  const report = bundled.verifyLog({ key: signer.verifier.vkey, punches, checkpoints: [note] });
  expect(report.ok).toBe(true);
  expect(bundled.verifyLog({ key: signer.verifier.vkey, punches: punches.slice(1), checkpoints: [note] }).ok).toBe(false);
});
