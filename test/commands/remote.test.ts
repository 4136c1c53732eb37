// Signed remote commands end to end against real parts: a real Gateway (test-feed devices, its
// SQLite buffer file) on a private Mosquitto (MQTT 5: response topics and correlation data; Aedes
// speaks 3.1.1 only), the centre's own client and CLI (`central command`, `central command-key`)
// with a key file made by the centre's code. Forged, expired, replayed, wrong-target, unsigned and
// malformed commands come from a raw MQTT 5 client, as an attacker on the broker would send them.
// Without /usr/sbin/mosquitto the suite is skipped, saying so.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { Command } from 'commander';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sendCommand } from '../../src/central/commandClient.js';
import { loadOrCreateCommandKey } from '../../src/central/commandKey.js';
import { migrateCentral } from '../../src/central/migrations.js';
import { openPostgres } from '../../src/central/store.js';
import { registerCentralCommand } from '../../src/cli/central.js';
import { commandResultSchema, signCommand, type CommandResult, type SignedCommand } from '../../src/commands/command.js';
import { ed25519Signer } from '../../src/log/note.js';
import { feeds } from '../helpers/feedDriver.js';
import { mosquittoInstalled, startAedes, startMosquitto, until, type TestBroker } from '../helpers/broker.js';
import { resetHostClockStatus } from '../../src/clock/hostClock.js';
import { parseConfigText } from '../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../src/drivers.js';
import { Gateway } from '../../src/gateway.js';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDir } from '../helpers/tmp.js';
import { startTestGateway, TEST_TOKEN } from '../e2e/fixture.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.js';


const tmp = tempDir();
const SITE = `S${randomUUID().slice(0, 6)}`;
const GATEWAY = 'gw-api';
const CMD_TOPIC = `absensi/${SITE}/gateway/${GATEWAY}/cmd`;
let broker: TestBroker | undefined;
const key = loadOrCreateCommandKey(join(tmp.dir, 'command-key.pem'), 'pusat');
/** another centre's key under the same name: what a forger who read the README would make */
const forger = ed25519Signer('absensi-central/pusat', generateKeyPairSync('ed25519').privateKey);

beforeAll(async () => {
  if (mosquittoInstalled()) broker = await startMosquitto(tmp.dir);
});
afterAll(async () => {
  await broker?.close();
  tmp.cleanup();
});

async function startGateway(dir: string): Promise<Gateway> {
  const gateway = await startTestGateway({
    dir,
    mqttUrl: broker!.url,
    site: SITE,
    extraYaml: ['commands:', '  enabled: true', `  trustedKeys: ["${key.vkey}"]`, '  maxSkew: 30s', '  maxLifetime: 10m'].join('\n'),
  });
  await until(() => gateway.mqtt?.listening(CMD_TOPIC) ?? false, 20_000, 'the gateway listening on its command topic');
  return gateway;
}

async function stopGateway(gateway: Gateway): Promise<void> {
  await gateway.stop();
  feeds.clear();
}

/** A raw MQTT 5 client that publishes commands with a response topic and collects the answers. */
class Attacker {
  private readonly answers = new Map<string, CommandResult>();
  private constructor(private readonly client: MqttClient) {
    client.on('message', (_topic, payload, packet) => {
      const correlation = packet.properties?.correlationData;
      if (correlation) this.answers.set(Buffer.from(correlation).toString('hex'), commandResultSchema.parse(JSON.parse(payload.toString())));
    });
  }

  static async connect(url: string): Promise<Attacker> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `attacker-${randomUUID()}` });
    await client.subscribeAsync(`${CMD_TOPIC}/reply/+`, { qos: 1 });
    return new Attacker(client);
  }

  /** Publishes `payload` on the command topic and waits for the answer to it. */
  async send(payload: string | object, topic = CMD_TOPIC): Promise<CommandResult> {
    const correlation = randomUUID().replace(/-/g, '');
    await this.client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
      qos: 1,
      properties: { responseTopic: `${CMD_TOPIC}/reply/${correlation}`, correlationData: Buffer.from(correlation, 'hex') },
    });
    await until(() => this.answers.has(correlation), 20_000, 'the answer');
    return this.answers.get(correlation)!;
  }

  /** Publishes with a response topic outside the gateway's reply topics. */
  async sendWithResponseTopic(payload: object, responseTopic: string): Promise<void> {
    await this.client.publishAsync(CMD_TOPIC, JSON.stringify(payload), { qos: 1, properties: { responseTopic, correlationData: Buffer.from('00', 'hex') } });
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

function refusedCount(gateway: Gateway, reason: string): Promise<number> {
  return gateway.metrics.commandsRefused.get().then((m) => m.values.find((v) => v.labels.reason === reason)?.value ?? 0);
}

const signed = (over: Partial<Parameters<typeof signCommand>[0]> = {}, signer = key.signer): SignedCommand =>
  signCommand({ gateway: GATEWAY, action: 'info', args: {}, nowMs: Date.now(), lifetimeMs: 60_000, ...over }, signer);

describe('remote commands over Mosquitto', () => {
  it('info: centre → gateway → centre, the site found from the retained status; logged in the recent list', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto: answers need MQTT 5 response topics (Aedes has none)');
    const dir = tempDir();
    const gateway = await startGateway(dir.dir);
    try {
      const { site, sent, result } = await sendCommand({ url: broker.url, prefix: 'absensi', gatewayId: GATEWAY }, { action: 'info', args: {}, signer: key.signer, lifetimeMs: 60_000, timeoutMs: 20_000 });
      expect(site).toBe(SITE);
      expect(result).toMatchObject({ schema: 'command-result/v1', ok: true, id: sent.command.id, gateway: GATEWAY, action: 'info' });
      const info = result.result as { gateway: string; site: string; version: string; devices: { id: string; online: boolean }[]; backlog: Record<string, unknown>; logKey: string };
      expect(info).toMatchObject({ gateway: GATEWAY, site: SITE, logKey: gateway.logKey?.vkey, backlog: { mqtt: { pending: 0, deadLetters: 0 } } });
      expect(info.devices.map((d) => d.id)).toEqual(['dev-a', 'dev-b', 'dev-off']);
      // the gateway records a command once its answer's publish resolved, which may come after the centre read it
      await until(() => gateway.commands?.recent()[0]?.id === sent.command.id, 10_000, 'the command in the recent list');
      expect(gateway.commands?.recent()[0]).toMatchObject({ id: sent.command.id, action: 'info', ok: true, issuer: 'absensi-central/pusat', answered: true });
      expect((await gateway.metrics.commands.get()).values).toEqual([expect.objectContaining({ labels: { command: 'info', result: 'ok' }, value: 1 })]);
    } finally {
      await stopGateway(gateway);
      dir.cleanup();
    }
  });

  it('refuses forged, expired, replayed, wrong-target, unsigned and malformed commands, answers each with its reason, counts them; a restart keeps the replay protection', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto: answers need MQTT 5 response topics (Aedes has none)');
    const dir = tempDir();
    let gateway = await startGateway(dir.dir);
    const attacker = await Attacker.connect(broker.url);
    try {
      const good = signed();
      expect(await attacker.send(good)).toMatchObject({ ok: true, id: good.command.id });

      const forged = signed({}, forger);
      expect(await attacker.send(forged)).toMatchObject({ ok: false, code: 'GW_ERR_COMMAND_REFUSED', reason: 'untrusted-key', id: null });
      const forgedUnderOurId = { ...forged, signature: { ...forged.signature, keyId: good.signature.keyId } };
      expect(await attacker.send(forgedUnderOurId)).toMatchObject({ ok: false, reason: 'bad-signature', id: null });
      const altered = { ...good, command: { ...good.command, id: '0'.repeat(32) } };
      expect(await attacker.send(altered)).toMatchObject({ ok: false, reason: 'bad-signature' });
      const expired = signed({ nowMs: Date.now() - 120_000, lifetimeMs: 60_000 });
      expect(await attacker.send(expired)).toMatchObject({ ok: false, reason: 'expired', id: expired.command.id });
      const elsewhere = signed({ gateway: 'gw-other' });
      expect(await attacker.send(elsewhere)).toMatchObject({ ok: false, reason: 'wrong-target' });
      expect(await attacker.send({ command: good.command })).toMatchObject({ ok: false, reason: 'unsigned' });
      expect(await attacker.send('{"command": [')).toMatchObject({ ok: false, reason: 'malformed' });
      expect(await attacker.send(good)).toMatchObject({ ok: false, reason: 'replayed', id: good.command.id });

      // an answer is never published outside the gateway's reply topics
      const punches = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      const stray: string[] = [];
      punches.on('message', (topic) => stray.push(topic));
      await punches.subscribeAsync(`absensi/${SITE}/#`, { qos: 1 });
      await attacker.sendWithResponseTopic(signed(), `absensi/${SITE}/dev-a/punch`);
      expect(await attacker.send(signed())).toMatchObject({ ok: true });
      await punches.endAsync();
      expect(stray.filter((t) => t.endsWith('/punch'))).toEqual([]);
      expect(gateway.commands?.recent()[1]).toMatchObject({ ok: true, answered: false });

      for (const [reason, n] of [['untrusted-key', 1], ['bad-signature', 2], ['expired', 1], ['wrong-target', 1], ['unsigned', 1], ['malformed', 1], ['replayed', 1]] as const) {
        expect(await refusedCount(gateway, reason), reason).toBe(n);
      }
      const api = gateway.view.recentCommands();
      expect(api.filter((c) => !c.ok).map((c) => c.reason)).toEqual(['replayed', 'malformed', 'unsigned', 'wrong-target', 'expired', 'bad-signature', 'bad-signature', 'untrusted-key']);

      // a restart on the same buffer file: the command accepted before is still a replay
      await stopGateway(gateway);
      gateway = await startGateway(dir.dir);
      expect(await attacker.send(good)).toMatchObject({ ok: false, reason: 'replayed', id: good.command.id });
      expect(await refusedCount(gateway, 'replayed')).toBe(1);
      expect(await attacker.send(signed())).toMatchObject({ ok: true });
    } finally {
      await attacker.close();
      await stopGateway(gateway);
      dir.cleanup();
    }
  }, 60_000);

  it('central command and central command-key: the CLI signs with commands.keyFile, prints the answer, exits 1 on a refusal', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto: answers need MQTT 5 response topics (Aedes has none)');
    const dir = tempDir();
    const centralYaml = join(dir.dir, 'central.yaml');
    writeFileSync(centralYaml, [`central: {id: pusat, dataDir: ${dir.dir}/central}`, `mqtt: {url: "${broker.url}", topicPrefix: absensi}`, `commands: {keyFile: ${dir.dir}/command-key.pem, timeout: 20s}`, ''].join('\n'));
    const created = await runCentral(['command-key', '-c', centralYaml]);
    expect(created.exitCode).toBeUndefined();
    const vkey = created.stdout.trim();
    expect(vkey).toMatch(/^absensi-central\/pusat\+[0-9a-f]{8}\+/);
    expect((await runCentral(['command-key', '-c', centralYaml])).stdout.trim()).toBe(vkey);

    // the gateway trusts the suite's key only: this centre's command is refused, then trusted
    const gateway = await startGateway(dir.dir);
    try {
      const refused = await runCentral(['command', GATEWAY, 'info', '-c', centralYaml, '--json']);
      expect(refused.exitCode).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({ site: SITE, siteFrom: 'broker', result: { ok: false, code: 'GW_ERR_COMMAND_REFUSED', reason: 'untrusted-key' } });
      const alsoRefused = await runCentral(['command', GATEWAY, 'sync-clock', '--device', 'dev-a', '-c', centralYaml, '--site', SITE]);
      expect(alsoRefused.exitCode).toBe(1);
      expect(alsoRefused.stdout).toMatch(/untrusted-key/);
      const usage = await runCentral(['command', GATEWAY, 'backfill', '-c', centralYaml]);
      expect(usage).toMatchObject({ exitCode: 64, stderr: expect.stringMatching(/--device/) });
      const badSince = await runCentral(['command', GATEWAY, 'backfill', '--device', 'dev-a', '--since', 'yesterday', '-c', centralYaml]);
      expect(badSince).toMatchObject({ exitCode: 64, stderr: expect.stringMatching(/^backfill: since: expected 2026-01-01/) });
    } finally {
      await stopGateway(gateway);
    }
    const trusting = await startTestGateway({ dir: dir.dir, mqttUrl: broker.url, site: SITE, extraYaml: ['commands:', '  enabled: true', `  trustedKeys: ["${vkey}"]`].join('\n') });
    try {
      await until(() => trusting.mqtt?.listening(CMD_TOPIC) ?? false, 20_000, 'listening');
      const info = await runCentral(['command', GATEWAY, 'info', '-c', centralYaml]);
      expect(info).toMatchObject({ exitCode: undefined, stdout: expect.stringContaining(`${GATEWAY} (${SITE}) ran info`) });
      const clock = await runCentral(['command', GATEWAY, 'sync-clock', '--device', 'dev-a', '-c', centralYaml]);
      expect(clock.exitCode).toBe(1);
      expect(clock.stdout).toMatch(/GW_ERR_COMMAND_UNSUPPORTED: .*cannot set the terminal clock/);
      const backfill = await runCentral(['command', GATEWAY, 'backfill', '--device', 'dev-a', '-c', centralYaml]);
      expect(backfill.stdout).toMatch(/GW_ERR_COMMAND_UNSUPPORTED: .*takes no queued backfill/);
      const csv = join(dir.dir, 'staff.csv');
      writeFileSync(csv, 'pin,name,card,privilege\n1001,Budi,,user\n');
      const users = await runCentral(['command', GATEWAY, 'users-import', '--csv', csv, '-c', centralYaml]);
      expect(users.stdout).toMatch(/GW_ERR_COMMAND_UNSUPPORTED: users-import: no enabled device of this gateway holds users/);
      let infos = 1;
      const database = await siteDatabase();
      if (database) {
        // the site the centre stored for the gateway, when central.yaml names a PostgreSQL server
        const withPostgres = join(dir.dir, 'central-pg.yaml');
        writeFileSync(withPostgres, `${readFileSync(centralYaml, 'utf8')}postgres: {url: "${database.url}"}\n`);
        try {
          const fromDatabase = await runCentral(['command', GATEWAY, 'info', '-c', withPostgres, '--json']);
          expect(JSON.parse(fromDatabase.stdout)).toMatchObject({ site: SITE, siteFrom: 'database', result: { ok: true } });
          infos += 1;
        } finally {
          await database.drop();
        }
      }
      const missing = await runCentral(['command', GATEWAY, 'sync-clock', '--device', 'nope', '-c', centralYaml]);
      expect(missing.stdout).toMatch(/GW_ERR_COMMAND_FAILED: no device "nope"/);
      expect((await trusting.metrics.commands.get()).values.map((v) => [v.labels.command, v.labels.result, v.value])).toEqual(
        expect.arrayContaining([['info', 'ok', infos], ['sync-clock', 'unsupported', 1], ['sync-clock', 'failed', 1], ['backfill', 'unsupported', 1], ['users-import', 'unsupported', 1]]),
      );
    } finally {
      await stopGateway(trusting);
    }
    try {
      const timeout = await runCentral(['command', 'gw-nowhere', 'info', '-c', centralYaml, '--site', SITE], { timeout: '300ms' });
      expect(timeout).toMatchObject({ exitCode: 69, stderr: expect.stringMatching(/^GW_ERR_COMMAND_TIMEOUT: no answer from gateway gw-nowhere/) });
      const noSite = await runCentral(['command', 'gw-nowhere', 'info', '-c', centralYaml], { timeout: '300ms' });
      expect(noSite).toMatchObject({ exitCode: 69, stderr: expect.stringMatching(/^GW_ERR_COMMAND_TIMEOUT: no retained status of gateway gw-nowhere.*--site/) });
    } finally {
      dir.cleanup();
    }
  }, 90_000);
});

describe('the status page (real Chromium)', () => {
  it('lists the recent commands, done and refused, in Bahasa Indonesia and English', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto: answers need MQTT 5 response topics (Aedes has none)');
    if (!existsSync(CHROMIUM)) return ctx.skip(`${CHROMIUM} is not installed; the status page was not tested in a browser`);
    const dir = tempDir();
    const gateway = await startTestGateway({ dir: dir.dir, mqttUrl: broker.url, site: SITE, token: TEST_TOKEN, listen: true, extraYaml: ['commands:', '  enabled: true', `  trustedKeys: ["${key.vkey}"]`].join('\n') });
    const attacker = await Attacker.connect(broker.url);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      await until(() => gateway.mqtt?.listening(CMD_TOPIC) ?? false, 20_000, 'listening');
      const good = signed();
      expect(await attacker.send(good)).toMatchObject({ ok: true });
      const forged = signed({}, forger);
      expect(await attacker.send(forged)).toMatchObject({ ok: false, reason: 'untrusted-key' });
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${gateway.api!.url}/?token=${TEST_TOKEN}`);
      const done = page.locator(`#commands tr[data-command="${good.command.id}"]`);
      await expect.poll(() => done.textContent()).toContain('dijalankan');
      expect(await done.textContent()).toContain('absensi-central/pusat');
      expect(await page.locator('h2[data-i18n="commands"]').textContent()).toBe('Perintah jarak jauh');
      expect(await page.locator('#commands [data-command-result="untrusted-key"]').textContent()).toBe('ditolak');
      await page.locator('#lang').click();
      await expect.poll(() => done.textContent()).toContain('done');
      expect(await page.locator('#commands [data-command-result="untrusted-key"]').textContent()).toBe('refused');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await attacker.close();
      await stopGateway(gateway);
      dir.cleanup();
    }
  }, 60_000);
});

describe('sync-clock on a zk-tcp terminal (the simulator, over its real protocol)', () => {
  it('sets a terminal clock 5 minutes off on the driver\'s own session, and refuses while the host clock is untrusted', async (ctx) => {
    if (!broker) return ctx.skip('no /usr/sbin/mosquitto: answers need MQTT 5 response topics (Aedes has none)');
    const sim = new ZkTcpSimulator({ udp: false, clockOffsetSec: 300 });
    await sim.start();
    const dir = tempDir();
    const run = async (ntp: 'yes' | 'no'): Promise<CommandResult> => {
      const yaml = [
        'gateway:', `  id: ${GATEWAY}`, `  site: ${SITE}`, `  dataDir: ${join(dir.dir, 'data')}`, '  logLevel: silent',
        'devices:', `  - {id: lobby-1, driver: zk-tcp, host: 127.0.0.1, port: ${sim.address.port}, realtime: false}`,
        'publish:', '  mqtt:', `    url: ${broker!.url}`, `    clientId: gw-${randomUUID()}`,
        'commands:', '  enabled: true', `  trustedKeys: ["${key.vkey}"]`, '',
      ].join('\n');
      const gateway = new Gateway(parseConfigText(yaml, 'clock.yaml', { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), drivers: BUILTIN_DRIVERS, hostClock: { ntpSynchronized: () => Promise.resolve(ntp) } });
      await gateway.start();
      try {
        await until(() => (gateway.mqtt?.listening(CMD_TOPIC) ?? false) && gateway.states.get('lobby-1')?.online === true && gateway.clock.latest !== undefined, 20_000, 'listening, the terminal online, the host clock checked');
        const { result } = await sendCommand({ url: broker!.url, prefix: 'absensi', gatewayId: GATEWAY, site: SITE }, { action: 'sync-clock', args: { device: 'lobby-1' }, signer: key.signer, lifetimeMs: 60_000, timeoutMs: 20_000 });
        return result;
      } finally {
        await gateway.stop();
      }
    };
    try {
      const untrusted = await run('no');
      expect(untrusted).toMatchObject({ ok: false, code: 'GW_ERR_CLOCK_UNSYNCHRONIZED' });
      expect(sim.clockOffset).toBe(300);
      const done = await run('yes');
      expect(done).toMatchObject({ ok: true, action: 'sync-clock', result: { device: 'lobby-1', set: true } });
      expect((done.result as { skewBeforeSec: number }).skewBeforeSec).toBeGreaterThanOrEqual(299);
      // the terminal was told the gateway's time: its offset is gone, whatever the seconds the exchange took
      expect(Math.abs(sim.clockOffset)).toBeLessThan(300);
      expect(Math.abs((done.result as { skewAfterSec: number }).skewAfterSec)).toBeLessThan(Math.abs((done.result as { skewBeforeSec: number }).skewBeforeSec));
    } finally {
      resetHostClockStatus();
      await sim.stop();
      dir.cleanup();
    }
  }, 60_000);
});

describe('remote commands over Aedes (MQTT 3.1.1: no response topics)', () => {
  it('still runs a signed command and refuses and counts a forged one; neither can be answered', async () => {
    const aedes = await startAedes();
    const dir = tempDir();
    const gateway = await startTestGateway({ dir: dir.dir, mqttUrl: aedes.url, site: SITE, extraYaml: ['commands:', '  enabled: true', `  trustedKeys: ["${key.vkey}"]`].join('\n') });
    const client = await mqtt.connectAsync(aedes.url, { protocolVersion: 4 });
    try {
      await until(() => gateway.mqtt?.listening(CMD_TOPIC) ?? false, 20_000, 'listening');
      expect(gateway.mqtt?.mqttVersion).toBe(4);
      await client.publishAsync(CMD_TOPIC, JSON.stringify(signed({}, forger)), { qos: 1 });
      await client.publishAsync(CMD_TOPIC, JSON.stringify(signed()), { qos: 1 });
      await until(() => (gateway.commands?.recent().length ?? 0) >= 2, 20_000, 'both handled');
      expect(gateway.commands?.recent().map((c) => [c.ok, c.reason ?? c.action, c.answered])).toEqual([[true, 'info', false], [false, 'untrusted-key', false]]);
      expect(await refusedCount(gateway, 'untrusted-key')).toBe(1);
    } finally {
      await client.endAsync();
      await stopGateway(gateway);
      await aedes.close();
      dir.cleanup();
    }
  }, 60_000);
});

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

/** A database of its own on the local PostgreSQL server (when it answers), migrated, holding the gateway's row. */
async function siteDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = new pg.Client({ ...PG, connectionTimeoutMillis: 1000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `commands_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `postgres://${PG.user}@${PG.host}:${PG.port}/${name}`;
  const store = await openPostgres(url);
  await migrateCentral(store);
  await store.query('INSERT INTO gateways (id, site, last_seen) VALUES ($1, $2, now())', [GATEWAY, SITE]);
  await store.close();
  return {
    url,
    drop: async () => {
      const again = new pg.Client(PG);
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name}`);
      await again.end();
    },
  };
}

interface CliRun {
  stdout: string;
  stderr: string;
  exitCode: number | string | undefined;
}

/** `absensi-gateway central …` in-process, stdout and stderr captured, process.exitCode read back and reset. */
async function runCentral(args: string[], override?: { timeout: string }): Promise<CliRun> {
  const configIndex = args.indexOf('-c');
  if (override && configIndex >= 0) {
    const file = args[configIndex + 1] as string;
    const patched = `${file}.timeout.yaml`;
    writeFileSync(patched, readFileSync(file, 'utf8').replace(/timeout: [^}]+}/, `timeout: ${override.timeout}}`));
    args = args.map((a, i) => (i === configIndex + 1 ? patched : a));
  }
  const run = { stdout: '', stderr: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((run.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((run.stderr += String(chunk)), true));
  const program = new Command().exitOverride();
  registerCentralCommand(program);
  try {
    await program.parseAsync(['node', 'absensi-gateway', 'central', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { ...run, exitCode };
}
