// The Hikvision ISAPI face-terminal simulator, shipped for demos and tests.
export { HikvisionSimulator, type HikSimOptions, type SimEvent } from './simulator.js';
