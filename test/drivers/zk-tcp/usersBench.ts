// Benchmark (not a test; no .test.ts suffix): users and templates per second copied from one
// simulated zk-tcp terminal to another through the users sessions, against a bare upload of the
// same bytes to the same kind of terminal (one buffer, no reads, no per-batch disable or refresh).
// Run: npx tsx test/drivers/zk-tcp/usersBench.ts [users] [pacing: burst|terminal]
// Notes for reading the numbers:
// - Both simulators run in this process; loopback, so `burst` shows protocol and CPU cost only.
//   `terminal` pacing spaces every packet of a reply 2 ms apart, as a real terminal's LAN stack.
// - The copy reads the source (users, templates) and the target (its users, to match PINs), then
//   writes in batches; the bare upload sends the encodeUpload of every user at once, as pyzk's
//   high-rate restore does, which is the floor for these bytes on this terminal.
import { ZkClient } from '../../../drivers/zk-tcp/client.js';
import { zkTcpConfigSchema } from '../../../drivers/zk-tcp/config.js';
import { encodeU32 } from '../../../drivers/zk-tcp/codec.js';
import { encodeSaveUserTemps, encodeUpload, type ZkUserRecord } from '../../../drivers/zk-tcp/userCodec.js';
import { openZkTcpUsers } from '../../../drivers/zk-tcp/users.js';
import { CMD, UPLOAD } from '../../../drivers/zk-tcp/tables.js';
import { ZkTcpSimulator, type Pacing } from '../../../src/sim/zkTcp/index.js';
import { silentLogger } from '../../../src/util/logger.js';

async function terminal(users: number, pacing: Pacing): Promise<ZkTcpSimulator> {
  const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, users, fingersPerUser: [1, 2], pacing, udp: false, seed: 11 });
  await sim.start();
  return sim;
}

function config(sim: ZkTcpSimulator) {
  return zkTcpConfigSchema.parse({ id: 'bench', driver: 'zk-tcp', host: '127.0.0.1', port: sim.address.port, timeout: '10s' });
}

async function copy(source: ZkTcpSimulator, target: ZkTcpSimulator): Promise<{ ms: number; writeMs: number }> {
  const started = performance.now();
  const options = { logger: silentLogger(), signal: new AbortController().signal };
  const from = await openZkTcpUsers(config(source), options);
  const users = await from.listUsers();
  const templates = await from.readTemplates();
  await from.close();
  const writing = performance.now();
  const to = await openZkTcpUsers(config(target), options);
  const outcomes = await to.writeUsers(users.map((user) => ({ user, templates: templates.filter((t) => t.pin === user.pin) })));
  await to.close();
  if (outcomes.some((o) => !o.ok)) throw new Error('a user was not written');
  return { ms: performance.now() - started, writeMs: performance.now() - writing };
}

async function bareUpload(source: ZkTcpSimulator, target: ZkTcpSimulator): Promise<{ ms: number; bytes: number }> {
  const users: ZkUserRecord[] = source.enrolment.userList();
  const upload = encodeUpload(users, source.enrolment.templateList().map(({ uid, finger, data }) => ({ uid, finger, data })), 72);
  const started = performance.now();
  const client = new ZkClient({ host: '127.0.0.1', port: target.address.port, transport: 'tcp', commKey: 0, timeoutMs: 10_000, log: silentLogger() });
  await client.connect();
  await client.command(CMD.PREPARE_DATA, encodeU32(upload.length));
  for (let at = 0; at < upload.length; at += UPLOAD.CHUNK_BYTES) await client.command(CMD.DATA, upload.subarray(at, at + UPLOAD.CHUNK_BYTES));
  await client.command(CMD.SAVE_USERTEMPS, encodeSaveUserTemps());
  await client.command(CMD.REFRESHDATA);
  await client.close();
  return { ms: performance.now() - started, bytes: upload.length };
}

export async function benchUsersCopy(users = 300, pacing: Pacing = 'burst') {
  const source = await terminal(users, pacing);
  const target = await terminal(0, pacing);
  const bareTarget = await terminal(0, pacing);
  try {
    const templates = source.enrolment.templateCount;
    const copied = await copy(source, target);
    const copyMs = copied.ms;
    const bare = await bareUpload(source, bareTarget);
    const perSec = (n: number, ms: number): number => Math.round((n * 1000) / ms);
    return {
      users, templates, pacing, uploadBytes: bare.bytes,
      copy: { ms: Math.round(copyMs), writeMs: Math.round(copied.writeMs), usersPerSec: perSec(users, copyMs), templatesPerSec: perSec(templates, copyMs) },
      bare: { ms: Math.round(bare.ms), usersPerSec: perSec(users, bare.ms), templatesPerSec: perSec(templates, bare.ms) },
      /** copy time over bare-upload time: what reading both sides, batching, disable and refresh cost */
      ratio: Math.round((copyMs / bare.ms) * 100) / 100,
      /** the write half alone (target user read, batches, disable, refresh) over the bare upload */
      writeRatio: Math.round((copied.writeMs / bare.ms) * 100) / 100,
    };
  } finally {
    await Promise.all([source.stop(), target.stop(), bareTarget.stop()]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const users = Number(process.argv[2] ?? 300);
  const pacing = (process.argv[3] ?? 'burst') as Pacing;
  console.log(JSON.stringify(await benchUsersCopy(users, pacing), null, 2));
}
