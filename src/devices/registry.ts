// The drivers this build ships. Adding a protocol = one folder under drivers/ plus one line here.
import { fingerspotEasyLinkDriver } from '../../drivers/fingerspot-easylink/index.js';
import { hikvisionIsapiDriver } from '../../drivers/hikvision-isapi/index.js';
import { serialLineDriver } from '../../drivers/serial-line/index.js';
import { zkPushDriver } from '../../drivers/zk-push/index.js';
import { zkSoapDriver } from '../../drivers/zk-soap/index.js';
import { zkTcpDriver } from '../../drivers/zk-tcp/index.js';
import type { DriverFactory } from './driver.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDriverFactory = DriverFactory<any>;

export const BUILTIN_DRIVERS: AnyDriverFactory[] = [zkTcpDriver, zkPushDriver, zkSoapDriver, hikvisionIsapiDriver, fingerspotEasyLinkDriver, serialLineDriver];
