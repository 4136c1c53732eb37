// The ZKTeco PUSH (ADMS / iclock) terminal simulator, shipped for demos and tests.
export { ZkPushSimulator, type ZkPushSimOptions, type ZkPushQuirks, type SimPushRecord } from './simulator.js';
export type { SimFaceForm, SimPushFace } from './faces.js';
export { simRequest, type SimRequest, type SimResponse } from './http.js';
