// The ZK SOAP web service terminal simulator, shipped for demos and tests.
export { ZkSoapSimulator, type ZkSoapSimOptions, type ZkSoapSimFaults, type SimSoapPunch } from './simulator.js';
export { SoapUserTable, seedTemplate, type SimSoapUser, type SimSoapTemplate } from './userTable.js';
