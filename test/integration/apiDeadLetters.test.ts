// Dead letters end to end: a real HTTP receiver refuses some punches (punch-batch/v1 `rejected`),
// the operator sees them through the API and the `queue` CLI (a real child process reading the
// buffer file the gateway in this process is writing), replays them and they are delivered.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../src/api/app.js';
import { startApiServer } from '../../src/api/server.js';
import type { Gateway } from '../../src/gateway.js';
import type { Punch } from '../../src/punch/punch.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from '../../src/util/net.js';
import { until } from '../helpers/broker.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/httpsReceiver.js';
import { rawPunch } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { feed, startTestGateway, writeCliConfig } from '../e2e/fixture.js';

const run = promisify(execFile);
let tmp: ReturnType<typeof tempDir>;
let receiver: HttpsReceiver;
let gateway: Gateway;
let app: FastifyInstance;
/** while true, the receiver refuses every punch of PIN 666 */
let refuse666 = true;

beforeEach(async () => {
  tmp = tempDir();
  refuse666 = true;
  receiver = await startHttpsReceiver({
    tls: false,
    respond: (_req, body) => {
      const punches = (body as { punches: Punch[] }).punches;
      return { status: 200, body: { rejected: punches.filter((p) => refuse666 && p.pin === '666').map((p) => ({ id: p.id, reason: 'unknown employee 666' })) } };
    },
  });
  gateway = await startTestGateway({ dir: tmp.dir, httpsUrl: receiver.url });
  app = await buildApiApp({ view: gateway.view, log: silentLogger() });
});
afterEach(async () => {
  await app.close();
  await gateway.stop();
  await receiver.close();
  tmp.cleanup();
});

async function pushAndSettle(): Promise<string[]> {
  await feed().push([rawPunch(1, { pin: '666' }), rawPunch(2, { pin: '100' }), rawPunch(3, { pin: '666' })]);
  await until(() => gateway.buffer.stats().sinks[0]!.deadLetters === 2 && gateway.buffer.stats().sinks[0]!.pending === 0, 10_000, 'two dead letters');
  const found = (await app.inject('/api/punches?pin=666')).json() as { punches: { id: string; sinks: Record<string, unknown> }[] };
  return found.punches.map((p) => p.id);
}

function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return run('node', ['--import', 'tsx', 'src/main.ts', 'queue', ...args], { timeout: 20_000 }).then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }),
  );
}

describe('dead letters through the API', () => {
  it('lists them, shows the state on the punch, and a replay delivers them', async () => {
    const ids = await pushAndSettle();
    const list = (await app.inject('/api/dead-letters')).json();
    expect(list.count).toBe(2);
    expect(list.deadLetters[0]).toMatchObject({ sink: 'https', pin: '666', device: 'dev-a', reason: 'http 200: unknown employee 666', attempts: 1 });
    const punch = (await app.inject(`/api/punches?pin=666&limit=1`)).json().punches[0];
    expect(punch.sinks.https).toMatchObject({ state: 'dead-lettered', reason: 'http 200: unknown employee 666' });

    refuse666 = false;
    const missing = 'a'.repeat(32);
    const res = await app.inject({ method: 'POST', url: '/api/dead-letters/replay', payload: { ids: [ids[0], missing] } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ action: 'replay', count: 1, notFound: [missing], rows: [{ sink: 'https', punchId: ids[0] }] });
    await until(() => receiver.acceptedIds.includes(ids[0]!), 10_000, 'replayed punch delivered');
    await until(() => gateway.buffer.stats().sinks[0]!.replayQueued === 0, 10_000, 'replay queue empty');
    const after = (await app.inject('/api/punches?pin=666')).json().punches as { id: string; sinks: { https: { state: string } } }[];
    expect(Object.fromEntries(after.map((p) => [p.id, p.sinks.https.state]))).toEqual({ [ids[0]!]: 'acked', [ids[1]!]: 'dead-lettered' });
  });

  it('purges them; the punch itself stays searchable', async () => {
    await pushAndSettle();
    const res = await app.inject({ method: 'POST', url: '/api/dead-letters/purge', payload: { sink: 'https', all: true } });
    expect(res.json()).toMatchObject({ action: 'purge', count: 2, notFound: [] });
    expect((await app.inject('/api/dead-letters')).json().count).toBe(0);
    const found = (await app.inject('/api/punches?pin=666')).json() as { returned: number; punches: { sinks: Record<string, { state: string; reason?: string }> }[] };
    expect(found.returned).toBe(2);
    // given up on, not delivered: the search says so, with the reason it was refused
    for (const p of found.punches) expect(p.sinks.https).toMatchObject({ state: 'purged', reason: expect.any(String) });
  });

  it('answers 400 for bodies that do not say what to act on', async () => {
    await pushAndSettle();
    const bodies: unknown[] = [{}, { all: true, ids: ['a'.repeat(32)] }, { ids: [] }, { ids: ['XYZ'] }, { all: false }, { all: true, extra: 1 }, { all: true, sink: 'nope' }, [1]];
    for (const payload of bodies) {
      const res = await app.inject({ method: 'POST', url: '/api/dead-letters/replay', payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code, JSON.stringify(payload)).toBe('GW_ERR_API_BAD_REQUEST');
    }
    const empty = await app.inject({ method: 'POST', url: '/api/dead-letters/purge', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('GW_ERR_API_BAD_REQUEST');
    const garbage = await app.inject({ method: 'POST', url: '/api/dead-letters/purge', headers: { 'content-type': 'application/json' }, payload: '{"all":' });
    expect(garbage.statusCode).toBe(400);
    expect((await app.inject('/api/dead-letters')).json().count).toBe(2);
  });
});

describe('queue CLI against the running gateway', () => {
  it('shows stats, lists, replays (the daemon delivers) and refuses bad arguments', async () => {
    const ids = await pushAndSettle();
    await feed().push([rawPunch(4, { localTime: '1990-01-01T00:00:00' })]);
    const config = writeCliConfig(gateway, tmp.dir);
    const [stats, table, dead, badIds, badSink, quarantine] = await Promise.all([
      cli('stats', '--config', config, '--json'),
      cli('list', '--config', config, '--pin', '666'),
      cli('dead-letters', '--config', config, '--json'),
      cli('replay', '--config', config, '--ids', 'nope'),
      cli('purge', '--config', config, '--sink', 'mqtt', '--all'),
      cli('quarantine', '--config', config, '--json'),
    ]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ punches: 3, headSeq: 3, quarantined: 1, sinks: [{ sink: 'https', deadLetters: 2, replayQueued: 0 }] });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ +TIME +PIN +DEVICE +STATE +ID +HTTPS$/);
    expect(lines).toHaveLength(3);
    for (const line of lines.slice(1)) expect(line).toMatch(/ 666 +dev-a .*dead-lettered \(http 200: unknown employee 666\)$/);
    expect(lines[1]!.indexOf('666')).toBe(lines[2]!.indexOf('666'));
    expect((JSON.parse(dead.stdout) as { punchId: string }[]).map((d) => d.punchId).sort()).toEqual([...ids].sort());
    expect(badIds.code).toBe(64);
    expect(badIds.stderr).toMatch(/^GW_ERR_API_BAD_REQUEST: --ids: not a punch id/);
    expect(badSink.code).toBe(64);
    expect(badSink.stderr).toMatch(/unknown sink "mqtt"/);
    expect(JSON.parse(quarantine.stdout)).toEqual([expect.objectContaining({ device: 'dev-a' })]);

    refuse666 = false;
    const replay = await cli('replay', '--config', config, '--all', '--json');
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ action: 'replay', count: 2 });
    // no poke from another process: the dispatcher's idle poll picks the replay queue up
    await until(() => ids.every((id) => receiver.acceptedIds.includes(id)), 15_000, 'replayed punches delivered');
    await until(() => gateway.buffer.stats().sinks[0]!.replayQueued === 0, 10_000, 'replay queue empty');
    gateway.buffer.persistCursors();
    const after = await cli('list', '--config', config, '--pin', '666', '--json');
    expect((JSON.parse(after.stdout) as { sinks: { https: { state: string } } }[]).map((p) => p.sinks.https.state)).toEqual(['acked', 'acked']);
  });
});

describe('queue replay says who sends the replayed punches (issue 19, finding 5)', () => {
  const withApi = (file: string, port: number): string => {
    const path = `${tmp.dir}/replay-${port}.yaml`;
    writeFileSync(path, `${readFileSync(file, 'utf8')}api:\n  listen: 127.0.0.1:${port}\n`);
    return path;
  };

  it('no gateway answers on the config\'s API: it says so, and how to get them sent', async () => {
    await pushAndSettle();
    const config = withApi(writeCliConfig(gateway, tmp.dir), await freePort());
    const replay = await cli('replay', '--config', config, '--all');
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/^2 dead letter\(s\) queued for replay; no gateway answers at http:\/\/127\.0\.0\.1:\d+, so they are sent once the gateway runs on .*buffer\.db \(sudo systemctl start absensi-gateway\)/);
    expect(replay.stdout).not.toMatch(/the running gateway sends them/);
  });

  it('the gateway answers: it sends them', async () => {
    await pushAndSettle();
    const api = await startApiServer(gateway.view, silentLogger());
    try {
      const config = withApi(writeCliConfig(gateway, tmp.dir), api!.address.port);
      const replay = await cli('replay', '--config', config, '--all');
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stdout).toMatch(/^2 dead letter\(s\) queued for replay \(the running gateway sends them within a few seconds\)/);
    } finally {
      await api?.close();
    }
  });
});
