// The simulator's own wire output, captured from a real socket, goes through the same checks as
// the real captures in fixtures/ (cases.ts): if the simulator drifted from real terminals' framing,
// these would fail where the fixture tests pass.
import { createSocket } from 'node:dgram';
import { Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePacket, encodeReadRequest, encodeTcpFrame, encodeTwoU32 } from '../../../drivers/zk-tcp/codec.js';
import { CMD, EF } from '../../../drivers/zk-tcp/tables.js';
import { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { checkAttlog, checkPacket, checkStream, deframeAll, type FixtureCase } from './cases.js';
import { until } from '../../helpers/until.js';

let sim: ZkTcpSimulator | undefined;
let socket: Socket | undefined;
afterEach(async () => {
  socket?.destroy();
  await sim?.stop();
});

/** Plays requests at the simulator over TCP and returns every byte it sent back. */
async function capture(requests: { command: number; data?: Buffer }[], expectFrames: number): Promise<Buffer> {
  const received: Buffer[] = [];
  socket = connect(sim!.address.port, '127.0.0.1');
  socket.on('data', (b) => received.push(b));
  await new Promise((resolve) => socket!.once('connect', resolve));
  let session = 0;
  for (const [i, r] of requests.entries()) {
    socket.write(encodeTcpFrame(encodePacket({ command: r.command, sessionId: session, replyId: i, data: r.data ?? Buffer.alloc(0) })));
    await until(() => deframeAll(received).frames.length > i || r.command === CMD.DATA_RDY, `reply ${i}`);
    if (i === 0) session = deframeAll(received).frames[0]!.readUInt16LE(4);
  }
  await until(() => deframeAll(received).frames.length >= expectFrames, 'all frames');
  return Buffer.concat(received);
}

describe('simulator output through the real-capture checks', () => {
  it('a chunked 70-user read has the shape of the pyzk capture (users72-chunked-70)', async () => {
    sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, users: 70, records: 3225 });
    await sim.start();
    const stream = await capture(
      [
        { command: CMD.CONNECT },
        { command: CMD.GET_FREE_SIZES },
        { command: CMD.DATA_WRRQ, data: encodeReadRequest(CMD.USERTEMP_RRQ, 5, 0) },
        { command: CMD.DATA_RDY, data: encodeTwoU32(0, 5044) },
      ],
      11,
    );
    const s = sim.log.users.length > 0 ? deframeAll([stream]).frames[0]!.readUInt16LE(4) : 0;
    const frame = (command: number, sessionId: number, replyId: number, dataLength: number) => ({ command, sessionId, replyId, dataLength, checksumOk: true });
    const c: FixtureCase = {
      name: 'sim-users72-chunked-70',
      input: stream,
      expected: {
        kind: 'tcp-stream',
        frames: [
          frame(2000, s, 0, 0), frame(2000, s, 1, 92), frame(2000, s, 2, 13), frame(1500, s, 3, 8),
          ...[0, 1, 2, 3, 4].map((k) => frame(1501, k, 3, 1008)), frame(1501, 5, 3, 4), frame(2000, 5, 3, 0),
        ],
        dataStat: 5044,
        freeSizes: { users: 70, records: 3225 },
        users: { count: 70, sample: { index: 1, uid: 2, pin: '1002', name: 'Pegawai 2' } },
      },
    };
    checkStream(c, [['whole', [stream]], ['bytewise', [...stream].map((b) => Buffer.from([b]))]]);
  });

  it.each([10, 12, 32] as const)('a %i-byte realtime packet decodes like the real ones', async (realtimeSize) => {
    sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, realtimeSize });
    await sim.start();
    const stream = capture([{ command: CMD.CONNECT }, { command: CMD.REG_EVENT, data: Buffer.from([EF.ATTLOG, 0, 0, 0]) }], 3);
    await until(() => sim!.stats.commands.REG_EVENT === 1, 'registered');
    sim.addPunch({ pin: '1007', localTime: '2018-12-07T19:09:06', verify: 0, state: 0 }); // a PIN that fits the u16 of 10-byte events
    const frames = deframeAll([await stream]).frames;
    checkPacket({
      name: `sim-realtime${realtimeSize}`,
      input: frames[2]!,
      expected: {
        kind: 'packet', command: 500, sessionId: 1, replyId: 0, checksumOk: true,
        realtime: [{ pin: '1007', localTime: '2018-12-07T19:09:06', verifyCode: 0, stateCode: 0 }],
      },
    });
  });

  it.each([8, 40] as const)('%i-byte attendance records decode like the real ones', async (recordSize) => {
    sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, recordSize, records: 0 });
    sim.addPunch({ pin: '1007', localTime: '2016-01-01T19:02:00', verify: 15, state: 0 });
    const body = sim.log.attendanceDataset().subarray(4);
    const records = [recordSize === 8
      ? { uid: 7, status: 15, stateCode: 0, localTime: '2016-01-01T19:02:00' }
      : { uid: 7, pin: '1007', verifyCode: 15, stateCode: 0, localTime: '2016-01-01T19:02:00' }];
    checkAttlog({ name: `sim-attlog${recordSize}`, input: body, expected: { kind: 'attlog', recordSize, records } });
    expect(body.length).toBe(recordSize);
  });
});

function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve('connected'); });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('simulator ports', () => {
  it('refuses a fixed port whose UDP twin is taken and leaves nothing bound; port 0 finds a free pair', async () => {
    const blocker = createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', () => resolve()));
    const taken = blocker.address().port;
    try {
      const refused = new ZkTcpSimulator({ tcp: true, udp: true, port: taken });
      await expect(refused.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      // Its TCP listener was closed again: nothing answers there. (Binding the port to prove it is free
      // flakes under a parallel suite, whose outgoing connections may hold that number as a source port.)
      expect(await connectOutcome(taken)).toBe('ECONNREFUSED');
      sim = new ZkTcpSimulator({ tcp: true, udp: true });
      const { port } = await sim.start();
      expect(port).not.toBe(taken);
    } finally {
      blocker.close();
    }
  });
});
