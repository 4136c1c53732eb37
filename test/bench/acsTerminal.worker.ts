// The paced Hikvision terminal of the AcsEvent bench row on its own thread (acsTerminal.ts), for
// the reason terminalThread.ts gives: the bench's subscriber must not slow the terminal down.
import { parentPort, workerData } from 'node:worker_threads';
import { HikvisionSimulator } from '../../src/sim/hikvision/index.js';
import type { AcsTerminalOptions } from './acsTerminal.js';

const o = workerData as AcsTerminalOptions;
const port = parentPort!;
const sim = new HikvisionSimulator({ password: o.password, records: o.records, firstPunchMs: o.firstPunchMs, pageCap: o.pageCap, packetBytes: o.packetBytes, packetGapMs: o.gapMs });
await sim.start();
const wall = (): number => performance.timeOrigin + performance.now();
const pages = (): number => sim.stats.requests['/ISAPI/AccessControl/AcsEvent'] ?? 0;
let asked = false;
const watch = setInterval(() => {
  if (!asked && pages() > 0) port.postMessage({ type: 'asked', at: wall() }), (asked = true);
}, 1);
port.on('message', (message) => {
  if (message === 'pages') port.postMessage({ type: 'pages', pages: pages() });
  if (message !== 'stop') return;
  clearInterval(watch);
  void sim.stop().then(() => port.postMessage({ type: 'stopped' }));
});
port.postMessage({ type: 'listening', port: sim.address.port, events: sim.events.length });
