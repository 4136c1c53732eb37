// The ZK standalone terminal simulator (port 4370, TCP and UDP), shipped for demos and tests.
export { ZkTcpSimulator, type ZkSimulatorOptions, type ZkSimLies, type SimStats } from './simulator.js';
export { SimLog, makeUsers, type SimPunch, type SimUser } from './log.js';
export type { ZkSimFaults, Pacing } from './output.js';
