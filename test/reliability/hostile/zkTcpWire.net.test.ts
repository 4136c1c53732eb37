// A hostile wire between the zk-tcp driver and the simulated terminal, both on 127.0.0.1: a proxy
// that splits the terminal's frames at random bytes, puts line noise (bytes that cannot start a
// frame) between them and slips in realtime events no layout fits. The driver must resync, count
// each undecodable event, keep running, and commit every punch the terminal recorded.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodePacket, encodeTcpFrame } from '../../../drivers/zk-tcp/codec.js';
import { ZkTcpDriver } from '../../../drivers/zk-tcp/driver.js';
import { TcpDeframer } from '../../../drivers/zk-tcp/streamReader.js';
import { CMD, EF } from '../../../drivers/zk-tcp/tables.js';
import type { ZkTcpSimulator } from '../../../src/sim/zkTcp/index.js';
import { contextFor, driverConfig, FAST, startSim } from '../../drivers/zk-tcp/harness.js';
import { expectedKeys } from '../../drivers/zk-tcp/keys.js';
import { committedKeys, type MemoryContext } from '../../helpers/memoryContext.js';
import { until } from '../../helpers/until.js';
import { FUZZ_SCALE } from './fuzzScale.js';

/** A small seeded generator: the wire's noise is the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

class HostileWire {
  readonly server: Server;
  injected = 0;
  private readonly toGateway = new Set<Socket>();
  private readonly random = prng(8);

  constructor(private readonly upstreamPort: number) {
    this.server = createServer((gatewaySide) => this.relay(gatewaySide));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  /** A CMD_REG_EVENT/EF_ATTLOG whose data fits no realtime layout (7 bytes): undecodable by design. */
  injectUndecodableEvent(): void {
    const event = encodeTcpFrame(encodePacket({ command: CMD.REG_EVENT, sessionId: EF.ATTLOG, replyId: 0, data: Buffer.from('deadbeef00ff01', 'hex') }));
    for (const socket of this.toGateway) {
      this.writeSplit(socket, Buffer.concat([this.noise(), event]));
      this.injected += 1;
    }
  }

  async close(): Promise<void> {
    for (const socket of this.toGateway) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(gatewaySide: Socket): void {
    const terminalSide = connect({ host: '127.0.0.1', port: this.upstreamPort });
    const deframer = new TcpDeframer();
    this.toGateway.add(gatewaySide);
    gatewaySide.on('data', (bytes) => terminalSide.write(bytes));
    terminalSide.on('data', (bytes: Buffer) => {
      for (const frame of deframer.push(bytes)) this.writeSplit(gatewaySide, Buffer.concat([this.noise(), encodeTcpFrame(frame)]));
    });
    const end = (): void => {
      this.toGateway.delete(gatewaySide);
      gatewaySide.destroy();
      terminalSide.destroy();
    };
    gatewaySide.on('close', end).on('error', end);
    terminalSide.on('close', end).on('error', end);
  }

  /** 0–40 bytes of noise, never 0x50 (the first magic byte), so no frame can hide in it. */
  private noise(): Buffer {
    return Buffer.from(Array.from({ length: Math.floor(this.random() * 41) }, () => {
      const b = Math.floor(this.random() * 256);
      return b === 0x50 ? 0x51 : b;
    }));
  }

  private writeSplit(socket: Socket, bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      const size = 1 + Math.floor(this.random() * 64);
      socket.write(bytes.subarray(at, at + size));
      at += size;
    }
  }
}

const PUNCHES = Math.max(5, Math.round(20 * FUZZ_SCALE));
let sim: ZkTcpSimulator;
let wire: HostileWire;
let driver: ZkTcpDriver;
let ctx: MemoryContext;
/** the terminal's log as punch keys; two records of one second and user are one punch (one id) */
const uniqueExpected = (): string[] => [...new Set(expectedKeys(sim.log))];

beforeAll(async () => {
  sim = await startSim({ records: 40, users: 10, realtimeSize: 37, faults: { badChecksumEvery: 7 } });
  wire = new HostileWire(sim.address.port);
  const port = await wire.listen();
  const cfg = { ...driverConfig(sim, { pollInterval: '300ms', heartbeatInterval: '100ms' }), port };
  ctx = contextFor(cfg);
  driver = new ZkTcpDriver(cfg, ctx, FAST);
  await driver.start();
});
afterAll(async () => {
  await driver?.stop();
  await wire?.close();
  await sim?.stop();
});

it(`commits every punch through a noisy, split wire with ${PUNCHES} undecodable events slipped in, counting each`, async () => {
  await until(() => committedKeys(ctx).length === uniqueExpected().length && ctx.snapshot.online === true, 'first download');
  for (let i = 0; i < PUNCHES; i++) {
    const user = sim.log.users[i % sim.log.users.length];
    if (user) sim.addPunch({ pin: user.pin, state: i % 2, verify: i % 3 === 0 ? 15 : 1 });
    wire.injectUndecodableEvent();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await until(() => committedKeys(ctx).length === uniqueExpected().length, 'every punch committed');
  expect(committedKeys(ctx)).toEqual(uniqueExpected());
  await until(() => ctx.rejections.filter((r) => r.reason === 'zk-realtime-undecodable').length === wire.injected, 'every injected event counted');
  expect(ctx.rejections.every((r) => r.reason === 'zk-realtime-undecodable')).toBe(true);
  expect(ctx.failures).toEqual([]);
  // the noise shows in the device details, for IT staff diagnosing a bad link
  await until(() => Number(ctx.snapshot.details?.skippedBytes ?? 0) > 0, 'skipped bytes reported');
});
