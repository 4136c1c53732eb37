// zk-soap: ZK / Solution terminals read over their port-80 SOAP web service (POST /iWsService). See README.md.

export { zkSoapConfigSchema, type ZkSoapConfig } from './config.js';
export { ZkSoapDriver } from './driver.js';
export { SoapClient, SoapBodyError, type SoapClientOptions } from './client.js';
export { probeZkSoap, formatZkSoapProbe, type ZkSoapProbeOptions, type ZkSoapProbeResult } from './probe.js';
export { zkSoapDriver } from './definition.js';
export { zkSoapUsersAccess, ZkSoapUsersSession } from './users.js';
