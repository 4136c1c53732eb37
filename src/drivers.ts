// The terminal families this build ships: adding one is a folder under drivers/ (with its
// definition.ts) and one line here, and with it come its config entries (and `check`), its
// devices, `pull`, push routing, `probe --protocol` and `simulate` (src/devices/definition.ts).
// Invariants:
// - This is the one file outside drivers/ and src/sim/ that imports a driver folder. It sits above
//   what uses the list: the commands and the daemon's start import it and hand it down (the config
//   loader, the Gateway, the supervisor take it as a parameter).
// - Only definitions and simulator names load with it; a driver's code loads with its first device,
//   a simulator's with `simulate <command>`.
// - The order is the order of every list a user sees (config errors, `probe --protocol`, `pull`'s
//   kinds, `simulate --help`).
import type { AnyDriverDefinition } from './devices/definition.js';
import { withSimulator } from './devices/definition.js';
import { fingerspotEasyLinkDriver } from '../drivers/fingerspot-easylink/definition.js';
import { kioskDriver } from '../drivers/kiosk/definition.js';
import { hikvisionIsapiDriver } from '../drivers/hikvision-isapi/definition.js';
import { serialLineDriver } from '../drivers/serial-line/definition.js';
import { zkPushDriver } from '../drivers/zk-push/definition.js';
import { zkSoapDriver } from '../drivers/zk-soap/definition.js';
import { zkTcpDriver } from '../drivers/zk-tcp/definition.js';
import { fingerspotSimulator } from './sim/fingerspot/command.js';
import { hikvisionSimulator } from './sim/hikvision/command.js';
import { zkPushSimulator } from './sim/zkPush/command.js';
import { zkSoapSimulator } from './sim/zkSoap/command.js';
import { zkTcpSimulator } from './sim/zkTcp/command.js';

export const BUILTIN_DRIVERS: readonly AnyDriverDefinition[] = [
  withSimulator(zkTcpDriver, zkTcpSimulator),
  withSimulator(zkPushDriver, zkPushSimulator),
  withSimulator(zkSoapDriver, zkSoapSimulator),
  withSimulator(hikvisionIsapiDriver, hikvisionSimulator),
  withSimulator(fingerspotEasyLinkDriver, fingerspotSimulator),
  serialLineDriver,
  kioskDriver,
];
