// `npm run package [outDir]`: builds a Debian package (.deb) of the gateway with dpkg-deb, from the
// repo, into dist/ by default.
// Invariants:
// - The package holds dist (compiled fresh from this tree), the production dependencies copied
//   from this repo's node_modules (the lockfile's non-dev entries; better-sqlite3's compiled
//   addon is reused, never rebuilt, with its sources and object files left out), the unit,
//   sysusers and tmpfiles snippets, a /usr/bin wrapper, and a default config as a conffile
//   (dpkg keeps an operator's edits across upgrades).
// - The native addon ties the package to this Node major and CPU: Depends pins nodejs to the
//   building Node's major, Architecture is the build host's.
// - postinst creates the user (sysusers) and directories (tmpfiles, or install -d in a chroot
//   without /proc), enables the unit even where systemd does not run (an image build), and starts
//   it only where systemd runs and `absensi-gateway check` passes; an upgrade restarts it (buffer
//   migrations run on start). prerm stops it (packageFiles.ts). Nothing ever deletes
//   /var/lib/absensi-gateway (the punch buffer).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, POSTINST, PRERM, POSTRM, WRAPPER } from './packageFiles.js';

export const APP_DIR = 'usr/lib/absensi-gateway';
/** Read by systemd on Debian 12 and 13 alike; /lib/systemd/system makes Debian 13's purge warn. */
export const UNIT_DIR = 'usr/lib/systemd/system';

export interface PackageOptions {
  /** repository root (package.json, node_modules, systemd/) */
  repoDir: string;
  /** where the .deb is written */
  outDir: string;
  /** the package version; package.json's by default (the system test builds a "newer" one) */
  version?: string;
}

export interface PackageResult {
  file: string;
  version: string;
  architecture: string;
}

export async function buildDeb(options: PackageOptions): Promise<PackageResult> {
  const repo = resolve(options.repoDir);
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string; description: string; license: string; dependencies: Record<string, string> };
  const version = options.version ?? pkg.version;
  const architecture = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const stage = mkdtempSync(join(tmpdir(), 'absensi-deb-'));
  try {
    const root = join(stage, 'root');
    const app = join(root, APP_DIR);
    mkdirSync(app, { recursive: true });
    await compileDist(repo, join(app, 'dist'));
    chmodSync(join(app, 'dist/src/main.js'), 0o755); // the wrapper runs it through its shebang
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', license: pkg.license, dependencies: pkg.dependencies }, null, 2)}\n`);
    copyProductionModules(repo, app);
    placeSystemFiles(repo, root);
    writeControl(root, { name: pkg.name, version, description: pkg.description, architecture });
    mkdirSync(options.outDir, { recursive: true });
    const file = join(resolve(options.outDir), `${pkg.name}_${version}_${architecture}.deb`);
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', root, file], { stdio: 'pipe' });
    return { file, version, architecture };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * src/ and drivers/ to dist/ file by file, as `tsc -p tsconfig.build.json` lays them out, but with
 * esbuild (a second, not tens of seconds): type checking is the test suite's job, not the packager's.
 */
async function compileDist(repo: string, outDir: string): Promise<void> {
  const { build } = await import('esbuild');
  const entryPoints = ['src', 'drivers'].flatMap((top) =>
    readdirSync(join(repo, top), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'))
      .map((file) => join(repo, top, file)),
  );
  await build({ entryPoints, outdir: outDir, outbase: repo, format: 'esm', platform: 'node', target: 'node20', bundle: false, logLevel: 'warning' });
}

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
}

/** Copies every non-dev package the lockfile lists, each without its nested node_modules (copied as their own entries). */
function copyProductionModules(repo: string, app: string): void {
  const hidden = join(repo, 'node_modules/.package-lock.json');
  const lock = JSON.parse(readFileSync(existsSync(hidden) ? hidden : join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || entry.dev) continue;
    const from = join(repo, path);
    if (!existsSync(from)) continue; // an optional package for another platform
    cpSync(from, join(app, path), { recursive: true, filter: (source) => keep(from, source) });
  }
}

/** Leaves out nested node_modules, and better-sqlite3's C sources and object files (only the built addon runs). */
function keep(packageDir: string, source: string): boolean {
  const rel = source.slice(packageDir.length);
  if (rel === '/node_modules' || rel === '/.bin') return false;
  if (!packageDir.endsWith('/better-sqlite3')) return true;
  return !['/deps', '/src', '/build/Release/obj', '/build/Release/obj.target', '/build/Release/test_extension.node', '/build/Release/sqlite3.a', '/build/deps'].includes(rel);
}

function placeSystemFiles(repo: string, root: string): void {
  const put = (path: string, content: string | Buffer, mode = 0o644): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    chmodSync(join(root, path), mode);
  };
  const read = (path: string): Buffer => readFileSync(join(repo, path));
  put('usr/bin/absensi-gateway', WRAPPER, 0o755);
  put(`${UNIT_DIR}/absensi-gateway.service`, read('systemd/absensi-gateway.service'));
  put('usr/lib/sysusers.d/absensi-gateway.conf', read('systemd/absensi-gateway.sysusers.conf'));
  put('usr/lib/tmpfiles.d/absensi-gateway.conf', read('systemd/absensi-gateway.tmpfiles.conf'));
  put('etc/absensi-gateway/config.yaml', DEFAULT_CONFIG, 0o640);
  put('usr/share/doc/absensi-gateway/README.md', read('README.md'));
  put('usr/share/doc/absensi-gateway/example.yaml', read('config/example.yaml'));
  put('usr/share/doc/absensi-gateway/config.schema.json', read('config/config.schema.json'));
}

function writeControl(root: string, meta: { name: string; version: string; description: string; architecture: string }): void {
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  const control = [
    `Package: ${meta.name}`,
    `Version: ${meta.version}`,
    `Architecture: ${meta.architecture}`,
    'Maintainer: absensi-gateway maintainers <absensi-gateway@localhost>',
    'Section: misc',
    'Priority: optional',
    `Depends: nodejs (>= ${nodeMajor}), nodejs (<< ${nodeMajor + 1}), systemd, init-system-helpers`,
    `Description: ${meta.description}`,
    ' Reads attendance terminals, commits every punch to a local SQLite buffer and',
    ' delivers it over MQTT and/or HTTPS. Runs as the absensi-gateway systemd service.',
    '',
  ].join('\n');
  const debian = join(root, 'DEBIAN');
  mkdirSync(debian);
  writeFileSync(join(debian, 'control'), control);
  writeFileSync(join(debian, 'conffiles'), '/etc/absensi-gateway/config.yaml\n');
  for (const [name, script] of [['postinst', POSTINST], ['prerm', PRERM], ['postrm', POSTRM]] as const) {
    writeFileSync(join(debian, name), script);
    chmodSync(join(debian, name), 0o755);
  }
}

function invokedDirectly(): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
}

if (invokedDirectly()) {
  const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const result = await buildDeb({ repoDir, outDir: process.argv[2] ?? join(repoDir, 'dist') });
  process.stdout.write(`${result.file}\n`);
}
