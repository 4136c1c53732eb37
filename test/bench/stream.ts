// `npm run bench:stream`: a terminal's log to the centre at the speed of the terminal (issue 17).
// Not a test: it prints wall times and ratios. The terminal is the zk-tcp simulator on `terminal`
// pacing (a fixed gap per packet, STREAM_GAP_MS, default 2 ms) so the wire, not the CPU, sets
// the floor; the same simulator settings serve both runs.
// - floor: a bare download client (frame, request, reassemble; nothing else), from its TCP
//   connection to the last chunk's last byte.
// - gateway: the real daemon as a child process (tsx, or the build when dist/ exists) with one
//   zk-tcp device and the MQTT sink, from the terminal accepting its connection to the last punch
//   on a subscriber of this bench. Its peak RSS is the child's VmHWM (/proc).
// STREAM_RECORDS (default 100000; 0: no zk-tcp row) sets the log; STREAM_BIG=1000000 adds a run of that size,
// reported with peak RSS. Records are 20 s apart, so a million stay in the past (a punch stamped
// in the future is quarantined, and the subscriber would wait for it forever).
// zk-soap row: the zk-soap simulator writing its answers in packets of SOAP_PACKET_BYTES (default
// 1460, one Ethernet segment) every STREAM_GAP_MS; STREAM_SOAP_RECORDS (default 20000) rows. Floor:
// a bare GetAttLog read (request, read until the terminal closes; no parse), from its connection to
// the close. Gateway: from the terminal receiving the daemon's GetAttLog to the last punch on the
// subscriber (the GetDate before it is not counted).
// The same 100k zk-tcp row is run a second time to the HTTPS sink (a minimal receiver in this
// bench; STREAM_HTTPS=0 leaves it out), timed to the last punch the receiver got.
// EasyLink and AcsEvent rows: streamPaged.ts (STREAM_EASYLINK_RECORDS, STREAM_ACS_RECORDS).
// The broker is Aedes in this process (STREAM_MOSQUITTO=1: Mosquitto at
// 127.0.0.1:1883, whose default queue limit drops QoS 1 messages to a subscriber that falls behind).
import { connect, type Socket } from 'node:net';
import { decodeDataStat, decodePacket, encodePacket, encodeReadRequest, encodeTcpFrame, encodeTwoU32 } from '../../drivers/zk-tcp/codec.js';
import { TcpDeframer } from '../../drivers/zk-tcp/streamReader.js';
import { CHUNK_BYTES_TCP, CMD } from '../../drivers/zk-tcp/tables.js';
import { ZkSoapSimulator } from '../../src/sim/zkSoap/index.js';
import { encodeRequest } from '../../drivers/zk-soap/codec.js';

import { startAedes, systemMosquitto, type TestBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/tmp.js';
import { deliveryFor, mqttDelivery, runGateway, type SinkKind } from './streamGateway.js';
import { acsEventRow, easyLinkRow } from './streamPaged.js';
import { runStreamRows, type StreamRow } from './streamRow.js';
import { startTerminalThread } from './terminalThread.js';

const RECORDS = Number(process.env.STREAM_RECORDS ?? 100_000);
const BIG = Number(process.env.STREAM_BIG ?? 0);
const GAP_MS = Number(process.env.STREAM_GAP_MS ?? 2);
const RUNS = Number(process.env.STREAM_RUNS ?? 1);
const SOAP_RECORDS = Number(process.env.STREAM_SOAP_RECORDS ?? 20_000);
const SOAP_PACKET_BYTES = Number(process.env.SOAP_PACKET_BYTES ?? 1460);
const EASYLINK_RECORDS = Number(process.env.STREAM_EASYLINK_RECORDS ?? 20_000);
const ACS_RECORDS = Number(process.env.STREAM_ACS_RECORDS ?? 10_000);
/** STREAM_HTTPS=0 leaves out the zk-tcp row to the HTTPS sink */
const HTTPS = process.env.STREAM_HTTPS !== '0';

interface PacedSimulator {
  sim: { stop(): Promise<void> };
  port: number;
  connectedAt: () => number | undefined;
  /** when the terminal was asked for its last chunk */
  lastChunkAt: () => number | undefined;
}

/** The terminal on its own thread (terminalThread.ts): the bench's broker and subscriber do not slow it down. */
async function pacedSimulator(records: number): Promise<PacedSimulator> {
  const chunks = Math.ceil((4 + records * 40) / CHUNK_BYTES_TCP);
  const terminal = await startTerminalThread({ records, gapMs: GAP_MS, chunks });
  return { sim: terminal, port: terminal.port, connectedAt: terminal.connectedAt, lastChunkAt: terminal.lastChunkAt };
}

/** The floor: CONNECT, DATA_WRRQ, DATA_RDY per chunk, reassembled; no decode, no checks. */
async function bareDownload(port: number): Promise<{ bytes: number; ms: number }> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  const started = performance.now();
  const deframer = new TcpDeframer();
  let waiting: ((p: ReturnType<typeof decodePacket>) => void) | undefined;
  socket.on('data', (chunk) => {
    for (const frame of deframer.push(chunk)) waiting?.(decodePacket(frame));
  });
  let replyId = 0;
  let sessionId = 0;
  const ask = (command: number, data: Buffer, until: (p: ReturnType<typeof decodePacket>) => boolean): Promise<void> =>
    new Promise((resolve) => {
      replyId++;
      waiting = (p) => {
        if (until(p)) resolve();
      };
      socket.write(encodeTcpFrame(encodePacket({ command, sessionId, replyId, data })));
    });
  await ask(CMD.CONNECT, Buffer.alloc(0), (p) => ((sessionId = p.sessionId), true));
  let size = 0;
  await ask(CMD.DATA_WRRQ, encodeReadRequest(CMD.ATTLOG_RRQ, 0, 0), (p) => ((size = decodeDataStat(p.data)), true));
  const parts: Buffer[] = [];
  for (let offset = 0; offset < size; offset += CHUNK_BYTES_TCP) {
    await ask(CMD.DATA_RDY, encodeTwoU32(offset, Math.min(CHUNK_BYTES_TCP, size - offset)), (p) => {
      if (p.command === CMD.DATA) parts.push(Buffer.from(p.data));
      return p.command === CMD.ACK_OK;
    });
  }
  const bytes = Buffer.concat(parts).length;
  const ms = performance.now() - started;
  socket.destroy();
  return { bytes, ms };
}

async function floor(records: number): Promise<number> {
  const { sim, port } = await pacedSimulator(records);
  try {
    const { bytes, ms } = await bareDownload(port);
    if (bytes !== 4 + records * 40) throw new Error(`bare download got ${bytes} bytes`);
    return ms;
  } finally {
    await sim.stop();
  }
}

async function gateway(records: number, sink: SinkKind, broker: TestBroker, dir: string): Promise<{ ms: number; peakRssMb: number; lastChunkMs: number; deliveredAtLastChunk: number }> {
  const { sim, port, connectedAt, lastChunkAt } = await pacedSimulator(records);
  const site = `STREAM${records}${sink}x${Date.now() % 100_000}`;
  let deliveredAtLastChunk = -1;
  const delivery = await deliveryFor(sink, broker, site, {
    records,
    before: (got) => {
      if (deliveredAtLastChunk < 0 && lastChunkAt() !== undefined) deliveredAtLastChunk = got;
    },
  });
  try {
    const run = await runGateway(site, `{id: zk1, driver: zk-tcp, host: 127.0.0.1, port: ${port}, transport: tcp, realtime: false, pollInterval: 1h, timeout: 30s}`, delivery, dir);
    const t0 = connectedAt() ?? 0;
    return { ms: run.lastAt - t0, peakRssMb: run.peakRssMb, lastChunkMs: (lastChunkAt() ?? 0) - t0, deliveredAtLastChunk };
  } finally {
    await sim.stop();
  }
}

async function pacedSoapSimulator(records: number): Promise<{ sim: ZkSoapSimulator; port: number; askedAt: () => number | undefined; sentAt: () => number | undefined }> {
  const sim = new ZkSoapSimulator({ host: '127.0.0.1', port: 0, records, users: 200, packetBytes: SOAP_PACKET_BYTES, packetGapMs: GAP_MS });
  await sim.start();
  let at: number | undefined;
  let sent: number | undefined;
  const watch = setInterval(() => {
    if (at === undefined && (sim.stats.calls.GetAttLog ?? 0) > 0) at = performance.now();
    // answered: GetDate first, then GetAttLog
    if (sent === undefined && at !== undefined && sim.stats.answered >= (sim.stats.calls.GetDate ?? 0) + 1) sent = performance.now();
  }, 1);
  watch.unref();
  return { sim, port: sim.address.port, askedAt: () => at, sentAt: () => sent };
}

/** The zk-soap floor: one GetAttLog, read until the terminal closes; nothing parsed. */
async function bareSoapRead(records: number): Promise<number> {
  const { sim, port } = await pacedSoapSimulator(records);
  try {
    const body = Buffer.from(encodeRequest('GetAttLog', '0', [{ name: 'PIN', value: 'All', type: 'integer' }]), 'latin1');
    const started = performance.now();
    const bytes = await new Promise<number>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => socket.write(Buffer.concat([Buffer.from(`POST /iWsService HTTP/1.0\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body])));
      let n = 0;
      socket.on('data', (chunk: Buffer) => void (n += chunk.length));
      socket.once('end', () => resolve(n));
      socket.once('error', reject);
    });
    if (bytes < records * 100) throw new Error(`bare GetAttLog got ${bytes} bytes`);
    return performance.now() - started;
  } finally {
    await sim.stop();
  }
}

async function soapGateway(records: number, broker: TestBroker, dir: string): Promise<{ ms: number; peakRssMb: number; sentMs: number; deliveredAtSent: number }> {
  const { sim, port, askedAt, sentAt } = await pacedSoapSimulator(records);
  let deliveredAtSent = -1;
  const site = `SOAP${records}x${Date.now() % 100_000}`;
  const delivery = await mqttDelivery(broker, site, {
    records,
    before: (got) => {
      if (deliveredAtSent < 0 && sentAt() !== undefined) deliveredAtSent = got;
    },
  });
  try {
    const run = await runGateway(site, `{id: soap1, driver: zk-soap, host: 127.0.0.1, port: ${port}, pollInterval: 1h, timeout: 30s, timezone: Asia/Jakarta}`, delivery, dir);
    const t0 = askedAt() ?? 0;
    return { ms: run.lastAt - t0, peakRssMb: run.peakRssMb, sentMs: (sentAt() ?? 0) - t0, deliveredAtSent };
  } finally {
    await sim.stop();
  }
}

function zkTcpRow(records: number, sink: SinkKind = 'mqtt'): StreamRow {
  return {
    label: `${records} records`,
    floorName: 'bare download',
    sinkName: sink === 'mqtt' ? 'MQTT subscriber' : 'HTTPS receiver',
    floor: () => floor(records),
    gateway: async (broker, dir) => {
      const gw = await gateway(records, sink, broker, dir);
      return { ...gw, detail: `last chunk asked for at ${(gw.lastChunkMs / 1000).toFixed(2)} s, ${gw.deliveredAtLastChunk} punches delivered by then` };
    },
  };
}

function zkSoapRow(records: number): StreamRow {
  return {
    label: `zk-soap ${records} rows (${SOAP_PACKET_BYTES}-byte packets every ${GAP_MS} ms)`,
    floorName: 'bare GetAttLog read',
    sinkName: 'MQTT subscriber',
    floor: () => bareSoapRead(records),
    gateway: async (broker, dir) => {
      const gw = await soapGateway(records, broker, dir);
      return { ...gw, detail: `answer sent by ${(gw.sentMs / 1000).toFixed(2)} s, ${gw.deliveredAtSent} punches delivered by then` };
    },
  };
}

async function main(): Promise<void> {
  const tmp = tempDir('absensi-stream-');
  const broker = (process.env.STREAM_MOSQUITTO === '1' ? await systemMosquitto() : undefined) ?? (await startAedes());
  try {
    process.stdout.write(`absensi-gateway bench:stream: zk-tcp, terminal pacing ${GAP_MS} ms/packet, broker ${broker.name}, node ${process.version}\n`);
    const rows: StreamRow[] = [
      ...(RECORDS > 0 ? [zkTcpRow(RECORDS)] : []),
      ...(RECORDS > 0 && HTTPS ? [zkTcpRow(RECORDS, 'https')] : []),
      ...(BIG > 0 ? [zkTcpRow(BIG)] : []),
      ...(SOAP_RECORDS > 0 ? [zkSoapRow(SOAP_RECORDS)] : []),
      ...(EASYLINK_RECORDS > 0 ? [easyLinkRow(EASYLINK_RECORDS)] : []),
      ...(ACS_RECORDS > 0 ? [acsEventRow(ACS_RECORDS)] : []),
    ];
    await runStreamRows(rows, broker, tmp.dir, RUNS, (line) => process.stdout.write(line));
  } finally {
    await broker.close();
    tmp.cleanup();
  }
}

await main();
