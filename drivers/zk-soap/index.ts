// zk-soap: ZK / Solution terminals read over their port-80 SOAP web service (POST /iWsService). See README.md.
import type { DriverFactory } from '../../src/devices/driver.js';
import { zkSoapConfigSchema, type ZkSoapConfig } from './config.js';
import { ZkSoapDriver } from './driver.js';

export const zkSoapDriver: DriverFactory<ZkSoapConfig> = {
  protocol: 'zk-soap',
  configSchema: zkSoapConfigSchema,
  create: (config, ctx) => new ZkSoapDriver(config, ctx),
};

export { zkSoapConfigSchema, type ZkSoapConfig } from './config.js';
export { ZkSoapDriver } from './driver.js';
export { SoapClient, SoapBodyError, type SoapClientOptions } from './client.js';
export { probeZkSoap, formatZkSoapProbe, type ZkSoapProbeOptions, type ZkSoapProbeResult } from './probe.js';
