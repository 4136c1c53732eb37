// The drivers this build ships. Adding a protocol = one folder under drivers/ plus one line here.
// Only the factories (config schema, lazy create) load here; a driver's code loads with its first device.
import { fingerspotEasyLinkDriver } from '../../drivers/fingerspot-easylink/factory.js';
import { hikvisionIsapiDriver } from '../../drivers/hikvision-isapi/factory.js';
import { serialLineDriver } from '../../drivers/serial-line/factory.js';
import { zkPushDriver } from '../../drivers/zk-push/factory.js';
import { zkSoapDriver } from '../../drivers/zk-soap/factory.js';
import { zkTcpDriver } from '../../drivers/zk-tcp/factory.js';
import type { DriverFactory } from './driver.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDriverFactory = DriverFactory<any>;

export const BUILTIN_DRIVERS: AnyDriverFactory[] = [zkTcpDriver, zkPushDriver, zkSoapDriver, hikvisionIsapiDriver, fingerspotEasyLinkDriver, serialLineDriver];
