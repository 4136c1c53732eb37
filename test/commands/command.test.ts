// command/v1 signing and verification (src/commands/command.ts): real Ed25519 keys, every refusal
// reason in the order the module checks them, hostile input, the replay guard on a real SQLite
// buffer file, the runner's answer rules over an in-memory channel, and the config keys.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/buffer/database.js';
import { COMMAND_SIGNING_CONTEXT, signCommand, signingBytes, verifyCommand, type SignedCommand, type VerifyRules } from '../../src/commands/command.js';
import { CommandRunner } from '../../src/commands/commandRunner.js';
import { ReplayGuard } from '../../src/commands/replayGuard.js';
import { parseConfigText } from '../../src/config/load.js';
import { silentLogger } from '../../src/util/logger.js';
import { createMetrics } from '../../src/util/metrics.js';
import { canonicalJson } from '../../src/log/jcs.js';
import { ed25519Signer, signNote } from '../../src/log/note.js';
import { tempDir } from '../helpers/tmp.js';

const centre = ed25519Signer('absensi-central/pusat', generateKeyPairSync('ed25519').privateKey);
const stranger = ed25519Signer('absensi-central/pusat', generateKeyPairSync('ed25519').privateKey);
const NOW = Date.parse('2026-01-19T08:00:00Z');
const rules: VerifyRules = { trusted: [centre.verifier], gatewayId: 'gw-1', nowMs: NOW, maxSkewMs: 120_000, maxLifetimeMs: 3_600_000 };

const signed = (over: Partial<Parameters<typeof signCommand>[0]> = {}, signer = centre): SignedCommand => signCommand({ gateway: 'gw-1', action: 'info', args: {}, nowMs: NOW, lifetimeMs: 60_000, ...over }, signer);
const bytes = (message: unknown): Buffer => Buffer.from(JSON.stringify(message));
/** re-signs an altered command with the centre's key: what a centre bug, not a forger, would send */
const resigned = (command: Record<string, unknown>): unknown => ({ command, signature: { keyId: signed().signature.keyId, ed25519: centre.sign(signingBytes(command)).toString('base64') } });

describe('verifyCommand', () => {
  it('accepts a command signed by a trusted key, for this gateway, in time', () => {
    const message = signed({ action: 'backfill', args: { device: 'lobby-1', since: '2026-01-01' } });
    const verdict = verifyCommand(bytes(message), rules);
    expect(verdict).toMatchObject({ ok: true, key: 'absensi-central/pusat', command: { action: 'backfill', args: { device: 'lobby-1', since: '2026-01-01' }, gateway: 'gw-1' } });
    expect(verdict.ok && verdict.expiresAtMs).toBe(NOW + 60_000);
  });

  it('signs the domain tag and the JCS form of the whole command: member order on the wire does not matter', () => {
    const message = signed();
    expect(signingBytes(message.command).toString()).toBe(COMMAND_SIGNING_CONTEXT + canonicalJson(message.command));
    const reordered = `{"signature":${JSON.stringify(message.signature)},"command":${JSON.stringify(Object.fromEntries(Object.entries(message.command).reverse()))}}`;
    expect(verifyCommand(Buffer.from(reordered), rules).ok).toBe(true);
  });

  it.each([
    ['not JSON', Buffer.from('{"command":'), 'malformed'],
    ['no envelope', bytes({ schema: 'command/v1' }), 'malformed'],
    ['no signature', bytes({ command: signed().command }), 'unsigned'],
    ['signed by a key not trusted', bytes(signed({}, stranger)), 'untrusted-key'],
  ] as const)('refuses %s', (_name, payload, reason) => {
    expect(verifyCommand(payload, rules)).toMatchObject({ ok: false, reason });
  });

  it('refuses a forged signature under a trusted key id, and any field altered after signing', () => {
    const forged = signed({}, stranger);
    forged.signature.keyId = signed().signature.keyId;
    expect(verifyCommand(bytes(forged), rules)).toMatchObject({ ok: false, reason: 'bad-signature' });
    for (const change of [{ gateway: 'gw-2' }, { action: 'sync-clock' }, { expiresAt: '2026-01-19T09:00:00Z' }, { args: { device: 'x' } }]) {
      const altered = signed();
      Object.assign(altered.command, change);
      expect(verifyCommand(bytes(altered), rules), JSON.stringify(change)).toMatchObject({ ok: false, reason: 'bad-signature' });
    }
    // nothing a refused message says is echoed as if it were a command of ours
    expect(verifyCommand(bytes(forged), rules)).not.toHaveProperty('id');
  });

  it('never takes a signed note (a checkpoint) of the same key for a command', () => {
    const command = signed().command;
    const note = signNote(`${canonicalJson(command)}\n`, centre);
    const signature = note.split('\n').at(-2)?.split(' ').at(-1) ?? '';
    const sig = Buffer.from(signature, 'base64').subarray(4).toString('base64');
    expect(verifyCommand(bytes({ command, signature: { keyId: signed().signature.keyId, ed25519: sig } }), rules)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['for another gateway', { gateway: 'gw-2' }, 'wrong-target'],
    ['expired', { nowMs: NOW - 120_000, lifetimeMs: 60_000 }, 'expired'],
    ['issued ahead of the clock beyond the skew', { nowMs: NOW + 180_000 }, 'issued-in-future'],
    ['living longer than maxLifetime', { lifetimeMs: 2 * 3_600_000 }, 'issued-in-future'],
  ] as const)('refuses a correctly signed command %s', (_name, over, reason) => {
    const message = signed(over);
    expect(verifyCommand(bytes(message), rules)).toMatchObject({ ok: false, reason, id: message.command.id });
  });

  it('accepts a command issued ahead of the clock within the skew', () => {
    expect(verifyCommand(bytes(signed({ nowMs: NOW + 60_000 })), rules).ok).toBe(true);
  });

  it.each([
    ['an unknown command', { action: 'reboot' }],
    ['sync-clock without a device', { action: 'sync-clock', args: {} }],
    ['an unknown argument', { args: { everything: true } }],
    ['an id that is not 128 bits of hex', { id: 'abc' }],
    ['a time with an offset', { issuedAt: '2026-01-19T15:00:00+07:00' }],
  ] as const)('refuses %s even when signed', (_name, change) => {
    const command = { ...signed().command, ...change } as Record<string, unknown>;
    expect(verifyCommand(bytes(resigned(command)), rules)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('ReplayGuard', () => {
  it('admits an id once, keeps it across a reopen of the buffer file, and forgets it only once expired', () => {
    const tmp = tempDir();
    const file = join(tmp.dir, 'buffer.db');
    try {
      let db = openDatabase(file);
      expect(new ReplayGuard(db).admit('a'.repeat(32), NOW + 60_000, NOW)).toBe(true);
      expect(new ReplayGuard(db).admit('a'.repeat(32), NOW + 60_000, NOW)).toBe(false);
      db.close();
      db = openDatabase(file);
      const guard = new ReplayGuard(db);
      expect(guard.admit('a'.repeat(32), NOW + 60_000, NOW + 30_000)).toBe(false);
      expect(guard.admit('b'.repeat(32), NOW + 60_000, NOW + 30_000)).toBe(true);
      // expired rows go (such a command is refused as expired before the guard is asked)
      expect(guard.admit('c'.repeat(32), NOW + 200_000, NOW + 100_000)).toBe(true);
      expect((db.prepare('SELECT id FROM seen_commands ORDER BY id').all() as { id: string }[]).map((r) => r.id[0])).toEqual(['c']);
      db.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('verifyCommand on hostile input', () => {
  it('never throws on 5,000 random or mangled messages, and accepts none of them', () => {
    const good = JSON.stringify(signed());
    let state = 0x2545f491;
    const random = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    for (let i = 0; i < 5000; i++) {
      let payload: Buffer;
      if (i % 2 === 0) payload = Buffer.from(Array.from({ length: random(300) }, () => random(256)));
      else {
        const chars = good.split('');
        for (let k = 0; k < 1 + random(4); k++) chars[random(chars.length)] = String.fromCharCode(32 + random(95));
        payload = Buffer.from(chars.join(''));
      }
      const verdict = verifyCommand(payload, rules);
      if (verdict.ok) expect(payload.toString()).toBe(good); // a mutation that changed nothing
    }
  });
});

describe('CommandRunner', () => {
  it('answers refusals at most 60 a minute and counts every one; runs nothing whose id it cannot record', async () => {
    const tmp = tempDir();
    const db = openDatabase(join(tmp.dir, 'buffer.db'));
    const answers: string[] = [];
    let nowMs = NOW;
    const metrics = createMetrics();
    let ran = 0;
    const runner = new CommandRunner({
      gatewayId: 'gw-1', trusted: [centre.verifier], maxSkewMs: 120_000, maxLifetimeMs: 3_600_000,
      channel: { topics: { command: 'a/S/gateway/gw-1/cmd', commandReplies: 'a/S/gateway/gw-1/cmd/reply/' }, listen: () => undefined, respond: async (topic) => (answers.push(topic), true) },
      guard: new ReplayGuard(db), actions: { run: async () => ((ran += 1), 'ran') }, metrics, log: silentLogger(), now: () => nowMs,
    });
    try {
      const junk = { topic: 'a/S/gateway/gw-1/cmd', payload: Buffer.from('junk'), responseTopic: 'a/S/gateway/gw-1/cmd/reply/x1' };
      for (let i = 0; i < 61; i++) await runner.handle(junk);
      expect(answers).toHaveLength(60);
      expect((await metrics.commandsRefused.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'malformed' }, value: 61 })]);
      // a command is always answered
      await runner.handle({ ...junk, payload: Buffer.from(JSON.stringify(signed())) });
      expect(answers).toHaveLength(61);
      nowMs += 60_000;
      await runner.handle(junk);
      expect(answers).toHaveLength(62);
      // never outside the reply topics, nor one level deeper
      await runner.handle({ ...junk, responseTopic: 'a/S/dev-a/punch' });
      await runner.handle({ ...junk, responseTopic: 'a/S/gateway/gw-1/cmd/reply/x/y' });
      await runner.handle({ ...junk, responseTopic: 'a/S/gateway/gw-1/cmd/reply/#' });
      expect(answers).toHaveLength(62);
      expect(runner.recent()).toHaveLength(20);
      // an id that cannot be recorded: the command is answered, never run
      db.close();
      await runner.handle({ ...junk, payload: Buffer.from(JSON.stringify(signed({ nowMs }))) });
      expect(answers).toHaveLength(63);
      expect(runner.recent()[0]).toMatchObject({ ok: false, code: 'GW_ERR_BUFFER_UNAVAILABLE', answered: true });
      expect(ran).toBe(1);
    } finally {
      await runner.stop();
      db.close();
      tmp.cleanup();
    }
  });
});

describe('commands config', () => {
  const base = 'gateway: {id: gw-1, site: S}\n';
  it('needs a trusted key when enabled, and takes only verifier keys', () => {
    expect(() => parseConfigText(`${base}commands: {enabled: true}\n`, 'c.yaml', { drivers: [] })).toThrow(/commands\.trustedKeys.*needs at least one key/s);
    expect(() => parseConfigText(`${base}commands: {enabled: true, trustedKeys: ["not-a-key"]}\n`, 'c.yaml', { drivers: [] })).toThrow(/commands\.trustedKeys\[0\].*expected a verifier key/s);
    const config = parseConfigText(`${base}commands: {enabled: true, trustedKeys: ["${centre.verifier.vkey}"], maxSkew: 30s}\n`, 'c.yaml', { drivers: [] });
    expect(config.commands).toEqual({ enabled: true, trustedKeys: [centre.verifier.vkey], maxSkew: 30_000, maxLifetime: 3_600_000 });
    expect(parseConfigText(base, 'c.yaml', { drivers: [] }).commands.enabled).toBe(false);
  });
});
