// The echo family's driver: online at start, nothing else (the kit test needs a device that runs).
import type { Driver, DriverContext } from '../../../src/devices/driver.js';
import type { EchoConfig } from './definition.js';
import { loadedModules } from './loads.js';

loadedModules.add('driver');

export class EchoDriver implements Driver {
  constructor(
    private readonly config: EchoConfig,
    private readonly ctx: DriverContext,
  ) {}

  async start(): Promise<void> {
    this.ctx.status.update({ online: true, serial: `ECHO-${this.config.id}` });
  }

  async stop(): Promise<void> {}
}
