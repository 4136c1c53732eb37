// A whole Gateway with hikvision-isapi devices on a temp buffer (the zk-push harness's YAML with
// other device lines): push listener on 127.0.0.1 port 0, local API off.
import { parseConfigText } from '../../../src/config/load.js';
import { BUILTIN_DRIVERS } from '../../../src/drivers.js';
import { Gateway } from '../../../src/gateway.js';
import { silentLogger } from '../../../src/util/logger.js';
import { pushConfigYaml, type PushGatewaySetup } from '../zk-push/gatewayHarness.js';

export interface HikGatewaySetup extends Omit<PushGatewaySetup, 'devices'> {
  /** flow-style YAML device entries, e.g. `{id: lobby, driver: hikvision-isapi, pull: false, push: true}` */
  devices: string[];
}

export async function startHikGateway(s: HikGatewaySetup): Promise<Gateway> {
  const yaml = pushConfigYaml({ ...s, devices: [] }).replace('devices:\n', `devices:\n${s.devices.map((d) => `  - ${d}\n`).join('')}`);
  const gateway = new Gateway(parseConfigText(yaml, 'hik.yaml', { drivers: BUILTIN_DRIVERS }), { log: silentLogger(), api: false, drivers: BUILTIN_DRIVERS });
  await gateway.start();
  return gateway;
}
