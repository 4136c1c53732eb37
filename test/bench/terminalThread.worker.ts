// The terminal thread of terminalThread.ts: one ZkTcpSimulator with `terminal` pacing.
import { parentPort, workerData } from 'node:worker_threads';
import { ZkTcpSimulator } from '../../src/sim/zkTcp/index.js';
import type { TerminalOptions } from './terminalThread.js';

const o = workerData as TerminalOptions;
const port = parentPort!;
const sim = new ZkTcpSimulator({ host: '127.0.0.1', port: 0, records: o.records, pacing: 'terminal', packetGapMs: o.gapMs, udp: false, users: 200, recordStepSec: 20 });
const wall = (): number => performance.timeOrigin + performance.now();
const started = await sim.start();
sim.log.attendanceDataset(); // encoded before any clock starts: the terminal already holds its log
let connected = false;
let lastChunk = false;
const watch = setInterval(() => {
  if (!connected && sim.stats.connections > 0) port.postMessage({ type: 'connected', at: wall() }), (connected = true);
  if (!lastChunk && sim.stats.chunks >= o.chunks) port.postMessage({ type: 'lastChunk', at: wall() }), (lastChunk = true);
}, 1);
port.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(watch);
  void sim.stop().then(() => port.postMessage({ type: 'stopped' }));
});
port.postMessage({ type: 'listening', port: started.port });
