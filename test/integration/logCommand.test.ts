// `absensi-gateway log key|verify` in-process: the key printed (created where the daemon could read
// it), refused when unsafe; verify's report, JSON, exit codes 0/1/64, files of punches, of
// punch-batch/v1 bodies and of several notes, a file:line for an unreadable line.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerLogCommand } from '../../src/cli/log.js';
import { formatCheckpoint, logKeyName, logOrigin } from '../../src/log/checkpoint.js';
import { loadOrCreateLogKey, logKeyFile } from '../../src/log/logKey.js';
import { signNote } from '../../src/log/note.js';
import type { LogReport } from '../../src/log/verify.js';
import { MemoryPunchLog } from '../helpers/memoryPunchLog.js';
import { tempDir } from '../helpers/tmp.js';

interface Run {
  stdout: string;
  stderr: string;
  exitCode: number | string | undefined;
}

async function run(...args: string[]): Promise<Run> {
  const out = { stdout: '', stderr: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true));
  const program = new Command().exitOverride();
  registerLogCommand(program);
  try {
    await program.parseAsync(['node', 'absensi-gateway', 'log', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return { ...out, exitCode: process.exitCode };
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
  process.exitCode = undefined;
});
afterEach(() => {
  process.exitCode = undefined;
  tmp.cleanup();
});

function config(dataDir: string): string {
  const file = join(tmp.dir, 'config.yaml');
  writeFileSync(file, `gateway:\n  id: gw-log\n  site: LOG\n  dataDir: ${dataDir}\n`);
  return file;
}

describe('log key', () => {
  it('creates the key when the daemon has not run yet (as the owner of dataDir), then prints the same vkey', async () => {
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir);
    const first = await run('key', '--config', config(dataDir));
    expect(first.exitCode).toBeUndefined();
    expect(first.stdout).toMatch(/^absensi-gateway\/LOG\/gw-log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}\n$/);
    expect(first.stderr).toContain(`created ${logKeyFile(dataDir)}`);
    const second = await run('key', '--config', config(dataDir));
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toBe('');
    expect(first.stdout.trim()).toBe(loadOrCreateLogKey(logKeyFile(dataDir), logKeyName('LOG', 'gw-log')).vkey);
  });

  it('without dataDir says the daemon creates it (69); an unsafe key is refused (78)', async () => {
    const missing = await run('key', '--config', config(join(tmp.dir, 'nowhere')));
    expect(missing.exitCode).toBe(69);
    expect(missing.stderr).toMatch(/no key yet .* does not exist; the daemon creates it/);
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir);
    loadOrCreateLogKey(logKeyFile(dataDir), logKeyName('LOG', 'gw-log'));
    chmodSync(logKeyFile(dataDir), 0o644);
    const unsafe = await run('key', '--config', config(dataDir));
    expect(unsafe.exitCode).toBe(78);
    expect(unsafe.stderr).toMatch(/^GW_ERR_LOG_KEY_INSECURE: /);
    expect(unsafe.stdout).toBe('');
  });
});

describe('log verify', () => {
  const key = () => loadOrCreateLogKey(logKeyFile(tmp.dir), logKeyName('LOG', 'gw-log'));
  const punch = (seq: number) => ({ schema: 'punch/v1', id: `p${seq}`, gateway: 'gw-log', site: 'LOG', pin: String(seq), seq });

  function signed(count: number, sizes: number[]) {
    const k = key();
    const log = new MemoryPunchLog('feedfacefeedface');
    const punches = Array.from({ length: count }, (_, i) => punch(i + 1));
    for (const p of punches) log.append(p);
    const notes = sizes.map((size) => signNote(formatCheckpoint({ origin: logOrigin(k.name, log.epoch), size, root: log.root(size), time: new Date('2026-01-19T00:00:00Z') }), k.signer));
    return { vkey: k.vkey, punches, notes, log };
  }

  it('all verified: exit 0, a text report, and the same as JSON', async () => {
    const { vkey, punches, notes } = signed(7, [3, 7]);
    const punchFile = join(tmp.dir, 'punches.jsonl');
    writeFileSync(punchFile, `${punches.map((p) => JSON.stringify(p)).join('\n')}\n\n${JSON.stringify(punches[2])}\n`);
    const cpFile = join(tmp.dir, 'checkpoints.txt');
    writeFileSync(cpFile, notes.join('\n'));
    const text = await run('verify', '--key', vkey, '--punches', punchFile, '--checkpoint', cpFile);
    expect(text.exitCode).toBeUndefined();
    expect(text.stdout).toContain('epoch feedfacefeedface: 2 checkpoint(s), signed up to seq 7, verified up to seq 7');
    expect(text.stdout).toContain('OK: every punch');
    expect(text.stdout).toContain('1 re-delivered');
    const json = await run('verify', '--key', vkey, '--punches', punchFile, '--checkpoint', cpFile, '--json');
    const report = JSON.parse(json.stdout) as LogReport;
    expect(report.ok).toBe(true);
    expect(report.checkpoints.map((c) => c.source)).toEqual([`${cpFile}#1`, `${cpFile}#2`]);
  });

  it('punch-batch/v1 bodies carry their own checkpoints; --key may name a file', async () => {
    const { vkey, punches, notes } = signed(4, [2, 4]);
    const bodies = [
      { schema: 'punch-batch/v1', gateway: 'gw-log', site: 'LOG', punches: punches.slice(0, 2), checkpoint: notes[0] },
      { schema: 'punch-batch/v1', gateway: 'gw-log', site: 'LOG', punches: punches.slice(2), checkpoint: notes[1] },
    ];
    const batchFile = join(tmp.dir, 'batches.jsonl');
    writeFileSync(batchFile, bodies.map((b) => JSON.stringify(b)).join('\n'));
    const keyFile = join(tmp.dir, 'gw.vkey');
    writeFileSync(keyFile, `${vkey}\n`);
    const result = await run('verify', '--key', keyFile, '--punches', batchFile);
    expect(result.stdout).toContain('OK');
    expect(result.exitCode).toBeUndefined();
  });

  it('a problem: exit 1, the report says what and where; a line that is not JSON is named by file:line', async () => {
    const { vkey, punches, notes } = signed(5, [5]);
    const punchFile = join(tmp.dir, 'punches.jsonl');
    const lines = punches.map((p) => JSON.stringify(p.seq === 4 ? { ...p, pin: 'changed' } : p));
    lines.splice(1, 0, '{not json');
    writeFileSync(punchFile, lines.join('\n'));
    const cpFile = join(tmp.dir, 'cp.txt');
    writeFileSync(cpFile, notes[0] as string);
    const result = await run('verify', '--key', vkey, '--punches', punchFile, '--checkpoint', cpFile);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^GW_ERR_LOG_VERIFY_FAILED: \d+ problem\(s\)/);
    expect(result.stdout).toContain(`punch ${punchFile}:2: not JSON`);
    expect(result.stdout).toContain('altered: at least one of seq 1-5');
    expect(result.stdout).toContain('FAILED');
  });

  it('bad arguments: 64', async () => {
    const punchFile = join(tmp.dir, 'p.jsonl');
    writeFileSync(punchFile, '');
    const { vkey } = signed(1, [1]);
    for (const args of [
      ['verify', '--punches', punchFile],
      ['verify', '--key', 'not-a-key', '--punches', punchFile],
      ['verify', '--key', vkey],
      ['verify', '--key', vkey, '--punches', join(tmp.dir, 'missing.jsonl')],
      ['verify', '--key', vkey, '--punches', punchFile, '--checkpoint', tmp.dir],
    ]) {
      process.exitCode = undefined;
      const result = await run(...args);
      expect(result.exitCode, args.join(' ')).toBe(64);
      expect(result.stderr).toMatch(/^GW_ERR_LOG_VERIFY_USAGE: /);
    }
  });
});
