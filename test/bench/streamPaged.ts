// The `bench:stream` rows of the paged families (issue 17): EasyLink /scanlog/all/paging and
// Hikvision AcsEvent, each against its own bare read on its simulator with the same pacing (each
// answer written in STREAM_PACKET_BYTES packets, default 1460, every STREAM_GAP_MS, default 2).
// - floor: a bare client that asks for page after page and looks only for the "more follows"
//   marker; nothing parsed. EasyLink: raw loopback TCP, one connection per request, as the bridge
//   closes them. AcsEvent: node:http on one kept-alive connection, as the driver's fetch keeps it
//   (a connection per page would slow the floor and flatter the gateway). Timed from its first
//   page request to the last page's last byte.
// - gateway: the daemon (streamGateway.ts) with one device and the MQTT sink, timed from the
//   simulator receiving the first page request to the last punch on the subscriber (the identity
//   and clock requests before it are not counted).
// STREAM_EASYLINK_RECORDS (default 20000; 0: no row) and STREAM_ACS_RECORDS (default 10000, plus
// a door event every fifth, which the driver ignores; 0: no row) size the logs.
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { digestAuthorization, parseAuthParams } from '../../drivers/hikvision-isapi/digest.js';
import { encodeAcsEventCond } from '../../drivers/hikvision-isapi/codec.js';
import { ISAPI_PATHS } from '../../drivers/hikvision-isapi/tables.js';
import { isapiTimeOf } from '../../drivers/hikvision-isapi/sync.js';
import { FingerspotSimulator } from '../../src/sim/fingerspot/index.js';
import { startAcsTerminal, type AcsTerminal } from './acsTerminal.js';
import { mqttDelivery, runGateway } from './streamGateway.js';
import type { GatewayRun, StreamRow } from './streamRow.js';
import type { TestBroker } from '../helpers/broker.js';

const GAP_MS = Number(process.env.STREAM_GAP_MS ?? 2);
const PACKET_BYTES = Number(process.env.STREAM_PACKET_BYTES ?? 1460);
const EASYLINK_SERIAL = 'FIO66208021230737';
/** the driver's default page sizes: what both the floor and the gateway ask for */
const EASYLINK_PAGE = 100;
const ACS_PAGE = 30;
const HIK_PASSWORD = 'Admin12345';

/**
 * One HTTP/1.1 request on its own connection, read until the server closes it; the whole answer as
 * text, refused when shorter than its Content-Length. (Written, not ended: a half-closed request
 * makes Node's server drop the answer after its first packet.)
 */
function httpOnce(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`${head}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => {
      const answer = Buffer.concat(chunks);
      const split = answer.indexOf('\r\n\r\n');
      const length = Number(/^content-length: *(\d+)/im.exec(answer.subarray(0, split).toString('latin1'))?.[1] ?? -1);
      if (split < 0 || (length >= 0 && answer.length - split - 4 !== length)) return reject(new Error(`incomplete answer: ${answer.length} bytes`));
      resolve(answer.toString('utf8'));
    });
    socket.once('error', reject);
  });
}

/** Polls `done` every millisecond and notes when it first held. */
function watch(done: () => boolean): () => number | undefined {
  let at: number | undefined;
  const timer = setInterval(() => {
    if (at === undefined && done()) at = performance.now();
  }, 1);
  timer.unref();
  return () => at;
}

async function pacedBridge(records: number): Promise<FingerspotSimulator> {
  const sim = new FingerspotSimulator({ serials: [EASYLINK_SERIAL], packetBytes: PACKET_BYTES, packetGapMs: GAP_MS });
  sim.fill(records);
  // what /scanlog/new would hand out is taken already: the row measures the paging read alone
  sim.terminal().newCursor = sim.terminal().log.length;
  await sim.start();
  return sim;
}

async function bareEasyLinkPaging(records: number): Promise<number> {
  const sim = await pacedBridge(records);
  try {
    const form = `sn=${EASYLINK_SERIAL}&limit=${EASYLINK_PAGE}`;
    const head = 'POST /scanlog/all/paging HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n';
    const started = performance.now();
    let pages = 0;
    for (;;) {
      const answer = await httpOnce(sim.address.port, head, form);
      pages++;
      if (!answer.includes('"IsSession":true')) break;
    }
    if (pages !== Math.ceil(records / EASYLINK_PAGE)) throw new Error(`bare paging read ${pages} pages`);
    return performance.now() - started;
  } finally {
    await sim.stop();
  }
}

async function easyLinkGateway(records: number, broker: TestBroker, dir: string): Promise<GatewayRun> {
  const sim = await pacedBridge(records);
  const askedAt = watch(() => (sim.stats.requests['/scanlog/all/paging'] ?? 0) > 0);
  const site = `EASYLINK${records}x${Date.now() % 100_000}`;
  try {
    const delivery = await mqttDelivery(broker, site, { records });
    const run = await runGateway(site, `{id: fs1, driver: fingerspot-easylink, host: 127.0.0.1, port: ${sim.address.port}, serial: ${EASYLINK_SERIAL}, pollInterval: 1h, timezone: Asia/Jakarta}`, delivery, dir);
    const pages = sim.stats.requests['/scanlog/all/paging'] ?? 0;
    return { ms: run.lastAt - (askedAt() ?? 0), peakRssMb: run.peakRssMb, detail: `${pages} pages of ${EASYLINK_PAGE}` };
  } finally {
    await sim.stop();
  }
}

export function easyLinkRow(records: number): StreamRow {
  return {
    label: `EasyLink paging ${records} scans (${PACKET_BYTES}-byte packets every ${GAP_MS} ms)`,
    floorName: 'bare paging read',
    sinkName: 'MQTT subscriber',
    floor: () => bareEasyLinkPaging(records),
    gateway: (broker, dir) => easyLinkGateway(records, broker, dir),
  };
}

/** The terminal on its own thread (acsTerminal.ts), as the zk-tcp row's: the subscriber does not slow it down. */
function pacedTerminal(records: number): Promise<AcsTerminal> {
  // a minute apart, the newest an hour ago: the whole log in the past and inside the search window
  return startAcsTerminal({ password: HIK_PASSWORD, records, firstPunchMs: Date.now() - (records + 60) * 60_000, pageCap: ACS_PAGE, packetBytes: PACKET_BYTES, gapMs: GAP_MS });
}

/** One request on `agent`'s kept-alive connection: the status and the whole body as text. */
function httpKept(agent: Agent, port: number, o: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string; wwwAuthenticate: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, agent, method: o.method, path: o.path, headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body ?? '')) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), wwwAuthenticate: String(res.headers['www-authenticate'] ?? '') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body ?? '');
  });
}

/** Asks for a page with Digest (the challenge taken before the clock starts, as the daemon has it from deviceInfo). */
class DigestPages {
  private nc = 0;
  private challenge: { realm: string; nonce: string } | undefined;
  /** one connection, kept between pages */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly port: number) {}

  /** The challenge, on the connection the pages then use (opened before the clock starts, as the daemon's is). */
  async begin(): Promise<void> {
    const answer = await httpKept(this.agent, this.port, { method: 'GET', path: ISAPI_PATHS.deviceInfo, headers: {} });
    const header = /^Digest (.*)$/i.exec(answer.wwwAuthenticate)?.[1];
    if (!header) throw new Error('no digest challenge');
    const p = parseAuthParams(header.trim());
    this.challenge = { realm: p.realm ?? '', nonce: p.nonce ?? '' };
  }

  page(body: string): Promise<{ status: number; text: string; wwwAuthenticate: string }> {
    if (!this.challenge) throw new Error('begin() first');
    this.nc += 1;
    const uri = ISAPI_PATHS.acsEvent;
    const auth = digestAuthorization({ challenge: { ...this.challenge, algorithm: 'MD5', qop: ['auth'], stale: false }, method: 'POST', uri, username: 'admin', password: HIK_PASSWORD, nc: this.nc, cnonce: 'benchcnonce' });
    return httpKept(this.agent, this.port, { method: 'POST', path: uri, headers: { authorization: auth, 'content-type': 'application/json' }, body });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function bareAcsEventPaging(records: number): Promise<number> {
  const sim = await pacedTerminal(records);
  const client = new DigestPages(sim.port);
  try {
    await client.begin();
    const now = Date.now();
    const window = { startTime: isapiTimeOf(now - 30 * 86_400_000, 'Asia/Jakarta'), endTime: isapiTimeOf(now + 86_400_000, 'Asia/Jakarta') };
    const started = performance.now();
    let position = 0;
    for (;;) {
      const { status, text: answer } = await client.page(JSON.stringify(encodeAcsEventCond({ searchId: 'bench', position, maxResults: ACS_PAGE, ...window })));
      if (status !== 200) throw new Error(`bare AcsEvent: ${status} ${answer.slice(0, 40)}`);
      // the terminal says how many this page holds; the floor reads no more than that
      position += Number(/"numOfMatches":(\d+)/.exec(answer)?.[1] ?? 0);
      if (!answer.includes('"responseStatusStrg":"MORE"')) break;
    }
    if (position !== sim.events) throw new Error(`bare AcsEvent read ${position} of ${sim.events} events`);
    return performance.now() - started;
  } finally {
    client.close();
    await sim.stop();
  }
}

async function acsEventGateway(records: number, broker: TestBroker, dir: string): Promise<GatewayRun> {
  const sim = await pacedTerminal(records);
  const site = `ACS${records}x${Date.now() % 100_000}`;
  try {
    const delivery = await mqttDelivery(broker, site, { records });
    const device = `{id: hik1, driver: hikvision-isapi, host: 127.0.0.1, port: ${sim.port}, password: ${HIK_PASSWORD}, pollInterval: 1h, lookback: 30d, timezone: Asia/Jakarta}`;
    const run = await runGateway(site, device, delivery, dir);
    const pages = await sim.pages();
    return { ms: run.lastAt - (sim.askedAt() ?? 0), peakRssMb: run.peakRssMb, detail: `${sim.events} events in ${pages} requests of ${ACS_PAGE}` };
  } finally {
    await sim.stop();
  }
}

export function acsEventRow(records: number): StreamRow {
  return {
    label: `AcsEvent paging ${records} punches (${PACKET_BYTES}-byte packets every ${GAP_MS} ms)`,
    floorName: 'bare AcsEvent read',
    sinkName: 'MQTT subscriber',
    floor: () => bareAcsEventPaging(records),
    gateway: (broker, dir) => acsEventGateway(records, broker, dir),
  };
}
