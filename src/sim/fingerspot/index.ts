export { FingerspotSimulator, type FingerspotSimOptions, type FingerspotFaults, type SimScan } from './simulator.js';
